"""The audit log page for co-ordinators, with filters and CSV export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from vir.access import audit_scope, require
from vir.audit import queries
from vir.audit.api import export_csv
from vir.calendar import local_day_range
from vir.core.db import db
from vir.core.forms import date_arg
from vir.core.i18n import by_name
from vir.orgs.models import Organisation

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.get("/")
@login_required
def index() -> str | Response:
    scope = audit_scope(current_user)
    require(scope is not None, "audit.view")
    errors: list[str] = []
    since, until = local_day_range(date_arg("since", errors), date_arg("until", errors))
    keys = ("provider", "action", "actor", "object_type", "object_id")
    args = {k: (request.args.get(k) or "").strip()[:64] or None for k in keys}
    stmt = queries.filtered(since=since, until=until, scope=scope, **args)
    if request.args.get("format") == "csv" and not errors:
        return export_csv(stmt)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    providers = by_name(db.session.scalars(select(Organisation)))
    return render_template(
        "audit/index.html",
        audit_object_url=object_url,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        errors=errors,
        providers=providers,
        args=request.args,
        scope=scope,
        filter_url=filter_url,
    )


def filter_url(**change: str | None) -> str:
    """This page with one filter changed (None: removed), the others kept, on page 1."""
    kept = {k: v for k, v in request.args.items() if k not in ("page", "format") and v}
    kept.update(change)
    return url_for("audit.index", **{k: v for k, v in kept.items() if v})


# Where an audited object can be opened (the reader of the audit log can read every room).
OBJECT_PAGES = {
    "document": ("documents.document", "document_id"),
    "folder": ("rooms.folder", "folder_id"),
    "activity": ("activities.page", "activity_id"),
    "forward": ("forwards.page", "forward_id"),
    "letter": ("letters.page", "letter_id"),
}


def object_url(event: Any) -> str | None:
    """A link to the object of an event, or None (no page, or an id that is not a row's)."""
    if event.object_type == "room" and event.object_id:
        return url_for("rooms.room", slug=event.object_id)
    page = OBJECT_PAGES.get(event.object_type or "")
    if page is None or not str(event.object_id or "").isdigit() or len(str(event.object_id)) > 9:
        return None
    endpoint, arg = page
    return url_for(endpoint, **{arg: int(event.object_id)})
