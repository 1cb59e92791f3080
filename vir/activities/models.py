from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.accounts.models import User
from vir.core.db import UTCDateTime, db, utcnow
from vir.orgs.models import Organisation
from vir.rooms.models import Folder


class ActivityKind(enum.StrEnum):
    IMPROVEMENT_CONFERENCE = "improvement_conference"
    PROGRESS_CONFERENCE = "progress_conference"
    MONITORING_VISIT = "monitoring_visit"
    CONSORTIUM_FOLLOW_UP_VISIT = "consortium_follow_up_visit"


CONFERENCES = {ActivityKind.IMPROVEMENT_CONFERENCE, ActivityKind.PROGRESS_CONFERENCE}


class Activity(db.Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lead_inspector_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    provider_folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id"))
    inspectors_folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id"))
    # Updated plans after a conference go here; late there is shown, never refused.
    post_folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id"))
    # Records and letters shared with the provider (made when the first one is shared).
    letters_folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id"))
    outcome_letter_received_on: Mapped[date | None] = mapped_column(Date)
    deadline_extended_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    provider: Mapped[Organisation] = relationship()
    lead_inspector: Mapped[User | None] = relationship(foreign_keys=[lead_inspector_id])
    provider_folder: Mapped[Folder] = relationship(foreign_keys=[provider_folder_id])
    inspectors_folder: Mapped[Folder] = relationship(foreign_keys=[inspectors_folder_id])
    post_folder: Mapped[Folder | None] = relationship(foreign_keys=[post_folder_id])
    letters_folder: Mapped[Folder | None] = relationship(foreign_keys=[letters_folder_id])

    @property
    def is_conference(self) -> bool:
        return self.kind in CONFERENCES

    @property
    def papers_deadline(self) -> datetime:
        from vir.calendar import papers_deadline

        return self.deadline_extended_to or papers_deadline(self.starts_at)
