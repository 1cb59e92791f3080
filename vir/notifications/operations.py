"""What mail is due: deadline reminders for providers, digests of new papers for inspectors."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from vir.accounts.models import Role, User, UserRole
from vir.activities.models import CONFERENCES, Activity
from vir.calendar import add_working_days, local_today
from vir.core.db import db, utcnow
from vir.documents.models import Document, DocumentVersion
from vir.notifications.mail import send_once
from vir.notifications.models import SentMail
from vir.orgs.models import Assignment


def reminder_days() -> list[int]:
    raw = current_app.config.get("VIR_REMINDER_WORKING_DAYS") or "10,3"
    return sorted({int(x) for x in raw.split(",") if x.strip()})


def _editors(provider_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(User.org_id == provider_id, User.active.is_(True),
                                          UserRole.role == Role.PROVIDER_EDITOR)))


def _inspectors(activity: Activity) -> list[User]:
    users = {u.id: u for u in db.session.scalars(
        select(User).join(Assignment).join(UserRole).where(
            Assignment.provider_id == activity.provider_id, User.active.is_(True),
            UserRole.role == Role.INSPECTOR))}
    lead = activity.lead_inspector
    if lead is not None and lead.active:
        users[lead.id] = lead
    return list(users.values())


def _url(path: str) -> str:
    return current_app.config["VIR_BASE_URL"].rstrip("/") + path


def send_reminders(now: datetime) -> int:
    """Before a conference's papers deadline, remind the provider's editors: once for each
    configured number of working days before (10 and 3 by default), only the nearest one
    when several fall due together."""
    sent = 0
    today = local_today(now)
    activities = db.session.scalars(select(Activity).where(Activity.kind.in_(CONFERENCES),
                                                           Activity.starts_at > now))
    for activity in activities:
        deadline = activity.papers_deadline
        if now > deadline:
            continue
        due = [n for n in reminder_days()
               if today >= add_working_days(local_today(deadline), -n)]
        if not due:
            continue
        n = min(due)
        for user in _editors(activity.provider_id):
            with force_locale(user.locale or "en"):
                when = format_datetime(deadline, "EEEE d MMMM y, HH:mm")
                subject = _("VIR: papers for the conference are due by %(when)s", when=when)
                body = "\n\n".join([
                    _("Papers for the %(provider)s conference on %(date)s must be shared in "
                      "VIR by %(when)s, one week before it starts.",
                      provider=activity.provider.name(user.locale or "en"),
                      date=format_datetime(activity.starts_at, "EEEE d MMMM y, HH:mm"),
                      when=when),
                    _("Expected: the current plan(s) for improvement, the organisation "
                      "structure, significant reports and relevant council papers. Share the "
                      "most important documents; do not over-populate the folder."),
                    _url(f"/rooms/folders/{activity.provider_folder_id}"),
                ])
            key = f"reminder:{activity.id}:{deadline.isoformat()}:{n}:{user.id}"
            sent += send_once(key, user.email, user.name, subject, body)
    return sent


def send_digests(now: datetime) -> int:
    """Once a day at most, tell each of an activity's inspectors which papers were added since
    their last digest, calling out late ones."""
    sent = 0
    for activity in db.session.scalars(select(Activity).where(Activity.ends_at > now)):
        folders = [f for f in (activity.provider_folder_id, activity.post_folder_id) if f]
        for user in _inspectors(activity):
            prefix = f"digest:{activity.id}:{user.id}:"
            last = db.session.scalar(select(func.max(SentMail.sent_at)).where(
                SentMail.key.startswith(prefix)))
            since = last or activity.created_at
            versions = list(db.session.scalars(
                select(DocumentVersion).join(Document).where(
                    Document.folder_id.in_(folders), Document.deleted_at.is_(None),
                    DocumentVersion.uploaded_at > since, DocumentVersion.uploaded_at <= now)
                .order_by(DocumentVersion.uploaded_at)))
            if not versions:
                continue
            with force_locale(user.locale or "en"):
                lines = []
                for v in versions:
                    line = f"- {v.document.title} ({v.filename}, v{v.version}, " \
                           f"{format_datetime(v.uploaded_at, 'd MMM y HH:mm')})"
                    if v.late:
                        line += "\n  " + _("LATE: information dated %(date)s: %(reason)s",
                                           date=v.information_date, reason=v.late_reason)
                    lines.append(line)
                subject = _("VIR: %(n)d new paper(s) for %(provider)s", n=len(versions),
                            provider=activity.provider.name(user.locale or "en"))
                body = "\n\n".join([
                    _("Papers added since your last digest:"), "\n".join(lines),
                    _url(f"/activities/{activity.id}")])
            key = f"{prefix}{local_today(now).isoformat()}"
            sent += send_once(key, user.email, user.name, subject, body)
    return sent


def send_due_mail(now: datetime | None = None) -> int:
    now = now or utcnow()
    return send_reminders(now) + send_digests(now)
