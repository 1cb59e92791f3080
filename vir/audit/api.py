"""/api/v1/audit: the audit trail for co-ordinators, as JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask_login import current_user, login_required
from sqlalchemy import func, select

from vir.access import audit_scope, require
from vir.api.common import Blueprint
from vir.audit import queries
from vir.audit.schemas import AuditPage, AuditQuery
from vir.core.db import db

blp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="Audit trail")


def export_csv(stmt: Any) -> Response:
    return Response(
        stream_with_context(queries.csv_lines(stmt)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="vir-audit.csv"'},
    )


@blp.get("/audit")
@login_required
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPage)
@blp.alt_response(200, content_type="text/csv", description="with format=csv", success=True)
def audit(args: dict[str, Any]) -> Any:
    """Who did what, when and from where; format=csv for a file. Co-ordinators read all of
    it; administrators the account and security events only."""
    scope = audit_scope(current_user)
    require(scope is not None, "audit.view")
    stmt = queries.filtered(
        provider=args["provider"],
        action=args["action"],
        since=args["since"],
        until=args["until"],
        actor=args["actor"],
        object_type=args["object_type"],
        object_id=args["object_id"],
        scope=scope,
    )
    if args["format"] == "csv":
        return export_csv(stmt)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = db.session.execute(
        stmt.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])
    )
    return {
        "total": total,
        "page": args["page"],
        "results": [queries.as_dict(e, slug) for e, slug in page],
    }
