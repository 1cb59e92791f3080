"""The comparison page: two versions of a document, word by word."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required

from vir.access import READ, load_document
from vir.changes import operations as ops
from vir.core.errors import Refusal

bp = Blueprint("changes", __name__)


def _number(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and 0 < value < 2**31 else None


@bp.get("/documents/<int:document_id>/compare")
@login_required
def compare(document_id: int) -> Any:
    document = load_document(document_id, READ)
    try:
        found = ops.compare(document, _number("from"), _number("to"), _number("page") or 1)
    except Refusal as exc:
        return render_template(
            "changes/compare.html", document=document, refused=exc.message, found=None
        ), exc.status
    return render_template("changes/compare.html", document=document, found=found, refused=None)
