"""What mail is due: deadline reminders for providers, digests of new papers for inspectors."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from vir.accounts.models import Role, User, UserRole
from vir.activities.models import CONFERENCES, Activity
from vir.calendar import add_working_days, local_today
from vir.core.db import db, utcnow
from vir.core.i18n import in_sentence
from vir.documents.models import Document, DocumentVersion
from vir.notifications.mail import send_once
from vir.notifications.models import SentMail
from vir.orgs.models import Assignment
from vir.rooms.models import Folder


def reminder_days() -> list[int]:
    raw = current_app.config.get("VIR_REMINDER_WORKING_DAYS") or "10,3"
    return sorted({int(x) for x in raw.split(",") if x.strip()})


def _editors(provider_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole)
            .where(
                User.org_id == provider_id,
                User.active.is_(True),
                UserRole.role == Role.PROVIDER_EDITOR,
            )
        )
    )


def _inspectors(activity: Activity) -> list[User]:
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User)
            .join(Assignment)
            .join(UserRole)
            .where(
                Assignment.provider_id == activity.provider_id,
                User.active.is_(True),
                UserRole.role == Role.INSPECTOR,
            )
        )
    }
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
    activities = db.session.scalars(
        select(Activity).where(Activity.kind.in_(CONFERENCES), Activity.starts_at > now)
    )
    for activity in activities:
        deadline = activity.papers_deadline
        if now > deadline:
            continue
        due = [n for n in reminder_days() if today >= add_working_days(local_today(deadline), -n)]
        if not due:
            continue
        n = min(due)
        for user in _editors(activity.provider_id):
            with force_locale(user.locale or "en"):
                when = in_sentence(format_datetime(deadline, "EEEE d MMMM y, HH:mm"))
                subject = _("VIR: papers for the conference are due by %(when)s", when=when)
                body = "\n\n".join(
                    [
                        _(
                            "Papers for the %(provider)s conference on %(date)s must be shared in "
                            "VIR by %(when)s, one week before it starts.",
                            provider=activity.provider.name(user.locale or "en"),
                            date=in_sentence(
                                format_datetime(activity.starts_at, "EEEE d MMMM y, HH:mm")
                            ),
                            when=when,
                        ),
                        _(
                            "Expected: the current plan(s) for improvement, the organisation "
                            "structure, significant reports and relevant council papers. Share the "
                            "most important documents; do not over-populate the folder."
                        ),
                        _url(f"/rooms/folders/{activity.provider_folder_id}"),
                    ]
                )
            key = f"reminder:{activity.id}:{deadline.isoformat()}:{n}:{user.id}"
            sent += send_once(key, user.email, user.name, subject, body)
    return sent


def send_digests(now: datetime) -> int:
    """Once a day at most, tell each of an activity's inspectors which papers were added since
    their last digest, calling out late ones."""
    sent = 0
    for activity in db.session.scalars(select(Activity).where(Activity.ends_at > now)):
        # The papers folder, the folder for after the conference, and any subfolder of them
        own = [f for f in (activity.provider_folder_id, activity.post_folder_id) if f]
        folders = own + list(
            db.session.scalars(
                select(Folder.id).where(Folder.parent_id.in_(own), Folder.id.not_in(own))
            )
        )
        for user in _inspectors(activity):
            prefix = f"digest:{activity.id}:{user.id}:"
            last = db.session.scalar(
                select(func.max(SentMail.sent_at)).where(SentMail.key.startswith(prefix))
            )
            since = last or activity.created_at
            versions = list(
                db.session.scalars(
                    select(DocumentVersion)
                    .join(Document)
                    .where(
                        Document.folder_id.in_(folders),
                        Document.deleted_at.is_(None),
                        DocumentVersion.uploaded_at > since,
                        DocumentVersion.uploaded_at <= now,
                    )
                    .order_by(DocumentVersion.uploaded_at)
                )
            )
            if not versions:
                continue
            with force_locale(user.locale or "en"):
                lines = []
                for v in versions:
                    line = (
                        f"- {v.document.title} ({v.filename}, v{v.version}, "
                        f"{format_datetime(v.uploaded_at, 'd MMM y HH:mm')})"
                    )
                    if v.late:
                        line += "\n  " + _(
                            "LATE: information dated %(date)s: %(reason)s",
                            date=v.information_date,
                            reason=v.late_reason,
                        )
                    lines.append(line)
                subject = ngettext(
                    "VIR: %(num)d new paper for %(provider)s",
                    "VIR: %(num)d new papers for %(provider)s",
                    len(versions),
                    provider=activity.provider.name(user.locale or "en"),
                )
                body = "\n\n".join(
                    [
                        _("Papers added since your last digest:"),
                        "\n".join(lines),
                        _url(f"/activities/{activity.id}"),
                    ]
                )
            key = f"{prefix}{local_today(now).isoformat()}"
            sent += send_once(key, user.email, user.name, subject, body)
    return sent


def send_due_mail(now: datetime | None = None) -> int:
    now = now or utcnow()
    return (
        send_reminders(now)
        + send_digests(now)
        + send_forward_arrivals(now)
        + send_forward_decisions(now)
        + send_letters_due(now)
    )


def send_forward_arrivals(now: datetime) -> int:
    """Tell each authority's editors, in one message per run, what evidence has arrived since
    the last message: forwards are batched, not mailed one by one."""
    from vir.forwards.models import Forward, ForwardStatus

    fresh = list(
        db.session.scalars(
            select(Forward)
            .where(
                Forward.announced_at.is_(None),
                Forward.status == ForwardStatus.PENDING,
                Forward.created_at <= now,
            )
            .order_by(Forward.provider_id, Forward.id)
        )
    )
    sent = 0
    by_provider: dict[int, list[Forward]] = {}
    for forward in fresh:
        by_provider.setdefault(forward.provider_id, []).append(forward)
    for provider_id, forwards in by_provider.items():
        first, last = forwards[0].id, forwards[-1].id
        for user in _editors(provider_id):
            locale = user.locale or "en"
            with force_locale(locale):
                lines = [
                    f"- {f.filename} ({f.from_org.name(locale)}, "
                    f"{format_datetime(f.created_at, 'd MMM y HH:mm')})"
                    + (f"\n  {f.note}" if f.note else "")
                    for f in forwards
                ]
                subject = ngettext(
                    "VIR: %(num)d item of evidence forwarded to %(provider)s",
                    "VIR: %(num)d items of evidence forwarded to %(provider)s",
                    len(forwards),
                    provider=forwards[0].provider.name(locale),
                )
                body = "\n\n".join(
                    [
                        _(
                            "Evidence has been forwarded to your authority. Decide whether to "
                            "share each item in VIR (accept it into a folder) or decline it:"
                        ),
                        "\n".join(lines),
                        _url(f"/rooms/{forwards[0].provider.slug}/forwards"),
                    ]
                )
            sent += send_once(
                f"forwards:{provider_id}:{first}-{last}:{user.id}",
                user.email,
                user.name,
                subject,
                body,
            )
        for forward in forwards:
            forward.announced_at = now
        db.session.commit()
    return sent


def send_forward_decision(forward_id: int) -> int:
    """Tell the person who forwarded evidence what the authority decided."""
    from vir.forwards.models import Forward, ForwardStatus

    forward = db.session.get(Forward, forward_id)
    if forward is None or forward.status not in (ForwardStatus.ACCEPTED, ForwardStatus.DECLINED):
        return 0
    user = forward.created_by
    if user is None or not user.active:
        return 0
    locale = user.locale or "en"
    with force_locale(locale):
        provider = forward.provider.name(locale)
        if forward.status == ForwardStatus.ACCEPTED:
            subject = _("VIR: %(provider)s accepted the evidence you forwarded", provider=provider)
            folder = forward.document.folder.label() if forward.document else ""
            text = _(
                "%(provider)s accepted “%(filename)s” and shared it in VIR (folder: %(folder)s).",
                provider=provider,
                filename=forward.filename,
                folder=folder,
            )
        else:
            subject = _("VIR: %(provider)s declined the evidence you forwarded", provider=provider)
            text = _(
                "%(provider)s declined “%(filename)s”. Their reason: %(reason)s",
                provider=provider,
                filename=forward.filename,
                reason=forward.decline_reason,
            )
        body = "\n\n".join([text, _url(f"/forwards/{forward.id}")])
    return int(send_once(f"forward-decision:{forward.id}", user.email, user.name, subject, body))


def send_forward_decisions(now: datetime) -> int:
    """Retry decision mail that could not go at the time (each goes once)."""
    from datetime import timedelta

    from vir.forwards.models import Forward, ForwardStatus

    ids = db.session.scalars(
        select(Forward.id).where(
            Forward.status.in_([ForwardStatus.ACCEPTED, ForwardStatus.DECLINED]),
            Forward.decided_at > now - timedelta(days=7),
        )
    )
    return sum(send_forward_decision(i) for i in list(ids))


INSPECTORATE_ROLES = (Role.INSPECTOR, Role.COORDINATOR)


def send_password_link(user: User, link: str) -> bool:
    """A set-password link goes to the account holder alone, by mail: never to the screen of
    the administrator who asked for it (who would otherwise hold the account's access)."""
    locale = user.locale or "en"
    with force_locale(locale):
        subject = _("VIR: set your password")
        body = "\n\n".join(
            [
                _(
                    "Use this link to set the password for your VIR account (%(email)s). It works "
                    "once, within 72 hours.",
                    email=user.email,
                ),
                link,
                _(
                    "If you did not expect this, tell your administrator; your account is "
                    "unchanged until the link is used."
                ),
            ]
        )
    key = f"password-link:{user.id}:{utcnow().isoformat()}"
    sent = send_once(key, user.email, user.name, subject, body)
    db.session.commit()
    return sent


def tell_coordinators_of_roles(user: User, roles: list[str], by: User | None) -> int:
    """Granting an inspectorate role (inspector, co-ordinator) gives access to Link
    Inspectors areas: every co-ordinator is told at once, by mail, who gave it to whom."""
    granted = [r for r in roles if r in INSPECTORATE_ROLES]
    if not granted:
        return 0
    from vir.core.labels import ROLE_LABELS

    sent = 0
    coordinators = db.session.scalars(
        select(User)
        .join(UserRole)
        .where(UserRole.role == Role.COORDINATOR, User.active.is_(True), User.id != user.id)
    )
    stamp = utcnow().isoformat()
    for coordinator in coordinators:
        with force_locale(coordinator.locale or "en"):
            subject = _("VIR: inspectorate access granted to %(email)s", email=user.email)
            body = _(
                "%(admin)s gave %(name)s (%(email)s) access that opens Link Inspectors "
                "areas (%(roles)s). If this was not agreed, disable the account at once: "
                "%(url)s",
                admin=by.email if by is not None else "vir (command line)",
                name=user.name,
                email=user.email,
                roles=", ".join(str(ROLE_LABELS[r]) for r in granted),
                url=_url(f"/admin/users/{user.id}"),
            )
        sent += send_once(
            f"role-grant:{user.id}:{coordinator.id}:{stamp}",
            coordinator.email,
            coordinator.name,
            subject,
            body,
        )
    db.session.commit()
    return sent


# --- records and letters -------------------------------------------------------------------


def _stakeholders(org_id: int, provider_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole)
            .join(Assignment)
            .where(
                User.org_id == org_id,
                User.active.is_(True),
                UserRole.role == Role.STAKEHOLDER,
                Assignment.provider_id == provider_id,
            )
        )
    )


