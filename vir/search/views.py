"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from vir.search import queries

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def page() -> str:
    text = (request.args.get("q") or "").strip()
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    results, error = None, None
    if text:
        try:
            results = queries.search(current_user, text, page=page_no, per_page=10)
        except queries.SearchError as exc:
            error = str(exc)
    return render_template("search/page.html", q=text, results=results, error=error,
                           page=page_no)
