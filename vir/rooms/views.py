"""Room pages: both areas as the user may see them, their folders, and adding folders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import (
    READ,
    WRITE,
    can,
    can_restore,
    can_write_folder,
    load_folder,
    load_room,
    readable_areas,
)
from vir.core.db import db
from vir.core.forms import options
from vir.rooms import operations as ops
from vir.rooms.forms import FolderForm, RenameForm
from vir.rooms.models import Area, Folder

bp = Blueprint("rooms", __name__, url_prefix="/rooms")


@bp.get("/<slug>")
@login_required
def room(slug: str) -> str:
    room = load_room(slug)
    from vir.access import can_manage_activities, can_manage_school_holidays
    from vir.activities.operations import for_provider

    areas = [
        (a, ops.folders_in(room, a), can(current_user, WRITE, room, a))
        for a in readable_areas(current_user, room)
    ]
    from vir.access import can_read_forwards
    from vir.forwards.queries import pending_count

    inbox = can_read_forwards(current_user, room)
    return render_template(
        "rooms/room.html",
        room=room,
        areas=areas,
        activities=for_provider(room.provider_id),
        manage_activities=can_manage_activities(current_user, room),
        manage_holidays=can_manage_school_holidays(current_user),
        inbox=inbox,
        forwards_waiting=pending_count(room.provider_id) if inbox else 0,
    )


@bp.get("/folders/<int:folder_id>")
@login_required
def folder(folder_id: int) -> str:
    return render_folder(load_folder(folder_id, READ))


FOLDER_PAGE_SIZE = 100


def render_folder(folder: Folder, form: Any = None, status: int = 200) -> Any:
    """A folder's page: a page of its documents at a time (``?page=``), by title, with its
    activity; also shown again, with the form's errors, when an upload is refused."""
    from vir.activities.queries import folder_activity
    from vir.core.db import utcnow
    from vir.documents.forms import UploadForm
    from vir.documents.queries import folder_summary, page_in_folder
    from vir.search.queries import statuses

    count, categories = folder_summary(folder)
    pages = max(1, -(-count // FOLDER_PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    _, documents = page_in_folder(
        folder, offset=(page - 1) * FOLDER_PAGE_SIZE, limit=FOLDER_PAGE_SIZE, total=count
    )
    html = render_template(
        "rooms/folder.html",
        folder=folder,
        room=folder.room,
        writable=can_write_folder(current_user, folder),
        restorable=can_restore(current_user, folder.room, folder.area),
        form=form or UploadForm(),
        rename_form=RenameForm(
            formdata=None,
            name=folder.name,
            name_cy=folder.name_cy or "",
            description=folder.description,
        ),
        documents=documents,
        count=count,
        page=page,
        pages=pages,
        first=(page - 1) * FOLDER_PAGE_SIZE + 1,
        index_status=statuses([d.current.id for d in documents if d.versions]),
        activity=folder_activity(folder, categories, count, utcnow()),
    )
    return (html, status) if status != 200 else html


@bp.route("/<slug>/<area>/folders/new", methods=["GET", "POST"])
@login_required
def new_folder(slug: str, area: str) -> Any:
    if area not in set(Area):
        abort(404)
    room = load_room(slug, area=area, right=WRITE)
    form = FolderForm()
    top = ops.folders_in(room, area)
    form.parent_id.choices = options(
        [(0, _("Top level of the area"))] + [(f.id, f.label()) for f in top]
    )
    if form.validate_on_submit():
        parent = next((f for f in top if f.id == form.parent_id.data), None)
        try:
            folder = ops.create_folder(
                room,
                area,
                form.name.data or "",
                parent=parent,
                description=form.description.data or "",
                user=current_user,
                name_cy=form.name_cy.data or "",
            )
        except ops.FolderError as exc:
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Folder “%(name)s” created.", name=folder.label()), "success")
            return redirect(url_for("rooms.folder", folder_id=folder.id))
    return render_template("rooms/new_folder.html", form=form, room=room, area=area)


@bp.post("/folders/<int:folder_id>/rename")
@login_required
def rename_folder(folder_id: int) -> Any:
    folder = load_folder(folder_id, WRITE)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            ops.rename_folder(
                folder,
                form.name.data or "",
                description=form.description.data or "",
                user=current_user,
                name_cy=form.name_cy.data or "",
            )
        except ops.FolderError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Folder renamed."), "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return redirect(url_for("rooms.folder", folder_id=folder.id))


@bp.post("/folders/<int:folder_id>/delete")
@login_required
def delete_folder(folder_id: int) -> Any:
    folder = load_folder(folder_id, WRITE)
    slug = folder.room.provider.slug
    try:
        ops.delete_folder(folder, user=current_user)
    except ops.FolderError as exc:
        flash(str(exc), "error")
        return redirect(url_for("rooms.folder", folder_id=folder.id))
    db.session.commit()
    flash(_("Folder deleted."), "success")
    return redirect(url_for("rooms.room", slug=slug))
