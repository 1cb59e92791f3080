from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from vir.core.db import UTCDateTime, db, utcnow
from vir.documents.models import DocumentVersion


class IndexStatus(enum.StrEnum):
    PENDING = "pending"
    INDEXED = "indexed"
    NO_TEXT = "no_text"
    PARTIAL = "partial"  # searchable, but not all of its text (the reason says why)
    FAILED = "failed"


class DocumentText(db.Model):
    """The text extracted from one version, kept so the index can be rebuilt without
    extracting again and snippets can be cut from it."""

    __tablename__ = "document_texts"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default=IndexStatus.PENDING, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # a code of vir.search.extract.NOTES (worded by vir.core.labels.INDEX_REASONS)
    reason: Mapped[str] = mapped_column(Text, default="")
    extracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Deleting a version (a purge) deletes its text with it; the database's ON DELETE CASCADE
    # does the work, SQLAlchemy must not try to blank the key out first.
    version: Mapped[DocumentVersion] = relationship(
        backref=backref(
            "text_row", cascade="all, delete-orphan", passive_deletes=True, uselist=False
        )
    )
