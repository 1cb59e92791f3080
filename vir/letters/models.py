from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.accounts.models import User
from vir.activities.models import Activity
from vir.core.db import UTCDateTime, db, utcnow
from vir.documents.models import Document
from vir.orgs.models import Organisation
from vir.rooms.models import Room


class LetterKind(enum.StrEnum):
    CONFERENCE_RECORD = "conference_record"
    OUTCOME_LETTER = "outcome_letter"
    VISIT_LETTER = "visit_letter"
    BRIEFING = "briefing"


class Answer(enum.StrEnum):
    NO_ERRORS = "no_errors"
    CORRECTIONS = "corrections"


class Stage(enum.StrEnum):
    DRAFT = "draft"  # in the Link Inspectors area only
    CHECKING = "checking"  # in the Provider Area, the accuracy check open
    CHECKED = "checked"  # the check closed (answered, or its due date passed)
    PUBLISHED = "published"  # a briefing, shared without a check
    FINAL = "final"


class Letter(db.Model):
    """One record, letter or briefing of an activity. The draft is a document in the
    activity's Link Inspectors folder; what the provider sees is a copy in the Provider Area
    (never the drafts before it), whose later version is the final."""

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("activity_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    draft_document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    shared_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    check_due_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(String(16))
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    final_version: Mapped[int | None] = mapped_column()
    final_sent_on: Mapped[date | None] = mapped_column(Date)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    for_publication: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    activity: Mapped[Activity] = relationship()
    draft_document: Mapped[Document] = relationship(foreign_keys=[draft_document_id])
    shared_document: Mapped[Document | None] = relationship(foreign_keys=[shared_document_id])
    answer_document: Mapped[Document | None] = relationship(foreign_keys=[answer_document_id])
    shared_by: Mapped[User | None] = relationship(foreign_keys=[shared_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    releases: Mapped[list[LetterRelease]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterRelease.id"
    )

    @property
    def activity_room(self) -> Room:
        """The room of the letter's activity, where its access is decided."""
        from vir.rooms.operations import room_for

        room = room_for(self.activity.provider)
        assert room is not None  # activities exist only in providers with a room
        return room

    def stage(self, today: date) -> Stage:
        if self.final_version is not None:
            return Stage.FINAL
        if self.shared_document_id is None:
            return Stage.DRAFT
        if self.check_due_on is None:
            return Stage.PUBLISHED
        from vir.calendar import check_open_on

        if self.answer is None and check_open_on(self.check_due_on, today):
            return Stage.CHECKING
        return Stage.CHECKED


class LetterRelease(db.Model):
    """A final letter or record released to one stakeholder organisation."""

    __tablename__ = "letter_releases"
    __table_args__ = (UniqueConstraint("letter_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    letter: Mapped[Letter] = relationship(back_populates="releases")
    organisation: Mapped[Organisation] = relationship()
