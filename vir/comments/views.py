"""Comments, replies and notes from the document page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import READ, can_reply, can_write_notes, load_document, require
from vir.comments.api import post, require_notes
from vir.comments.forms import CommentForm
from vir.comments.models import CommentKind
from vir.core.errors import Refusal

bp = Blueprint("comments", __name__)


def _submit(document_id: int, kind: CommentKind) -> Any:
    document = load_document(document_id, READ)
    # The right first, then the form: no one learns more from a bad form than from a good one.
    if kind == CommentKind.NOTE:
        require_notes(document)
        allowed = can_write_notes(current_user, document)
    else:
        allowed = can_reply(current_user, document)  # replying is the lesser right
    require(
        allowed,
        f"document.{kind}",
        provider_id=document.folder.room.provider_id,
        object_type="document",
        object_id=document.id,
    )
    form = CommentForm()
    section = "notes" if kind == CommentKind.NOTE else "comments"
    back = url_for("documents.document", document_id=document.id, _anchor=section)
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        return redirect(back)
    reply_to = int(form.reply_to.data) if (form.reply_to.data or "").isdigit() else None
    try:
        made = post(document, {"body": form.body.data, "reply_to": reply_to}, kind)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(_("Note added.") if kind == CommentKind.NOTE else _("Comment added."), "success")
    return redirect(
        url_for("documents.document", document_id=document.id, _anchor=f"comment-{made['id']}")
    )


@bp.post("/documents/<int:document_id>/comments")
@login_required
def add_comment(document_id: int) -> Any:
    return _submit(document_id, CommentKind.COMMENT)


@bp.post("/documents/<int:document_id>/notes")
@login_required
def add_note(document_id: int) -> Any:
    return _submit(document_id, CommentKind.NOTE)
