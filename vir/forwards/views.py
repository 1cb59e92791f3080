"""Forwarded evidence pages: a partner's form and sent list, an authority's inbox, and the page
of one forward where the authority accepts or declines it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from vir.access import (
    READ,
    WRITE,
    can_decide_forwards,
    can_forward,
    can_forward_to,
    can_read_forwards,
    forward_rooms,
    is_forwarder,
    load_forward,
    load_room,
    require,
    served_providers,
)
from vir.accounts.forms import EmptyForm
from vir.activities.models import Activity
from vir.activities.rules import LateDeclaration
from vir.core.db import db, utcnow
from vir.core.forms import options
from vir.core.i18n import by_name, locale
from vir.core.labels import ACTIVITY_LABELS
from vir.core.templating import local_datetime
from vir.core.uploads import takes_files
from vir.documents.validation import UploadRefused
from vir.forwards import operations as ops
from vir.forwards import queries
from vir.forwards.downloads import forward_file_response
from vir.forwards.forms import AcceptForm, DeclineForm, ForwardForm
from vir.forwards.models import Forward, ForwardStatus
from vir.orgs.operations import by_slug
from vir.rooms.models import Area, Folder, Room
from vir.rooms.operations import folders_in, room_for
from vir.storage import StorageError
from vir.storage.http import previewable

bp = Blueprint("forwards", __name__)

STORE_DOWN = "The document store is not available. Nothing was saved; try again later."


def _status_arg() -> str | None:
    status = request.args.get("status") or None
    return status if status in set(ForwardStatus) else None


@bp.get("/forwards")
@login_required
def index() -> str:
    """What the user's organisation forwarded, and what was forwarded to rooms they read."""
    status = _status_arg()
    rooms = forward_rooms(current_user)
    return render_template(
        "forwards/index.html",
        status=status,
        sender=can_forward(current_user),
        sent=queries.sent(current_user, status),
        received=queries.received(current_user, status, rooms=rooms),
        rooms=rooms,
        stale=ops.is_stale,
    )


def _forward_form() -> tuple[ForwardForm, bool]:
    """The form, and whether there is any authority to forward to."""
    form = ForwardForm()
    providers = by_name(db.session.scalars(served_providers(current_user)))
    form.provider.choices = options(
        ([("", _("Choose the authority"))] if len(providers) != 1 else [])
        + [(p.slug, p.name(locale())) for p in providers]
    )
    upcoming = db.session.scalars(
        select(Activity)
        .where(Activity.provider_id.in_([p.id for p in providers]), Activity.ends_at > utcnow())
        .order_by(Activity.starts_at)
    )
    form.activity_id.choices = options(
        [(0, _("Not for a particular activity"))]
        + [
            (
                a.id,
                f"{a.provider.name(locale())}: {ACTIVITY_LABELS[a.kind]}, "
                f"{local_datetime(a.starts_at, 'd MMMM y')}",
            )
            for a in upcoming
        ]
    )
    return form, bool(providers)


@bp.route("/forwards/new", methods=["GET", "POST"])
@takes_files
@login_required
def new() -> Any:
    """A partner forwards one or more files to an authority it serves."""
    require(
        can_forward(current_user),
        "forward.create",
        status=404,
        object_type="forward",
        object_id="new",
    )
    form, served = _forward_form()
    if request.method == "GET":
        return render_template("forwards/new.html", form=form, served=served)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not form.validate_on_submit() or not files:
        if not files:
            form.files.errors = [_("Choose at least one file to forward")]
        return render_template("forwards/new.html", form=form, served=served), 422
    provider = by_slug(form.provider.data)
    require(
        provider is not None and can_forward_to(current_user, provider),
        "forward.create",
        status=404,
        object_type="provider",
        object_id=form.provider.data,
    )
    activity = db.session.get(Activity, form.activity_id.data) if form.activity_id.data else None
    outcomes = []
    for f in files:
        try:
            forward = ops.forward_file(
                provider,
                f.stream,
                f.filename,
                user=current_user,
                note=form.note.data or "",
                activity=activity,
            )
        except (UploadRefused, ops.ForwardError) as exc:
            outcomes.append({"filename": f.filename, "ok": False, "message": exc.message})
        except StorageError:
            outcomes.append({"filename": f.filename, "ok": False, "message": _(STORE_DOWN)})
        else:
            outcomes.append({"filename": forward.filename, "ok": True, "forward": forward})
    status = 200 if any(o["ok"] for o in outcomes) else 422
    return render_template("forwards/sent.html", provider=provider, outcomes=outcomes), status


@bp.get("/rooms/<slug>/forwards")
@login_required
def inbox(slug: str) -> str:
    """Evidence forwarded to this authority: its editors decide, inspectors may look."""
    room = load_room(slug)
    require(
        can_read_forwards(current_user, room),
        "forward.inbox",
        status=404,
        provider_id=room.provider_id,
        object_type="room",
        object_id=slug,
    )
    status = _status_arg()
    return render_template(
        "forwards/inbox.html",
        room=room,
        status=status,
        forwards=queries.received(current_user, status, room.provider_id, rooms=[room]),
        decide=can_decide_forwards(current_user, room),
        stale=ops.is_stale,
    )


