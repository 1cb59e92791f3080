"""Room and folder writes, and the small lookups they need."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from vir.audit.operations import record
from vir.core.db import db
from vir.core.text import clean_name
from vir.orgs.models import Organisation, OrgKind
from vir.rooms.models import Area, Folder, Room

MAX_FOLDER_NAME = 120


class FolderError(ValueError):
    """A folder change that cannot be made; the message is for the user."""


def room_for(org: Organisation) -> Room | None:
    return db.session.scalar(select(Room).where(Room.provider_id == org.id))


def open_room(org: Organisation) -> Room:
    """Give a provider its room (idempotent)."""
    if org.kind not in (OrgKind.LOCAL_AUTHORITY, OrgKind.CONSORTIUM):
        raise FolderError(_("Only local authorities and consortia have rooms."))
    room = room_for(org)
    if room is None:
        room = Room(provider_id=org.id, provider=org)
        db.session.add(room)
        db.session.flush()
        record("room.create", object_type="room", object_id=org.slug, provider_id=org.id)
    return room


def create_folder(
    room: Room,
    area: str,
    name: str,
    *,
    parent: Folder | None = None,
    description: str = "",
    user: object = None,
) -> Folder:
    name = clean_name(name)
    if area not in set(Area):
        raise FolderError(_("Choose the Provider Area or the Link Inspectors area."))
    if not name:
        raise FolderError(_("Enter a name for the folder."))
    if len(name) > MAX_FOLDER_NAME:
        raise FolderError(_("A folder name must be %(n)d characters or fewer.", n=MAX_FOLDER_NAME))
    if parent is not None:
        if parent.room_id != room.id or parent.area != area:
            raise FolderError(_("The parent folder must be in the same area of the same room."))
        if parent.parent_id is not None:
            raise FolderError(_("Folders can be nested one level deep only."))
    siblings = db.session.scalars(
        select(Folder.name).where(
            Folder.room_id == room.id,
            Folder.area == area,
            Folder.parent_id.is_(None) if parent is None else Folder.parent_id == parent.id,
        )
    )
    if name.casefold() in {s.casefold() for s in siblings}:
        raise FolderError(_("There is already a folder called “%(name)s” here.", name=name))
    folder = Folder(
        room_id=room.id,
        room=room,
        area=area,
        name=name,
        parent=parent,
        description=description.strip(),
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(folder)
    db.session.flush()
    record(
        "folder.create",
        object_type="folder",
        object_id=folder.id,
        provider_id=room.provider_id,
        area=area,
        name=name,
    )
    return folder


def folders_in(room: Room, area: str) -> list[Folder]:
    """Top-level folders of one area, children loaded with them."""
    return list(
        db.session.scalars(
            select(Folder)
            .where(Folder.room_id == room.id, Folder.area == area, Folder.parent_id.is_(None))
            .order_by(Folder.name)
        )
    )
