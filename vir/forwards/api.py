"""/api/v1/providers/{slug}/forwards and /api/v1/forwards/..."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import (
    READ,
    WRITE,
    can,
    can_forward_to,
    is_forwarder,
    load_forward,
    require,
)
from vir.activities.rules import LateDeclaration
from vir.api.common import Blueprint, fail, refusals
from vir.core.db import db
from vir.core.limits import limited
from vir.core.uploads import takes_files
from vir.documents.schemas import UploadFile
from vir.forwards import operations as ops
from vir.forwards import queries
from vir.forwards.downloads import forward_file_response
from vir.forwards.schemas import (
    AcceptFields,
    DeclineFields,
    ForwardFields,
    ForwardListQuery,
    ForwardSchema,
)
from vir.forwards.serialise import forward_dict
from vir.orgs.operations import by_slug
from vir.rooms.models import Folder

blp = Blueprint(
    "api_forwards",
    __name__,
    url_prefix="/api/v1",
    description="Evidence forwarded by consortia and partners",
)


@blp.post("/providers/<slug>/forwards")
@takes_files
@limited("VIR_RATE_UPLOAD")
@login_required
@blp.arguments(ForwardFields, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, ForwardSchema)
def create(fields: dict[str, Any], files: dict[str, Any], slug: str) -> dict[str, Any]:
    """Forward a file to an authority you serve (multipart: file, note, activity_id)."""
    provider = by_slug(slug)
    require(
        provider is not None and can_forward_to(current_user, provider),
        "forward.create",
        status=404,
        provider_id=provider.id if provider else None,
        object_type="provider",
        object_id=slug,
    )
    activity = None
    if fields["activity_id"] is not None:
        from vir.activities.models import Activity

        activity = db.session.get(Activity, fields["activity_id"])
        if activity is None or activity.provider_id != provider.id:
            fail(
                422,
                _("Choose one of this authority’s activities, or none."),
                code="validation_error",
                activity_id=[_("No such activity here.")],
            )
    upload = files["file"]
    with refusals():
        forward = ops.forward_file(
            provider,
            upload.stream,
            upload.filename,
            user=current_user,
            note=fields["note"],
            activity=activity,
        )
    return forward_dict(forward, current_user)


@blp.get("/forwards")
@login_required
@blp.arguments(ForwardListQuery, location="query")
@blp.response(200, ForwardSchema(many=True))
def list_forwards(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Forwards you sent (partners) and forwards to authorities whose inbox you may read."""
    found = []
    if args["direction"] in (None, "sent"):
        found += queries.sent(current_user, args["status"])
    if args["direction"] in (None, "received"):
        provider_id = None
        if args["provider"]:
            provider = by_slug(args["provider"])
            if provider is None:
                return []
            provider_id = provider.id
        found += queries.received(current_user, args["status"], provider_id)
    unique = {f.id: f for f in found}
    return [
        forward_dict(f, current_user)
        for f in sorted(unique.values(), key=lambda f: (f.created_at, f.id), reverse=True)
    ]


@blp.get("/forwards/<int:forward_id>")
@login_required
@blp.response(200, ForwardSchema)
def get_forward(forward_id: int) -> dict[str, Any]:
    """One forward and what became of it."""
    return forward_dict(load_forward(forward_id, READ), current_user)


@blp.get("/forwards/<int:forward_id>/download")
@login_required
@blp.response(200, description="the file (or, for S3, a redirect to a short-lived link)")
def download(forward_id: int) -> Response:
    """The forwarded file, until it is purged after a decision."""
    return forward_file_response(load_forward(forward_id, READ))


@blp.post("/forwards/<int:forward_id>/accept")
@login_required
@blp.arguments(AcceptFields)
@blp.response(201, ForwardSchema)
def accept(fields: dict[str, Any], forward_id: int) -> dict[str, Any]:
    """Accept into a Provider Area folder: a server-side copy becomes a new document there.
    The folder's papers deadline applies now (give information_date and late_reason for the
    one-week exception)."""
    forward = load_forward(forward_id, WRITE)
    folder = db.session.get(Folder, fields["folder_id"])
    if folder is None or not can(current_user, READ, folder.room, folder.area):
        fail(
            422,
            _("Choose a folder of your Provider Area."),
            code="validation_error",
            folder_id=[_("No such folder.")],
        )
    declaration = LateDeclaration.given(fields.get("information_date"), fields.get("late_reason"))
    with refusals():
        _document, warnings = ops.accept(
            forward,
            folder,
            user=current_user,
            title=fields["title"],
            category=fields["category"],
            declaration=declaration,
        )
    return forward_dict(forward, current_user, warnings)


@blp.post("/forwards/<int:forward_id>/decline")
@login_required
@blp.arguments(DeclineFields)
@blp.response(200, ForwardSchema)
def decline(fields: dict[str, Any], forward_id: int) -> dict[str, Any]:
    """Decline, with a reason the sender will see."""
    forward = load_forward(forward_id, WRITE)
    with refusals():
        ops.decline(forward, fields["reason"], user=current_user)
    return forward_dict(forward, current_user)


@blp.post("/forwards/<int:forward_id>/withdraw")
@login_required
@blp.response(200, ForwardSchema)
def withdraw(forward_id: int) -> dict[str, Any]:
    """Withdraw a forward your organisation sent, while it is still pending."""
    forward = load_forward(forward_id, READ)
    require(
        is_forwarder(current_user, forward),
        "forward.withdraw",
        provider_id=forward.provider_id,
        object_type="forward",
        object_id=forward_id,
    )
    with refusals():
        ops.withdraw(forward, user=current_user)
    return forward_dict(forward, current_user)
