"""Writing comments, replies and notes; every one audited."""

from __future__ import annotations

from flask_babel import gettext as _

from vir.accounts.models import User
from vir.audit.operations import record
from vir.comments.models import Comment, CommentKind
from vir.core.db import db
from vir.core.errors import Refusal
from vir.core.labels import number
from vir.core.text import clean_text
from vir.documents.models import Document, DocumentVersion

MAX_LENGTH = 10_000


def _body(text: str) -> str:
    body = clean_text(text or "").strip()
    if not body:
        raise Refusal(_("Write the comment first."), "empty", 422, field="body")
    if len(body) > MAX_LENGTH:
        raise Refusal(
            _("A comment can be at most %(num)s characters.", num=number(MAX_LENGTH)),
            "too_long",
            422,
            field="body",
        )
    return body


def _version(document: Document, number: int | None) -> DocumentVersion:
    version = document.version(number)
    if version is None:
        raise Refusal(
            _("This document has no version %(num)s.", num=number), "no_version", 404, "version"
        )
    return version


def add(
    document: Document,
    user: User,
    text: str,
    *,
    kind: CommentKind = CommentKind.COMMENT,
    version: int | None = None,
    reply_to: Comment | None = None,
) -> Comment:
    """A comment (or note) on a version (by default the current one); a reply takes the
    version and kind of what it answers. The caller has checked the right to write it."""
    body = _body(text)
    if reply_to is not None:
        if reply_to.document_id != document.id or reply_to.parent_id is not None:
            raise Refusal(_("That comment cannot be replied to."), "not_found", 404)
        kind, target = CommentKind(reply_to.kind), reply_to.version
    else:
        target = _version(document, version)
    comment = Comment(
        document_id=document.id,
        version_id=target.id,
        parent_id=reply_to.id if reply_to else None,
        kind=kind,
        body=body,
        author_id=user.id,
        author_org=user.organisation.slug if user.organisation else "",
    )
    db.session.add(comment)
    db.session.flush()
    record(
        "document.note" if kind == CommentKind.NOTE else "document.comment",
        object_type="document",
        object_id=document.id,
        provider_id=document.folder.room.provider_id,
        comment=comment.id,
        version=target.version,
        reply_to=reply_to.id if reply_to else None,
    )
    db.session.commit()
    return comment
