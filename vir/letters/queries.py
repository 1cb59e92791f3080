"""Reading letters: an activity's, as far as the reader may see them, and the stakeholders'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vir.access import READ, can, released_letters
from vir.activities.models import Activity
from vir.calendar import local_today
from vir.core.db import db
from vir.letters.models import Letter, Stage
from vir.rooms.models import Area
from vir.rooms.operations import room_for


def for_activity(activity: Activity, user: Any) -> list[Letter]:
    """Inspectors see drafts too; the provider sees only what was shared with it."""
    room = room_for(activity.provider)
    if room is None:
        return []
    stmt = select(Letter).where(Letter.activity_id == activity.id).order_by(Letter.id)
    if not can(user, READ, room, Area.INSPECTORS):
        stmt = stmt.where(Letter.shared_document_id.is_not(None))
    return list(db.session.scalars(stmt))


def by_kind(activity: Activity) -> dict[str, Letter]:
    return {
        letter.kind: letter
        for letter in db.session.scalars(select(Letter).where(Letter.activity_id == activity.id))
    }


def released(user: Any) -> list[Letter]:
    return list(
        db.session.scalars(
            released_letters(user)
            .options(joinedload(Letter.activity).joinedload(Activity.provider))
            .order_by(Letter.final_sent_on.desc(), Letter.id.desc())
        )
    )


def checks_waiting(provider_ids: list[int], now: datetime) -> list[Letter]:
    """Accuracy checks still open for these providers (nearest due first)."""
    if not provider_ids:
        return []
    today = local_today(now)
    rows = db.session.scalars(
        select(Letter)
        .join(Activity, Letter.activity_id == Activity.id)
        .where(
            Activity.provider_id.in_(provider_ids),
            Letter.check_due_on.is_not(None),
            Letter.answer.is_(None),
            Letter.final_version.is_(None),
        )
        .order_by(Letter.check_due_on)
    )
    return [letter for letter in rows if letter.stage(today) == Stage.CHECKING]


def checks_closed_unanswered(provider_ids: list[int], now: datetime) -> list[Letter]:
    """Checks whose due date passed with no answer and no final yet: overdue, for the home
    page of both sides."""
    if not provider_ids:
        return []
    return list(
        db.session.scalars(
            select(Letter)
            .join(Activity, Letter.activity_id == Activity.id)
            .where(
                Activity.provider_id.in_(provider_ids),
                Letter.check_due_on < local_today(now),
                Letter.answer.is_(None),
                Letter.final_version.is_(None),
            )
            .order_by(Letter.check_due_on)
        )
    )


def letter_for_document(document: Any) -> Letter | None:
    """The letter a Provider Area document is the shared copy of, if any."""
    return db.session.scalar(select(Letter).where(Letter.shared_document_id == document.id))
