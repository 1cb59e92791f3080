"""What a papers folder page shows about its activity: deadline, countdown, checklist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app

from vir.activities.models import CONFERENCES, Activity, ActivityKind
from vir.activities.operations import for_folder, for_provider
from vir.calendar import countdown, days_until, updated_plans_due
from vir.orgs.models import OrgKind
from vir.rooms.models import Folder

# Always expected in a conference folder (001, Appendix 1); a consortium adds its SER (000).
EXPECTED = ["improvement_plan", "organisation_structure", "significant_report", "council_paper"]
VISIT_EXPECTED = ["self_evaluation_report", "data"]


@dataclass
class FolderActivity:
    activity: Activity
    part: str  # papers | post | inspectors
    deadline: datetime | None = None
    days_left: int = 0
    hours_left: int = 0
    passed: bool = False
    closed: bool = False
    checklist: list[tuple[str, bool]] = field(default_factory=list)
    too_many: bool = False
    # The updated-plans folder: due four working weeks after the outcome letter arrived.
    plans_due: date | None = None
    plans_days_left: int = 0


def folder_activity(
    folder: Folder, categories: set[str], count: int, now: datetime
) -> FolderActivity | None:
    """The activity a folder serves, and for a papers folder its deadline and the expected
    documents (``categories`` present, ``count`` documents in all)."""
    found = for_folder(folder)
    if found is None:
        return None
    activity, part = found
    info = FolderActivity(activity, part)
    if part == "papers" and activity.is_conference:
        info.deadline = activity.papers_deadline
        info.days_left, info.hours_left = countdown(now, info.deadline)
        info.passed = now > info.deadline
        info.closed = now >= activity.starts_at
        expected = list(EXPECTED)
        if activity.provider.kind == OrgKind.CONSORTIUM:
            expected.append("self_evaluation_report")
        info.checklist = [(c, c in categories) for c in expected]
        info.too_many = count > current_app.config["VIR_FOLDER_SOFT_LIMIT"]
    elif part == "post" and activity.outcome_letter_received_on:
        info.plans_due = updated_plans_due(activity.outcome_letter_received_on)
        info.plans_days_left = days_until(info.plans_due, now)
    elif part == "papers" and activity.kind == ActivityKind.CONSORTIUM_FOLLOW_UP_VISIT:
        # The consortium provides an up-to-date SER and its latest data (guidance 000).
        info.checklist = [(c, c in categories) for c in VISIT_EXPECTED]
    return info


def upcoming(provider_id: int) -> list[Activity]:
    return for_provider(provider_id)


@dataclass
class Deadline:
    activity: Activity
    deadline: datetime
    days_left: int
    hours_left: int


def coming_up(provider_ids: list[int], now: datetime, limit: int = 10) -> list[Deadline]:
    """Conferences not yet started in these rooms, soonest papers deadline first."""
    from sqlalchemy import select

    from vir.core.db import db

    if not provider_ids:
        return []
    activities = db.session.scalars(
        select(Activity).where(
            Activity.provider_id.in_(provider_ids),
            Activity.starts_at > now,
            Activity.kind.in_(CONFERENCES),
        )
    )
    found = []
    for activity in activities:
        deadline = activity.papers_deadline
        found.append(Deadline(activity, deadline, *countdown(now, deadline)))
    return sorted(found, key=lambda d: d.deadline)[:limit]


def late_papers(
    provider_ids: list[int], now: datetime, days: int = 30, limit: int = 10
) -> list[Any]:
    """Papers shared late in these rooms' Provider Areas recently, newest first."""
    from datetime import timedelta

    return provider_area_versions(
        provider_ids, now - timedelta(days=days), late_only=True, limit=limit
    )


def provider_area_versions(
    provider_ids: list[int],
    since: datetime,
    *,
    late_only: bool = False,
    not_by: int | None = None,
    limit: int = 10,
) -> list[Any]:
    """Versions shared in these rooms' Provider Areas since then (only late ones, or none by
    one user), newest first."""
    from sqlalchemy import select

    from vir.core.db import db
    from vir.documents.models import Document, DocumentVersion
    from vir.rooms.models import Area, Room

    if not provider_ids:
        return []
    stmt = (
        select(DocumentVersion)
        .join(Document)
        .join(Folder)
        .join(Room)
        .where(
            Room.provider_id.in_(provider_ids),
            Folder.area == Area.PROVIDER,
            Document.deleted_at.is_(None),
            DocumentVersion.uploaded_at > since,
        )
    )
    if late_only:
        stmt = stmt.where(DocumentVersion.late.is_(True))
    if not_by is not None:
        stmt = stmt.where(DocumentVersion.uploaded_by_id.is_distinct_from(not_by))
    return list(db.session.scalars(stmt.order_by(DocumentVersion.uploaded_at.desc()).limit(limit)))
