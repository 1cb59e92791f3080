from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.accounts.models import User
from vir.core.db import UTCDateTime, db, utcnow


class CommentKind(enum.StrEnum):
    COMMENT = "comment"  # seen by everyone who may read the document
    NOTE = "note"  # inspectors only: Link Inspectors content


class Comment(db.Model):
    """A comment on one version of a document, a reply to one, or an inspector's note."""

    __tablename__ = "document_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    # The version it was made on: a later version does not carry it over.
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_comments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_org: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    version = relationship("DocumentVersion")
    replies: Mapped[list[Comment]] = relationship(
        order_by="Comment.created_at", cascade="all, delete-orphan"
    )