def send_letter_mail(letter_id: int, now: datetime | None = None) -> int:
    """What is due about one letter, each message once: to the provider's editors when a
    draft arrives for checking and again before the check is due; to the inspectors when
    the provider answers; to stakeholders' users when it is released to them."""
    from vir.calendar import check_open, check_reminder_due
    from vir.core.labels import LETTER_LABELS
    from vir.letters.models import Answer, Letter, LetterKind

    now = now or utcnow()
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        return 0
    activity = letter.activity
    provider = activity.provider
    sent = 0
    days = int(current_app.config.get("VIR_CHECK_REMINDER_WORKING_DAYS") or 2)
    page = _url(f"/letters/{letter.id}")
    checking = (
        letter.check_due_on is not None
        and letter.answer is None
        and letter.final_version is None
        and check_open(letter.check_due_on, now)
    )
    for user in _editors(activity.provider_id) if letter.shared_at else []:
        locale = user.locale or "en"
        with force_locale(locale):
            what = str(LETTER_LABELS[letter.kind])
            if letter.kind == LetterKind.BRIEFING:
                subject = _("VIR: the lead inspector’s briefing is ready")
                text = _("The lead inspector’s briefing for the activity is in VIR.")
                key = f"letter-published:{letter.id}:{user.id}"
            elif checking:
                due = in_sentence(format_date(letter.check_due_on, "EEEE d MMMM y"))
                subject = _("VIR: a draft to check for factual accuracy: %(what)s", what=what)
                text = _(
                    "Estyn has shared a draft for you to check for factual accuracy. "
                    "Answer in VIR by %(due)s: no factual errors, or your corrections.",
                    due=due,
                )
                key = f"letter-check:{letter.id}:{user.id}"
            else:
                continue
            body = "\n\n".join([text, _("Provider: %(name)s", name=provider.name(locale)), page])
        sent += send_once(key, user.email, user.name, subject, body)
        if checking and check_reminder_due(letter.check_due_on, now, days):
            with force_locale(locale):
                subject = _("VIR: reminder: the factual-accuracy check is due by %(due)s", due=due)
                body = "\n\n".join(
                    [
                        _(
                            "The draft (%(what)s) has not been answered yet. After %(due)s "
                            "the check closes.",
                            what=what,
                            due=due,
                        ),
                        page,
                    ]
                )
            key = f"letter-check-reminder:{letter.id}:{user.id}"
            sent += send_once(key, user.email, user.name, subject, body)
    if letter.answer is not None:
        for user in _inspectors(activity):
            locale = user.locale or "en"
            with force_locale(locale):
                subject = _(
                    "VIR: the provider answered the factual-accuracy check: %(what)s",
                    what=str(LETTER_LABELS[letter.kind]),
                )
                answer = (
                    _("No factual errors.")
                    if letter.answer == Answer.NO_ERRORS
                    else _("Corrections were sent.")
                )
                body = "\n\n".join(
                    [answer, _("Provider: %(name)s", name=provider.name(locale)), page]
                )
            sent += send_once(
                f"letter-answer:{letter.id}:{user.id}", user.email, user.name, subject, body
            )
    for release in letter.releases if letter.final_version is not None else []:
        for user in _stakeholders(release.org_id, activity.provider_id):
            locale = user.locale or "en"
            with force_locale(locale):
                subject = _(
                    "VIR: a final letter has been released to you: %(what)s",
                    what=str(LETTER_LABELS[letter.kind]),
                )
                body = "\n\n".join(
                    [
                        _("Estyn has released a final copy to your organisation. Read it in VIR."),
                        _("Provider: %(name)s", name=provider.name(locale)),
                        _url("/released"),
                    ]
                )
            sent += send_once(
                f"letter-release:{release.id}:{user.id}", user.email, user.name, subject, body
            )
    return sent


def send_letters_due(now: datetime) -> int:
    """Reminders as checks near their due date, and anything that could not go at the time."""
    from datetime import timedelta

    from vir.letters.models import Letter

    recent = now - timedelta(days=30)
    ids = db.session.scalars(
        select(Letter.id).where(
            (Letter.shared_at > recent) | (Letter.answered_at > recent) | (Letter.final_at > recent)
        )
    )
    return sum(send_letter_mail(i, now) for i in list(ids))
