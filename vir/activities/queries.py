"""What a papers folder page shows about its activity: deadline, countdown, checklist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from vir.activities.models import Activity
from vir.activities.operations import for_folder, for_provider
from vir.calendar import countdown
from vir.orgs.models import OrgKind
from vir.rooms.models import Folder

# Always expected in a conference folder (001, Appendix 1); a consortium adds its SER (000).
EXPECTED = ["improvement_plan", "organisation_structure", "significant_report", "council_paper"]


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


def folder_activity(folder: Folder, documents: list[Any], now: datetime) -> FolderActivity | None:
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
        present = {d.category for d in documents}
        info.checklist = [(c, c in present) for c in expected]
        info.too_many = len(documents) > current_app.config["VIR_FOLDER_SOFT_LIMIT"]
    return info


def upcoming(provider_id: int) -> list[Activity]:
    return for_provider(provider_id)
