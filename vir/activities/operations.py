"""Activity writes: recording one makes its papers folders in both areas; changing its dates
recomputes everything (nothing derived is stored) and is audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from vir.accounts.models import Role, User
from vir.activities.models import CONFERENCES, Activity, ActivityKind
from vir.audit.operations import record
from vir.calendar import (
    default_end,
    extension_ends_in_past,
    letter_before_activity,
    letter_in_future,
    starts_in_past,
    to_local,
    visit_too_long,
)
from vir.core.db import db, utcnow
from vir.orgs.models import OrgKind
from vir.rooms.models import Area, Folder, Room
from vir.rooms.operations import create_folder

# Folder names are stored once, in both languages, since both audiences share the room.
# The folders an activity makes, named in English and in Welsh (each shown in its language).
FOLDER_NAMES = {
    ActivityKind.IMPROVEMENT_CONFERENCE: ("Improvement conference", "Cynhadledd gwella"),
    ActivityKind.PROGRESS_CONFERENCE: ("Progress conference", "Cynhadledd cynnydd"),
    ActivityKind.MONITORING_VISIT: ("Monitoring visit", "Ymweliad monitro"),
    ActivityKind.CONSORTIUM_FOLLOW_UP_VISIT: ("Follow-up visit", "Ymweliad dilynol"),
}
POST_FOLDER = ("Updated plans after the conference", "Cynlluniau wedi’u diweddaru")


class ActivityError(ValueError):
    def __init__(self, message: str, field: str = "starts_at") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _check(kind: str, starts_at: datetime, ends_at: datetime) -> None:
    if kind not in set(ActivityKind):
        raise ActivityError(_("Choose a kind of activity from the list."), "kind")
    if ends_at < starts_at:
        raise ActivityError(_("The end must be after the start."), "ends_at")
    if kind not in CONFERENCES and visit_too_long(starts_at, ends_at):
        raise ActivityError(_("A visit lasts at most a week."), "ends_at")


# What each kind of provider is followed up with (the guidance: conferences and monitoring
# visits for local authorities, follow-up visits for regional consortia).
FITS = {
    ActivityKind.IMPROVEMENT_CONFERENCE: OrgKind.LOCAL_AUTHORITY,
    ActivityKind.PROGRESS_CONFERENCE: OrgKind.LOCAL_AUTHORITY,
    ActivityKind.MONITORING_VISIT: OrgKind.LOCAL_AUTHORITY,
    ActivityKind.CONSORTIUM_FOLLOW_UP_VISIT: OrgKind.CONSORTIUM,
}


def _check_fits(kind: str, room: Room) -> None:
    if room.provider.kind != FITS[ActivityKind(kind)]:
        if FITS[ActivityKind(kind)] == OrgKind.CONSORTIUM:
            message = _("A consortium follow-up visit is for a regional consortium.")
        else:
            message = _("That kind of activity is for a local authority, not a consortium.")
        raise ActivityError(message, "kind")


def _lead(email: str | None) -> User | None:
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.has_role(Role.INSPECTOR, Role.COORDINATOR):
        raise ActivityError(
            _("The lead inspector must be an Estyn inspector or co-ordinator."), "lead_inspector"
        )
    return user


def create_activity(
    room: Room,
    kind: str,
    starts_at: datetime,
    ends_at: datetime | None,
    *,
    lead_inspector: str | None = None,
    user: Any = None,
) -> Activity:
    ends_at = ends_at or default_end(starts_at, conference=kind in CONFERENCES)
    _check(kind, starts_at, ends_at)
    if starts_in_past(starts_at, utcnow()):
        raise ActivityError(_("The activity must start in the future."), "starts_at")
    _check_fits(kind, room)
    lead = _lead(lead_inspector)
    day = to_local(starts_at).date().isoformat()
    en, cy = (f"{x} {day}" for x in FOLDER_NAMES[ActivityKind(kind)])
    provider_folder = create_folder(room, Area.PROVIDER, en, name_cy=cy, user=user)
    inspectors_folder = create_folder(room, Area.INSPECTORS, en, name_cy=cy, user=user)
    post = None
    if kind in CONFERENCES:
        en, cy = POST_FOLDER
        post = create_folder(room, Area.PROVIDER, en, name_cy=cy, parent=provider_folder, user=user)
    activity = Activity(
        provider_id=room.provider_id,
        provider=room.provider,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        lead_inspector=lead,
        provider_folder=provider_folder,
        inspectors_folder=inspectors_folder,
        post_folder=post,
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(activity)
    db.session.flush()
    record(
        "activity.create",
        object_type="activity",
        object_id=activity.id,
        provider_id=room.provider_id,
        kind=kind,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    return activity


def update_activity(
    activity: Activity,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    lead_inspector: str | None = None,
) -> None:
    before = {
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "lead": activity.lead_inspector.email if activity.lead_inspector else None,
    }
    new_start = starts_at or activity.starts_at
    new_end = ends_at or (activity.ends_at + (new_start - activity.starts_at))
    _check(activity.kind, new_start, new_end)
    if lead_inspector is not None:
        activity.lead_inspector = _lead(lead_inspector)
    activity.starts_at, activity.ends_at = new_start, new_end
    record(
        "activity.update",
        object_type="activity",
        object_id=activity.id,
        provider_id=activity.provider_id,
        before=before,
        after={
            "starts_at": new_start.isoformat(),
            "ends_at": new_end.isoformat(),
            "lead": activity.lead_inspector.email if activity.lead_inspector else None,
        },
    )


def extend_deadline(activity: Activity, until: datetime, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ActivityError(_("Give the reason for the extension."), "reason")
    if until >= activity.starts_at:
        raise ActivityError(_("The papers deadline must be before the activity starts."), "until")
    if extension_ends_in_past(until, utcnow()):
        raise ActivityError(_("An extended deadline must be in the future."), "until")
    previous = activity.papers_deadline
    activity.deadline_extended_to = until
    activity.extension_reason = reason
    record(
        "activity.extend_deadline",
        object_type="activity",
        object_id=activity.id,
        provider_id=activity.provider_id,
        previous=previous.isoformat(),
        until=until.isoformat(),
        reason=reason,
    )


def record_outcome_letter(activity: Activity, received_on: date) -> None:
    if letter_in_future(received_on, utcnow()):
        raise ActivityError(_("The letter cannot have been received after today."), "received_on")
    if letter_before_activity(received_on, activity.ends_at):
        raise ActivityError(_("The outcome letter comes after the activity."), "received_on")
    activity.outcome_letter_received_on = received_on
    record(
        "activity.outcome_letter",
        object_type="activity",
        object_id=activity.id,
        provider_id=activity.provider_id,
        received_on=received_on.isoformat(),
    )


def for_folder(folder: Folder) -> tuple[Activity, str] | None:
    """The activity a folder belongs to, and the folder's part in it. A subfolder (folders
    nest one level) takes its parent's part: a subfolder of the papers folder is governed by
    the one-week rule like the papers folder itself."""
    found = _own_activity(folder)
    if found is None and folder.parent is not None:
        found = _own_activity(folder.parent)
    return found


def _own_activity(folder: Folder) -> tuple[Activity, str] | None:
    activity = db.session.scalar(
        select(Activity).where(
            (Activity.provider_folder_id == folder.id)
            | (Activity.inspectors_folder_id == folder.id)
            | (Activity.post_folder_id == folder.id)
            | (Activity.letters_folder_id == folder.id)
        )
    )
    if activity is None:
        return None
    if folder.id == activity.provider_folder_id:
        return activity, "papers"
    if folder.id == activity.post_folder_id:
        return activity, "post"
    if folder.id == activity.letters_folder_id:
        return activity, "letters"
    return activity, "inspectors"


def for_provider(provider_id: int) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity).where(Activity.provider_id == provider_id).order_by(Activity.starts_at)
        )
    )
