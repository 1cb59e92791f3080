"""/api/v1/search"""

from __future__ import annotations

from typing import Any

from flask_login import current_user, login_required

from vir.access import READ, load_document
from vir.api.common import Blueprint, fail
from vir.calendar import local_day_range
from vir.core.limits import limited
from vir.search import queries
from vir.search.schemas import SearchHit, SearchQuery, SearchResults

blp = Blueprint("api_search", __name__, url_prefix="/api/v1", description="Full-text search")


def hit_dict(hit: queries.Hit) -> dict[str, Any]:
    d, v = hit.document, hit.document.current
    return {
        "document_id": d.id,
        "version": v.version,
        "title": d.title,
        "filename": v.filename,
        "provider": d.folder.room.provider.slug,
        "area": d.folder.area,
        "folder_id": d.folder_id,
        "category": d.category,
        "uploaded_at": v.uploaded_at,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
    }


@blp.get("/search")
@limited("VIR_RATE_SEARCH")
@login_required
@blp.arguments(SearchQuery, location="query")
@blp.response(200, SearchResults)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Words, "phrases", AND/OR/NOT, prefix*, field:value; only what you may read."""
    since, until = local_day_range(args["since"], args["until"])
    try:
        results = queries.search(
            current_user,
            args["q"],
            provider=args["provider"],
            area=args["area"],
            category=args["category"],
            since=since,
            until=until,
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
            facets=args["facets"],
        )
    except queries.SearchError as exc:
        fail(422, str(exc), code="validation_error", q=[str(exc)])
    return {
        "total": results.total,
        "page": results.page,
        "results": [hit_dict(h) for h in results.hits],
        "facets": results.facets,
        "suggestion": results.suggestion,
    }


@blp.get("/documents/<int:document_id>/similar")
@login_required
@blp.response(200, SearchHit(many=True))
def similar(document_id: int) -> list[dict[str, Any]]:
    """More like this: documents with similar text, among those you may read."""
    document = load_document(document_id, READ)
    return [hit_dict(h) for h in queries.more_like(current_user, document)]
