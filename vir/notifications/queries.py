"""What's new for me: the same items the mail carries (papers due, new and late papers,
forwarded evidence, accuracy checks, answers, releases), in the service, so that nothing
depends on mail alone. Each list is of what the reader may see, decided by vir.access."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from vir.access import can_forward, can_read_forwards, readable_areas, visible_rooms
from vir.core.db import db


@dataclass
class WhatsNew:
    since: datetime
    papers_due: list[Any] = field(default_factory=list)  # Deadline
    new_papers: list[Any] = field(default_factory=list)  # DocumentVersion
    late_papers: list[Any] = field(default_factory=list)  # DocumentVersion
    forwards_waiting: list[tuple[Any, int]] = field(default_factory=list)  # (room, count)
    forward_decisions: list[Any] = field(default_factory=list)  # Forward
    checks_waiting: list[Any] = field(default_factory=list)  # Letter
    check_answers: list[Any] = field(default_factory=list)  # Letter
    released: list[Any] = field(default_factory=list)  # Letter

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.papers_due,
                self.new_papers,
                self.late_papers,
                self.forwards_waiting,
                self.forward_decisions,
                self.checks_waiting,
                self.check_answers,
                self.released,
            )
        )


LIMIT = 50


def whats_new(user: Any, now: datetime, days: int = 14) -> WhatsNew:
    from vir.activities.queries import coming_up, late_papers, provider_area_versions
    from vir.forwards.models import Forward, ForwardStatus
    from vir.forwards.queries import pending_counts
    from vir.letters import queries as letters
    from vir.letters.models import Letter
    from vir.rooms.models import Area

    since = now - timedelta(days=days)
    found = WhatsNew(since=since)
    rooms = [(room, readable_areas(user, room)) for room in db.session.scalars(visible_rooms(user))]
    provider = [room.provider_id for room, areas in rooms if Area.PROVIDER in areas]
    inspectors = [room.provider_id for room, areas in rooms if Area.INSPECTORS in areas]
    found.papers_due = [d for d in coming_up(provider, now) if d.deadline >= now]
    found.new_papers = provider_area_versions(provider, since, not_by=user.id, limit=LIMIT)
    found.late_papers = late_papers(provider, now, days=days, limit=LIMIT)
    inboxes = [room for room, _areas in rooms if can_read_forwards(user, room)]
    counts = pending_counts([room.provider_id for room in inboxes])
    found.forwards_waiting = [
        (r, counts[r.provider_id]) for r in inboxes if counts.get(r.provider_id)
    ]
    if can_forward(user):
        found.forward_decisions = list(
            db.session.scalars(
                select(Forward)
                .where(
                    Forward.from_org_id == user.org_id,
                    Forward.status.in_([ForwardStatus.ACCEPTED, ForwardStatus.DECLINED]),
                    Forward.decided_at > since,
                )
                .order_by(Forward.decided_at.desc())
                .limit(LIMIT)
            )
        )
    found.checks_waiting = letters.checks_waiting(provider, now)
    if inspectors:
        found.check_answers = [
            letter
            for letter in db.session.scalars(
                select(Letter).where(Letter.answered_at > since).order_by(Letter.answered_at.desc())
            )
            if letter.activity.provider_id in inspectors
        ][:LIMIT]
    found.released = [
        letter
        for letter in letters.released(user)
        if any(r.org_id == user.org_id and r.released_at > since for r in letter.releases)
    ][:LIMIT]
    return found
