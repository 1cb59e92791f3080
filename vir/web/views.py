from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session
from flask_login import current_user, login_required
from sqlalchemy import text
from werkzeug.wrappers import Response

from vir.access import (
    can_admin,
    can_forward,
    can_read_forwards,
    can_view_audit,
    readable_areas,
    visible_rooms,
)
from vir.accounts.forms import EmptyForm
from vir.accounts.views import safe_next
from vir.core.db import db
from vir.core.i18n import LOCALES, locale, name_sort_key

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def home() -> str:
    # In the order of the providers' names in the reader's language (the Welsh alphabet
    # in Welsh), not the English names' order.
    language = locale()
    rooms = sorted(
        (
            (room, readable_areas(current_user, room))
            for room in db.session.scalars(visible_rooms(current_user))
        ),
        key=lambda pair: name_sort_key(pair[0].provider.name(language), language),
    )
    from vir.activities.queries import coming_up, late_papers
    from vir.core.db import utcnow
    from vir.forwards.queries import pending_counts, sent_pending_count

    now = utcnow()
    provider_ids = [room.provider_id for room, areas in rooms]
    # Late papers are in Provider Areas: show them to whoever reads that area.
    late_ids = [room.provider_id for room, areas in rooms if "provider" in areas]

    inboxes = [room for room, _areas in rooms if can_read_forwards(current_user, room)]
    counts = pending_counts([room.provider_id for room in inboxes])
    forwards_waiting = [
        (room, counts[room.provider_id]) for room in inboxes if counts.get(room.provider_id)
    ]
    sender = can_forward(current_user)
    from vir.letters import queries as letters

    # Checks waiting: for the provider's own users to answer; for inspectors to follow.
    check_ids = [room.provider_id for room, areas in rooms if "provider" in areas]
    return render_template(
        "home.html",
        rooms=rooms,
        deadlines=coming_up(provider_ids, now),
        late=late_papers(late_ids, now),
        forwards_waiting=forwards_waiting,
        sender=sender,
        sent_pending=sent_pending_count(current_user),
        is_admin=can_admin(current_user),
        can_audit=can_view_audit(current_user),
        checks_waiting=letters.checks_waiting(check_ids, now),
        checks_overdue=letters.checks_closed_unanswered(check_ids, now),
        released=letters.released(current_user)[:10],
    )


@bp.post("/language")
def language() -> Response:
    """Switch language and stay on the same page; remembered for the user."""
    form = EmptyForm()
    chosen = request.form.get("locale", "")
    if not form.validate_on_submit() or chosen not in LOCALES:
        abort(400)
    session["locale"] = chosen
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/livez")
def livez() -> tuple[dict[str, Any], int]:
    """For load balancers and supervisors: the process is up and answering."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """For load balancers: each part this process needs, with its state (ok, failed, or off
    when not configured). Never a reason: those are in the log and in ``vir doctor``."""
    from vir.core.health import run_checks

    found = run_checks()
    ready = all(c.ready for c in found)
    body = {"status": "ok" if ready else "unavailable", "checks": {c.name: c.state for c in found}}
    return body, 200 if ready else 503


@bp.get("/health")
def health() -> tuple[dict[str, Any], int]:
    """For load balancers: is the database reachable?"""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the reason is in the log
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
