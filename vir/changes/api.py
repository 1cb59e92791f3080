from __future__ import annotations

from typing import Any

from flask_login import login_required

from vir.access import READ, load_document
from vir.api.common import Blueprint, refusals
from vir.changes import operations as ops
from vir.changes.schemas import CompareQuery, ComparisonSchema
from vir.changes.serialise import comparison_dict

blp = Blueprint("api_changes", __name__, url_prefix="/api/v1", description="What changed")


@blp.get("/documents/<int:document_id>/compare")
@login_required
@blp.arguments(CompareQuery, location="query")
@blp.response(200, ComparisonSchema)
def compare(args: dict[str, Any], document_id: int) -> dict[str, Any]:
    """Word-level differences between two versions' text (``from``, ``to``; by default the
    current version and the one before), a page of paragraphs at a time."""
    document = load_document(document_id, READ)
    with refusals():
        found = ops.compare(document, args["from_"], args["to"], args["page"])
    return comparison_dict(found)
