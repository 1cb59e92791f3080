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
    name_cy: str | None = None,
) -> Folder:
    if area not in set(Area):
        raise FolderError(_("Choose the Provider Area or the Link Inspectors area."))
    if parent is not None:
        if parent.room_id != room.id or parent.area != area:
            raise FolderError(_("The parent folder must be in the same area of the same room."))
        if parent.parent_id is not None:
            raise FolderError(_("Folders can be nested one level deep only."))
    name = _check_name(name, room.id, area, parent.id if parent else None, None)
    name_cy = _check_name(name_cy, room.id, area, parent.id if parent else None, None, name) or None
    folder = Folder(
        room_id=room.id,
        room=room,
        area=area,
        name=name,
        name_cy=name_cy,
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


def _check_name(
    name: str | None,
    room_id: int,
    area: str,
    parent_id: int | None,
    own: int | None,
    english: str | None = None,
) -> str:
    """A folder name cleaned and checked: not empty, not too long, not a sibling's (in either
    language). With ``english``, ``name`` is the Welsh one beside it, which may be empty."""
    name = clean_name(name or "")
    if english is not None and (not name or name == english):
        return ""
    if not name:
        raise FolderError(_("Enter a name for the folder."))
    if len(name) > MAX_FOLDER_NAME:
        raise FolderError(_("A folder name must be %(n)d characters or fewer.", n=MAX_FOLDER_NAME))
    siblings = db.session.execute(
        select(Folder.name, Folder.name_cy).where(
            Folder.room_id == room_id,
            Folder.area == area,
            Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id,
            Folder.id != (own or 0),
        )
    )
    if name.casefold() in {n.casefold() for row in siblings for n in row if n}:
        raise FolderError(_("There is already a folder called “%(name)s” here.", name=name))
    return name


def rename_folder(
    folder: Folder,
    name: str,
    *,
    description: str | None = None,
    user: object = None,
    name_cy: str | None = None,
) -> None:
    """Rename a folder (and change its description); audited with the names it had. The
    Welsh name is left as it is when ``name_cy`` is None, and removed when it is empty."""
    new = _check_name(name, folder.room_id, folder.area, folder.parent_id, folder.id)
    old, old_cy = folder.name, folder.name_cy
    if name_cy is not None:
        args = (folder.room_id, folder.area, folder.parent_id, folder.id, new)
        folder.name_cy = _check_name(name_cy, *args) or None
    folder.name = new
    if description is not None:
        folder.description = description.strip()
    record(
        "folder.rename",
        object_type="folder",
        object_id=folder.id,
        provider_id=folder.room.provider_id,
        name_was=old,
        name=new,
        name_cy_was=old_cy,
        name_cy=folder.name_cy,
    )


def delete_folder(folder: Folder, user: object = None) -> None:
    """Remove an empty folder. Not one an activity made (its papers, Link Inspectors or
    updated-plans folder), nor one holding subfolders or documents, the trash included."""
    from vir.activities.models import Activity
    from vir.documents.models import Document

    made_for = db.session.scalar(
        select(Activity.id).where(
            (Activity.provider_folder_id == folder.id)
            | (Activity.inspectors_folder_id == folder.id)
            | (Activity.post_folder_id == folder.id)
        )
    )
    if made_for is not None:
        raise FolderError(_("This folder belongs to an activity and cannot be deleted."))
    if folder.children:
        raise FolderError(_("Delete or move the folders inside it first."))
    held = db.session.scalar(select(Document.id).where(Document.folder_id == folder.id).limit(1))
    if held is not None:
        raise FolderError(
            _("Only an empty folder can be deleted. Move its documents, and empty its trash.")
        )
    record(
        "folder.delete",
        object_type="folder",
        object_id=folder.id,
        provider_id=folder.room.provider_id,
        name=folder.name,
    )
    db.session.delete(folder)


def folders_in(room: Room, area: str) -> list[Folder]:
    """Top-level folders of one area, children loaded with them, in the order of their names
    in the reader's language (the Welsh alphabet in Welsh)."""
    from vir.core.i18n import name_sort_key

    found = db.session.scalars(
        select(Folder).where(
            Folder.room_id == room.id, Folder.area == area, Folder.parent_id.is_(None)
        )
    )
    return sorted(found, key=lambda f: name_sort_key(f.label()))
