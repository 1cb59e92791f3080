"""The audit log page for co-ordinators, with filters and CSV export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from vir.access import can_view_audit, require
from vir.audit import queries
from vir.audit.api import export_csv
from vir.calendar import local_day_range
from vir.core.db import db
from vir.core.forms import date_arg
from vir.orgs.models import Organisation

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.get("/")
@login_required
def index() -> str | Response:
    require(can_view_audit(current_user), "audit.view")
    errors: list[str] = []
    since, until = local_day_range(date_arg("since", errors), date_arg("until", errors))
    args = {k: (request.args.get(k) or "").strip() or None for k in ("provider", "action", "actor")}
    stmt = queries.filtered(since=since, until=until, **args)
    if request.args.get("format") == "csv" and not errors:
        return export_csv(stmt)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    providers = db.session.scalars(select(Organisation).order_by(Organisation.name_en)).all()
    return render_template(
        "audit/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        errors=errors,
        providers=providers,
        args=request.args,
    )