def _folder_choices(room: Room) -> list[tuple[int, str]]:
    choices = []
    for folder in folders_in(room, Area.PROVIDER):
        choices.append((folder.id, folder.label()))
        choices += [(c.id, f"{folder.label()} › {c.label()}") for c in folder.children]
    return choices


def _accept_form(forward: Forward, room: Room) -> AcceptForm:
    form = AcceptForm()
    form.folder_id.choices = options([(0, _("Choose a folder")), *_folder_choices(room)])
    if request.method == "GET" and forward.activity is not None:
        form.folder_id.data = forward.activity.provider_folder_id
    return form


def _page(
    forward: Forward, accept_form: AcceptForm | None = None, decline_form: DeclineForm | None = None
) -> str:
    room = room_for(forward.provider)
    decide = room is not None and can_decide_forwards(current_user, room) and forward.pending
    # The form with errors, if any, feeds the page's error summary.
    failed = next((f for f in (accept_form, decline_form) if f is not None and f.errors), None)
    return render_template(
        "forwards/forward.html",
        forward=forward,
        room=room,
        decide=decide,
        form=failed,
        accept_form=accept_form or (_accept_form(forward, room) if decide else None),
        decline_form=decline_form or DeclineForm(),
        empty=EmptyForm(),
        withdraw=forward.pending and is_forwarder(current_user, forward),
        readable_room=room is not None and can_read_forwards(current_user, room),
        previewable=previewable(forward.media_type, forward.active_content)
        and forward.purged_at is None,
        stale=ops.is_stale(forward),
    )


@bp.get("/forwards/<int:forward_id>")
@login_required
def page(forward_id: int) -> str:
    return _page(load_forward(forward_id, READ))


@bp.get("/forwards/<int:forward_id>/download")
@login_required
def download(forward_id: int) -> Response:
    return forward_file_response(load_forward(forward_id, READ))


@bp.get("/forwards/<int:forward_id>/inline")
@login_required
def inline(forward_id: int) -> Response:
    return forward_file_response(load_forward(forward_id, READ), inline=True)


@bp.get("/forwards/<int:forward_id>/preview")
@login_required
def preview(forward_id: int) -> str:
    forward = load_forward(forward_id, READ)
    if not previewable(forward.media_type, forward.active_content) or forward.purged_at is not None:
        abort(404)
    return render_template("forwards/preview.html", forward=forward)


@bp.post("/forwards/<int:forward_id>/accept")
@login_required
def accept(forward_id: int) -> Any:
    forward = load_forward(forward_id, WRITE)
    room = room_for(forward.provider)
    form = _accept_form(forward, room)
    if not form.validate_on_submit():
        return _page(forward, accept_form=form), 422
    folder = db.session.get(Folder, form.folder_id.data)
    declaration = LateDeclaration.given(form.information_date.data, form.late_reason.data)
    try:
        document, warnings = ops.accept(
            forward,
            folder,
            user=current_user,
            title=form.title.data,
            category=form.category.data,
            declaration=declaration,
        )
    except (UploadRefused, ops.ForwardError) as exc:
        # A refusal by the paper rules is about the late-exception fields; others name theirs.
        field = getattr(exc, "field", None) or (
            "information_date" if isinstance(exc, UploadRefused) else "folder_id"
        )
        getattr(form, field, form.folder_id).errors = [exc.message]
        return _page(forward, accept_form=form), exc.status
    except StorageError:
        flash(_(STORE_DOWN), "error")
        return redirect(url_for("forwards.page", forward_id=forward_id))
    flash(
        _(
            "Accepted: “%(title)s” is now in %(folder)s.",
            title=document.title,
            folder=document.folder.label(),
        ),
        "success",
    )
    for warning in warnings:
        flash(warning, "info")
    return redirect(url_for("documents.document", document_id=document.id))


@bp.post("/forwards/<int:forward_id>/decline")
@login_required
def decline(forward_id: int) -> Any:
    forward = load_forward(forward_id, WRITE)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(forward, decline_form=form), 422
    try:
        ops.decline(forward, form.reason.data or "", user=current_user)
    except ops.ForwardError as exc:
        form.reason.errors = [exc.message]
        return _page(forward, decline_form=form), exc.status
    flash(_("Declined. The sender has been told why."), "success")
    return redirect(url_for("forwards.inbox", slug=forward.provider.slug))


@bp.post("/forwards/<int:forward_id>/withdraw")
@login_required
def withdraw(forward_id: int) -> Response:
    forward = load_forward(forward_id, READ)
    require(
        is_forwarder(current_user, forward),
        "forward.withdraw",
        provider_id=forward.provider_id,
        object_type="forward",
        object_id=forward_id,
    )
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw(forward, user=current_user)
    except ops.ForwardError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Withdrawn. The authority will no longer see it as waiting."), "success")
    return redirect(url_for("forwards.page", forward_id=forward_id))
