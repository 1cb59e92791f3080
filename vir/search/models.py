from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
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


# --- the PostgreSQL back end's index (vir.search.pg_backend) -----------------------------------
# Created on SQLite too, where they stay empty: one schema for every database keeps the models
# and migrations comparable.
TERMS = Text().with_variant(TSVECTOR(), "postgresql")


class SearchEntry(db.Model):
    """One indexed document: its terms (every field's, told apart by a one-letter prefix: see
    `vir.search.pg_backend`) and the fields that are not in the documents' own tables."""

    __tablename__ = "search_entries"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    activity: Mapped[str] = mapped_column(String(32), default="")
    organisation: Mapped[str] = mapped_column(String(64), default="")
    terms: Mapped[str] = mapped_column(TERMS)
    # what scores are computed from: a smaller vector (vir.search.pg_backend.RANKED_FIELDS)
    rank_terms: Mapped[str] = mapped_column(TERMS)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_search_entries_terms", "terms", postgresql_using="gin"),)


class SearchWord(db.Model):
    """Every word indexed (as written, folded), for fuzzy~ words, wild?cards and "did you
    mean". A word here may belong only to documents the caller cannot read, or to none any
    more: each use checks that a readable document holds it."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (
        Index(
            "ix_search_words_trigrams",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
        ),
    )
