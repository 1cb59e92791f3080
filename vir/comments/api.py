from __future__ import annotations

from typing import Any

from flask_login import current_user, login_required

from vir.access import (
    READ,
    can_comment,
    can_read_notes,
    can_reply,
    can_write_notes,
    load_document,
    require,
)
from vir.api.common import Blueprint, refusals
from vir.comments import operations as ops
from vir.comments import queries
from vir.comments.models import CommentKind
from vir.comments.schemas import CommentFields, CommentSchema, CommentsSchema
from vir.comments.serialise import comment_dict
from vir.documents.models import Document

blp = Blueprint("api_comments", __name__, url_prefix="/api/v1", description="Comments")


def comments_for(document: Document) -> dict[str, Any]:
    """Comments for everyone who reads the document; notes only for those who may read
    the room's Link Inspectors area (the key is absent for anyone else)."""
    body: dict[str, Any] = {
        "comments": [comment_dict(c) for c in queries.threads(document, CommentKind.COMMENT)],
        "may_comment": can_comment(current_user, document),
        "may_reply": can_reply(current_user, document),
        "may_write_notes": can_write_notes(current_user, document),
    }
    if can_read_notes(current_user, document):
        body["notes"] = [comment_dict(c) for c in queries.threads(document, CommentKind.NOTE)]
    return body


def post(document: Document, fields: dict[str, Any], kind: CommentKind) -> dict[str, Any]:
    """Shared by the API and the web form: the right to write checked, then written."""
    parent = None
    audit = {"provider_id": document.folder.room.provider_id, "object_type": "document"}
    if fields.get("reply_to"):
        parent = queries.get(document, fields["reply_to"])
        if parent is None or parent.kind != kind or parent.parent_id is not None:
            require(False, f"document.{kind}", status=404, object_id=document.id, **audit)
    if kind == CommentKind.NOTE:
        allowed = can_write_notes(current_user, document)
    else:
        allowed = (can_reply if parent else can_comment)(current_user, document)
    require(allowed, f"document.{kind}", object_id=document.id, **audit)
    made = ops.add(
        document,
        current_user,
        fields["body"],
        kind=kind,
        version=fields.get("version"),
        reply_to=parent,
    )
    return comment_dict(made)


@blp.get("/documents/<int:document_id>/comments")
@login_required
@blp.response(200, CommentsSchema)
def list_comments(document_id: int) -> dict[str, Any]:
    """Comments on each version with their replies (and, for inspectors, their notes)."""
    return comments_for(load_document(document_id, READ))


@blp.post("/documents/<int:document_id>/comments")
@login_required
@blp.arguments(CommentFields)
@blp.response(201, CommentSchema)
def add_comment(fields: dict[str, Any], document_id: int) -> dict[str, Any]:
    """A comment by an inspector working with the provider, or (``reply_to``) a reply by
    them or by the document's editors."""
    document = load_document(document_id, READ)
    with refusals():
        return post(document, fields, CommentKind.COMMENT)


@blp.post("/documents/<int:document_id>/notes")
@login_required
@blp.arguments(CommentFields)  # a note takes the same fields
@blp.response(201, CommentSchema)
def add_note(fields: dict[str, Any], document_id: int) -> dict[str, Any]:
    """A private note for the inspectors (Link Inspectors content: no one else sees it)."""
    document = load_document(document_id, READ)
    require_notes(document)
    with refusals():
        return post(document, fields, CommentKind.NOTE)


def require_notes(document: Document) -> None:
    """Notes exist only for those who may read them: for anyone else, 404."""
    require(
        can_read_notes(current_user, document),
        "document.note",
        status=404,
        provider_id=document.folder.room.provider_id,
        object_type="document",
        object_id=document.id,
    )
