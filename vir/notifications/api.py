from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user, login_required

from vir.api.common import Blueprint
from vir.core.db import utcnow
from vir.letters.serialise import letter_dict, release_dict
from vir.notifications.queries import whats_new

blp = Blueprint("api_notifications", __name__, url_prefix="/api/v1", description="What's new")


class NewQuery(ma.Schema):
    days = ma.fields.Integer(load_default=14, validate=ma.validate.OneOf([7, 14, 30]))


class WhatsNewOut(ma.Schema):
    since = ma.fields.AwareDateTime()
    papers_due = ma.fields.List(ma.fields.Dict())
    new_papers = ma.fields.List(ma.fields.Dict())
    late_papers = ma.fields.List(ma.fields.Dict())
    forwards_waiting = ma.fields.List(ma.fields.Dict())
    forward_decisions = ma.fields.List(ma.fields.Dict())
    checks_waiting = ma.fields.List(ma.fields.Dict())
    check_answers = ma.fields.List(ma.fields.Dict())
    released = ma.fields.List(ma.fields.Dict())


def _paper(v: Any) -> dict[str, Any]:
    return {
        "document_id": v.document_id,
        "title": v.document.title,
        "version": v.version,
        "provider": v.document.folder.room.provider.slug,
        "uploaded_at": v.uploaded_at.isoformat(),
        "late": bool(v.late),
        "late_reason": v.late_reason,
    }


@blp.get("/me/new")
@login_required
@blp.arguments(NewQuery, location="query")
@blp.response(200, WhatsNewOut)
def new(args: dict[str, Any]) -> dict[str, Any]:
    """What is new for you in the last 7, 14 (default) or 30 days: the same items as the
    mail (papers due, new and late papers, forwarded evidence waiting or decided, accuracy
    checks waiting and answered, letters released to you)."""
    found = whats_new(current_user, utcnow(), args["days"])
    return {
        "since": found.since,
        "papers_due": [
            {
                "activity_id": d.activity.id,
                "provider": d.activity.provider.slug,
                "deadline": d.deadline.isoformat(),
            }
            for d in found.papers_due
        ],
        "new_papers": [_paper(v) for v in found.new_papers],
        "late_papers": [_paper(v) for v in found.late_papers],
        "forwards_waiting": [
            {"provider": room.provider.slug, "count": n} for room, n in found.forwards_waiting
        ],
        "forward_decisions": [
            {"forward_id": f.id, "status": f.status, "filename": f.filename}
            for f in found.forward_decisions
        ],
        "checks_waiting": [letter_dict(x) for x in found.checks_waiting],
        "check_answers": [letter_dict(x) for x in found.check_answers],
        "released": [release_dict(x) for x in found.released],
    }
