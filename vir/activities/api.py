"""/api/v1/providers/{slug}/activities and /api/v1/activities/{id}."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import can_extend_deadline, can_manage_activities, load_activity, load_room, require
from vir.activities import operations as ops
from vir.activities.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ExtensionIn,
    OutcomeLetterIn,
)
from vir.activities.serialise import activity_dict, notice_warnings
from vir.api.common import Blueprint, fail
from vir.calendar import local_instant
from vir.core.db import db
from vir.rooms.operations import FolderError, room_for

blp = Blueprint(
    "api_activities",
    __name__,
    url_prefix="/api/v1",
    description="Follow-up activities and their deadlines",
)


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """An activity change the rules refuse, as a 422 naming the field at fault."""
    try:
        yield
    except (ops.ActivityError, FolderError) as exc:
        message = getattr(exc, "message", str(exc))
        fail(422, message, **{getattr(exc, "field", "starts_at"): [message]})


@blp.post("/providers/<slug>/activities")
@login_required
@blp.arguments(ActivityIn)
@blp.response(201, ActivityOut)
def create(args: dict[str, Any], slug: str) -> dict[str, Any]:
    """Record a conference or visit; its papers folders are made in both areas."""
    room = load_room(slug)
    require(
        can_manage_activities(current_user, room),
        "activity.create",
        provider_id=room.provider_id,
        object_type="room",
        object_id=slug,
    )
    with _refusals():
        activity = ops.create_activity(
            room,
            args["kind"],
            local_instant(args["starts_at"]),
            local_instant(args["ends_at"]) if args["ends_at"] else None,
            lead_inspector=args["lead_inspector"],
            user=current_user,
        )
    db.session.commit()
    return {**activity_dict(activity), "warnings": notice_warnings(activity)}


@blp.get("/providers/<slug>/activities")
@login_required
@blp.response(200, ActivityOut(many=True))
def list_activities(slug: str) -> list[dict[str, Any]]:
    """A provider's activities, earliest first."""
    room = load_room(slug)
    return [activity_dict(a) for a in ops.for_provider(room.provider_id)]


@blp.get("/activities/<int:activity_id>")
@login_required
@blp.response(200, ActivityOut)
def get(activity_id: int) -> dict[str, Any]:
    """One activity with its milestones."""
    return activity_dict(load_activity(activity_id))


def _managed(activity_id: int) -> Any:
    activity = load_activity(activity_id)
    room = room_for(activity.provider)
    require(
        can_manage_activities(current_user, room),
        "activity.update",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    return activity


@blp.patch("/activities/<int:activity_id>")
@login_required
@blp.arguments(ActivityPatch)
@blp.response(200, ActivityOut)
def update(args: dict[str, Any], activity_id: int) -> dict[str, Any]:
    """Change the dates or lead inspector; every milestone follows."""
    activity = _managed(activity_id)
    with _refusals():
        ops.update_activity(
            activity,
            starts_at=local_instant(args["starts_at"]) if args["starts_at"] else None,
            ends_at=local_instant(args["ends_at"]) if args["ends_at"] else None,
            lead_inspector=args["lead_inspector"],
        )
    db.session.commit()
    return activity_dict(activity)


@blp.post("/activities/<int:activity_id>/extension")
@login_required
@blp.arguments(ExtensionIn)
@blp.response(200, ActivityOut)
def extend(args: dict[str, Any], activity_id: int) -> dict[str, Any]:
    """Extend the papers deadline (lead inspector or co-ordinator), with a reason."""
    activity = load_activity(activity_id)
    require(
        can_extend_deadline(current_user, activity),
        "activity.extend_deadline",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    if not activity.is_conference:
        fail(422, _("Only conferences have a papers deadline."))
    with _refusals():
        ops.extend_deadline(activity, local_instant(args["until"]), args["reason"])
    db.session.commit()
    return activity_dict(activity)


@blp.post("/activities/<int:activity_id>/outcome-letter")
@login_required
@blp.arguments(OutcomeLetterIn)
@blp.response(200, ActivityOut)
def outcome_letter(args: dict[str, Any], activity_id: int) -> dict[str, Any]:
    """Record when the outcome letter was received; the updated-plans milestone follows."""
    activity = _managed(activity_id)
    with _refusals():
        ops.record_outcome_letter(activity, args["received_on"])
    db.session.commit()
    return activity_dict(activity)
