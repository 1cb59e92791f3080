from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from vir.comments.models import Comment, CommentKind
from vir.core.db import db
from vir.documents.models import Document


def threads(document: Document, kind: CommentKind) -> list[Comment]:
    """Top-level comments (or notes) on a document, oldest first, with their replies and
    authors loaded (a fixed number of statements however many there are)."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.document_id == document.id,
                Comment.kind == kind,
                Comment.parent_id.is_(None),
            )
            .order_by(Comment.created_at, Comment.id)
            .options(
                selectinload(Comment.author),
                selectinload(Comment.version),
                selectinload(Comment.replies).selectinload(Comment.author),
            )
        )
    )


def get(document: Document, comment_id: int) -> Comment | None:
    found = db.session.get(Comment, comment_id)
    return found if found is not None and found.document_id == document.id else None
