"""Activities as the API and the pages show them; milestones are computed, never stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_login import current_user

from vir.access import READ, can
from vir.activities.models import Activity
from vir.calendar import (
    Milestone,
    conference_milestones,
    local_today,
    notice_date_passed,
    sent_late,
    visit_milestones,
)
from vir.core.db import utcnow
from vir.core.labels import MILESTONES


def milestones(activity: Activity) -> list[Milestone]:
    if activity.is_conference:
        return conference_milestones(
            activity.starts_at,
            activity.ends_at,
            activity.papers_deadline,
            activity.outcome_letter_received_on,
            activity.kind,
        )
    from vir.holidays.queries import school_holidays_for

    school = school_holidays_for(activity.provider)
    return visit_milestones(activity.starts_at, activity.ends_at, school, activity.kind)


# Which letter event meets which milestone: only what the provider was sent counts (a draft
# still with the inspectors meets nothing, and is not shown).
_MET_BY = {
    "lead_inspector_briefing": ("briefing", "shared"),
    "outcome_letter": ("outcome_letter", "final"),
    "monitoring_report": ("outcome_letter", "final"),
    "draft_letter": ("visit_letter", "shared"),
    "factual_accuracy": ("visit_letter", "answered"),
    "final_letter": ("visit_letter", "final"),
}


def _met(activity: Activity) -> dict[str, date]:
    from vir.letters.queries import by_kind

    letters = by_kind(activity)
    met: dict[str, date] = {}
    for code, (kind, event) in _MET_BY.items():
        letter = letters.get(kind)
        if letter is None:
            continue
        when = {
            "shared": letter.shared_at and local_today(letter.shared_at),
            "answered": letter.answered_at and local_today(letter.answered_at),
            "final": letter.final_sent_on,
        }[event]
        if when:
            met[code] = when
    return met


NOTICES = ("formal_notification", "visit_notification")


def notice_warnings(activity: Activity) -> list[str]:
    """Said when an activity is recorded: its notification date has already passed."""
    from flask_babel import format_date
    from flask_babel import gettext as _

    for m in milestones(activity):
        if m.code in NOTICES and notice_date_passed(m.due, utcnow()):
            return [
                _(
                    "The provider should have been notified by %(date)s, and that date has "
                    "passed: the notice will be shorter than the guidance expects (see the "
                    "timeline). Tell the provider now, or choose a later date.",
                    date=format_date(m.due, "d MMMM y"),
                )
            ]
    return []


def _readable_folder(user: Any, folder: Any) -> int | None:
    """A folder's id, for those who may open it only (no one learns the id of a Link
    Inspectors folder they cannot see)."""
    if folder is None or user is None:
        return None
    return folder.id if can(user, READ, folder.room, folder.area) else None


def activity_dict(activity: Activity, user: Any = None) -> dict[str, Any]:
    user = user if user is not None else current_user
    met, now = _met(activity), utcnow()
    return {
        "id": activity.id,
        "provider": activity.provider.slug,
        "kind": activity.kind,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "papers_deadline": activity.papers_deadline if activity.is_conference else None,
        "deadline_extended": activity.deadline_extended_to is not None,
        "extension_reason": activity.extension_reason,
        "lead_inspector": activity.lead_inspector.email if activity.lead_inspector else None,
        "outcome_letter_received_on": activity.outcome_letter_received_on,
        "folders": {
            "provider": _readable_folder(user, activity.provider_folder),
            "inspectors": _readable_folder(user, activity.inspectors_folder),
            "post_conference": _readable_folder(user, activity.post_folder),
        },
        "milestones": [
            {
                "code": m.code,
                "label": str(MILESTONES[m.code][0]),
                "rule": str(MILESTONES[m.code][1]),
                "due": m.due,
                "due_until": m.due_until,
                "at": m.at,
                "done": met.get(m.code),
                # The provider's answer is never "late": an unanswered check simply closes.
                "late": m.code in _MET_BY
                and m.code != "factual_accuracy"
                and sent_late(m.due, met.get(m.code), now),
            }
            for m in milestones(activity)
        ],
        "starts_on": local_today(activity.starts_at),
    }
