"""The search page: the same search as the API, with facets, filters and suggestions."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.calendar import local_day_range
from vir.core.forms import date_arg
from vir.core.limits import limited
from vir.search import queries

bp = Blueprint("search", __name__)
FILTERS = ("provider", "area", "category", "from", "to", "sort")
MAX_QUERY = 500  # as the API's schema allows


@bp.get("/search")
@limited("VIR_RATE_SEARCH")
@login_required
def page() -> str:
    text = (request.args.get("q") or "").strip()
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    args = {k: request.args.get(k) for k in FILTERS if request.args.get(k)}
    errors: list[str] = []
    first, last = date_arg("from", errors), date_arg("to", errors)
    for name, day in (("from", first), ("to", last)):
        if day:  # links (pages, facets) carry the date as YYYY-MM-DD
            args[name] = day.isoformat()
    since, until = local_day_range(first, last)
    results = None
    if len(text) > MAX_QUERY:
        errors.append(_("A search can be at most %(n)d characters.", n=MAX_QUERY))
    if text and not errors:
        try:
            results = queries.search(
                current_user,
                text,
                provider=args.get("provider"),
                area=args.get("area"),
                category=args.get("category"),
                since=since,
                until=until,
                sort=args.get("sort", "relevance"),
                page=page_no,
                per_page=10,
            )
        except queries.SearchError as exc:
            errors.append(str(exc))
    return render_template(
        "search/page.html",
        q=text,
        results=results,
        error=errors[0] if errors else None,
        page=page_no,
        args=args,
        facets=facet_rows(results.facets) if results else {},
    )


def facet_rows(facets: dict[str, dict[str, int]]) -> dict[str, list[tuple[str, str, int]]]:
    """Each facet's (label, value, count), labelled in the reader's language (providers by
    name, not slug) and sorted as that language's readers look for them."""
    from sqlalchemy import select

    from vir.core.db import db
    from vir.core.i18n import locale
    from vir.core.labels import AREA_LABELS, CATEGORY_LABELS
    from vir.orgs.models import Organisation

    lang = locale()
    slugs = list(facets.get("provider", {}))
    names = {
        o.slug: o.name(lang)
        for o in db.session.scalars(select(Organisation).where(Organisation.slug.in_(slugs)))
    }
    labels = {"provider": names, "area": AREA_LABELS, "category": CATEGORY_LABELS}
    return {
        name: sorted(
            ((str(labels[name].get(value, value)), value, n) for value, n in counts.items()),
            key=lambda row: row[0].casefold(),
        )
        for name, counts in facets.items()
        if counts
    }
