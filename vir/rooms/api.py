"""/api/v1/providers and their folders."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import READ, WRITE, load_folder, load_room, readable_areas, visible_rooms
from vir.api.common import Blueprint, fail
from vir.core.db import db
from vir.core.i18n import locale
from vir.rooms import operations as ops
from vir.rooms.models import Folder
from vir.rooms.schemas import FolderChange, FolderCreate, FolderQuery, FolderSchema, ProviderSchema

blp = Blueprint("api_rooms", __name__, url_prefix="/api/v1", description="Providers and folders")


@blp.get("/providers")
@login_required
@blp.response(200, ProviderSchema(many=True))
def providers() -> list[dict[str, Any]]:
    """The providers whose rooms you may open."""
    loc = locale()
    return [
        {
            "slug": room.provider.slug,
            "name": room.provider.name(loc),
            "kind": room.provider.kind,
            "areas": readable_areas(current_user, room),
        }
        for room in db.session.scalars(visible_rooms(current_user))
    ]


@blp.get("/providers/<slug>/folders")
@login_required
@blp.arguments(FolderQuery, location="query")
@blp.response(200, FolderSchema(many=True))
def folders(args: dict[str, Any], slug: str) -> list[Folder]:
    """Folders of the areas you may read (or of one area)."""
    area = args.get("area")
    room = load_room(slug, area=area)
    areas = [area] if area else readable_areas(current_user, room)
    result: list[Folder] = []
    for a in areas:
        for folder in ops.folders_in(room, a):
            result.append(folder)
            result.extend(folder.children)
    return result


@blp.post("/providers/<slug>/folders")
@login_required
@blp.arguments(FolderCreate)
@blp.response(201, FolderSchema)
def create_folder(args: dict[str, Any], slug: str) -> Folder:
    """Create a folder in an area you may write."""
    room = load_room(slug, area=args["area"], right=WRITE)
    parent = None
    if args.get("parent_id") is not None:
        parent = load_folder(args["parent_id"], right=READ)
        if parent.room_id != room.id:
            msg = _("The parent folder must be in the same area of the same room.")
            fail(422, msg, parent_id=[msg])
    try:
        folder = ops.create_folder(
            room,
            args["area"],
            args["name"],
            parent=parent,
            description=args.get("description", ""),
            user=current_user,
            name_cy=args.get("name_cy"),
        )
    except ops.FolderError as exc:
        fail(422, str(exc), name=[str(exc)])
    db.session.commit()
    return folder


@blp.patch("/folders/<int:folder_id>")
@login_required
@blp.arguments(FolderChange)
@blp.response(200, FolderSchema)
def rename_folder(args: dict[str, Any], folder_id: int) -> Folder:
    """Rename a folder (and change its description) in an area you may write."""
    folder = load_folder(folder_id, right=WRITE)
    try:
        ops.rename_folder(
            folder,
            args["name"],
            description=args["description"],
            user=current_user,
            name_cy=args.get("name_cy"),
        )
    except ops.FolderError as exc:
        fail(422, str(exc), name=[str(exc)])
    db.session.commit()
    return folder


@blp.delete("/folders/<int:folder_id>")
@login_required
@blp.response(204)
def delete_folder(folder_id: int) -> None:
    """Delete an empty folder that no activity made (409 otherwise, saying why)."""
    folder = load_folder(folder_id, right=WRITE)
    try:
        ops.delete_folder(folder, user=current_user)
    except ops.FolderError as exc:
        fail(409, str(exc), code="folder_not_empty")
    db.session.commit()
