"""The "What's new for me" page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from vir.core.db import utcnow
from vir.notifications.queries import whats_new

bp = Blueprint("notifications", __name__)
DAYS = (7, 14, 30)


@bp.get("/whats-new")
@login_required
def page() -> str:
    days = request.args.get("days", 14, type=int)
    days = days if days in DAYS else 14
    return render_template(
        "notifications/whats_new.html", new=whats_new(current_user, utcnow(), days), days=days
    )
