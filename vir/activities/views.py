"""Activity pages: the timeline of milestones, deadline and countdown, and the forms that
change them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import (
    can_draft_letters,
    can_extend_deadline,
    can_manage_activities,
    load_activity,
    load_room,
    require,
)
from vir.activities import operations as ops
from vir.activities.forms import ActivityForm, ExtensionForm, OutcomeLetterForm
from vir.activities.serialise import activity_dict, notice_warnings
from vir.calendar import countdown, local_instant
from vir.core.db import db, utcnow
from vir.letters import queries as letter_queries
from vir.letters.serialise import letter_dict
from vir.letters.views import letter_form
from vir.rooms.operations import FolderError, room_for

bp = Blueprint("activities", __name__)


def _flash_errors(form: Any) -> None:
    """Forms on the activity page post elsewhere; their errors come back as messages."""
    for errors in form.errors.values():
        flash(str(errors[0]), "error")


def _at(day: Any, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in (hhmm or "09:30").split(":"))
    return local_instant(datetime(day.year, day.month, day.day, hour, minute))


@bp.route("/rooms/<slug>/activities/new", methods=["GET", "POST"])
@login_required
def new(slug: str) -> Any:
    room = load_room(slug)
    require(
        can_manage_activities(current_user, room),
        "activity.create",
        provider_id=room.provider_id,
        object_type="room",
        object_id=slug,
    )
    form = ActivityForm()
    if form.validate_on_submit():
        starts_at = _at(form.start_date.data, form.start_time.data or "09:30")
        ends_at = _at(form.end_date.data, "16:00") if form.end_date.data else None
        try:
            activity = ops.create_activity(
                room,
                form.kind.data or "",
                starts_at,
                ends_at,
                lead_inspector=form.lead_inspector.data or None,
                user=current_user,
            )
        except (ops.ActivityError, FolderError) as exc:
            getattr(
                form,
                {"ends_at": "end_date", "lead_inspector": "lead_inspector"}.get(
                    getattr(exc, "field", ""), "start_date"
                ),
            ).errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Activity recorded; its folders are ready."), "success")
            for warning in notice_warnings(activity):
                flash(warning, "warning")
            return redirect(url_for("activities.page", activity_id=activity.id))
    return render_template("activities/new.html", form=form, room=room)


@bp.get("/activities/<int:activity_id>")
@login_required
def page(activity_id: int) -> str:
    activity = load_activity(activity_id)
    room = room_for(activity.provider)
    data = activity_dict(activity)
    return render_template(
        "activities/activity.html",
        activity=activity,
        data=data,
        room=room,
        left=countdown(utcnow(), activity.papers_deadline) if activity.is_conference else None,
        manage=can_manage_activities(current_user, room),
        extend=can_extend_deadline(current_user, activity) and activity.is_conference,
        extension_form=ExtensionForm(prefix="ext"),
        letter_form=OutcomeLetterForm(prefix="ol"),
        letters=[letter_dict(x) for x in letter_queries.for_activity(activity, current_user)],
        new_letter_form=letter_form(activity) if can_draft_letters(current_user, room) else None,
    )


@bp.post("/activities/<int:activity_id>/extension")
@login_required
def extension(activity_id: int) -> Any:
    activity = load_activity(activity_id)
    require(
        can_extend_deadline(current_user, activity) and activity.is_conference,
        "activity.extend_deadline",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    form = ExtensionForm(prefix="ext")
    if form.validate_on_submit():
        try:
            ops.extend_deadline(
                activity,
                _at(form.until_date.data, form.until_time.data or ""),
                form.reason.data or "",
            )
        except ops.ActivityError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The papers deadline has been extended."), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("activities.page", activity_id=activity.id))


@bp.post("/activities/<int:activity_id>/outcome-letter")
@login_required
def outcome_letter(activity_id: int) -> Any:
    activity = load_activity(activity_id)
    require(
        can_manage_activities(current_user, room_for(activity.provider)),
        "activity.outcome_letter",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    form = OutcomeLetterForm(prefix="ol")
    if form.validate_on_submit():
        try:
            ops.record_outcome_letter(activity, form.received_on.data)
        except ops.ActivityError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Outcome letter recorded; the updated plans are now due."), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("activities.page", activity_id=activity.id))
