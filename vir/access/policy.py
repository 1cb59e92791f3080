"""The one access policy.

Access is inherited room -> area -> folder -> document: a folder (and later a document) is as
visible as the area that holds it, and an area's rights come from the user's roles, organisation
and assignments. Anything not granted here is refused. What a user may not read is answered
404, never 403, so that another provider's room or the Link Inspectors area does not even
show that it exists; 403 is kept for "you can see this, but not change it".
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import Select, or_, select

from vir.accounts.models import Role, User
from vir.core.db import db
from vir.orgs.models import Assignment, Organisation
from vir.rooms.models import Area, Folder, Room

if TYPE_CHECKING:
    from vir.activities.models import Activity
    from vir.documents.models import Document

READ = "read"
WRITE = "write"

_NONE: dict[str, frozenset[str]] = {}
_RO = frozenset({READ})
_RW = frozenset({READ, WRITE})


def _assigned(user: User, provider_id: int) -> bool:
    return any(a.provider_id == provider_id for a in user.assignments)


def _compute(user: User, room: Room) -> dict[str, frozenset[str]]:
    if not user.is_authenticated or not user.active:
        return _NONE
    perms: dict[str, set[str]] = {}

    def grant(area: str, rights: frozenset[str]) -> None:
        perms.setdefault(area, set()).update(rights)

    roles = user.roles
    own = user.org_id == room.provider_id
    if own and Role.PROVIDER_EDITOR in roles:
        grant(Area.PROVIDER, _RW)
    if own and Role.PROVIDER_VIEWER in roles:
        grant(Area.PROVIDER, _RO)
    if Role.COORDINATOR in roles or (Role.INSPECTOR in roles and _assigned(user, room.provider_id)):
        grant(Area.PROVIDER, _RO)
        grant(Area.INSPECTORS, _RW)
    if Role.AUDITOR in roles and _assigned(user, room.provider_id):
        grant(Area.PROVIDER, _RO)
    # partner and admin get nothing inside rooms.
    return {area: frozenset(r) for area, r in perms.items()}


def area_permissions(user: User, room: Room) -> dict[str, frozenset[str]]:
    """Rights per area for this user in this room, memoised for the request."""
    if not has_request_context():
        return _compute(user, room)
    cache: dict[tuple[Any, int], dict[str, frozenset[str]]] = g.setdefault("_vir_access", {})
    key = (getattr(user, "id", None), room.id)
    if key not in cache:
        cache[key] = _compute(user, room)
    return cache[key]


def can(user: User, right: str, room: Room, area: str) -> bool:
    if right not in (READ, WRITE):
        raise ValueError(f"unknown right {right!r}")  # never allow by accident
    return right in area_permissions(user, room).get(area, frozenset())


def can_see_room(user: User, room: Room) -> bool:
    return bool(area_permissions(user, room))


def readable_areas(user: User, room: Room) -> list[str]:
    perms = area_permissions(user, room)
    return [a for a in (Area.PROVIDER, Area.INSPECTORS) if READ in perms.get(a, ())]


def can_admin(user: User) -> bool:
    return user.is_authenticated and user.active and user.has_role(Role.ADMIN)


def can_search(user: User) -> bool:
    """Everyone who reads some room may search it; partners and plain admins have none."""
    return (
        user.is_authenticated
        and user.active
        and user.has_role(
            Role.PROVIDER_EDITOR,
            Role.PROVIDER_VIEWER,
            Role.INSPECTOR,
            Role.COORDINATOR,
            Role.AUDITOR,
        )
    )


class AuditScope(StrEnum):
    """What of the audit trail a role may read. Co-ordinators: all of it. Administrators
    (who hold accounts, not document content): the account and security events (sign-ins,
    tokens, accounts, roles and assignments, organisations and rooms made), never an event
    about a document, folder, activity, forward or letter. Nobody else, auditors included:
    Audit Wales reads the Provider Area of the providers it is assigned to, and asks Estyn's
    co-ordinators for the audit records a review needs (the CSV export)."""

    ALL = "all"
    ACCOUNTS = "accounts"


# The action families an administrator's view of the audit log holds.
ACCOUNT_ACTIONS = ("login", "logout", "token", "user", "assignment", "org", "room")


def audit_scope(user: User) -> AuditScope | None:
    if not (user.is_authenticated and user.active):
        return None
    if user.has_role(Role.COORDINATOR):
        return AuditScope.ALL
    if user.has_role(Role.ADMIN):
        return AuditScope.ACCOUNTS
    return None


def can_manage_school_holidays(user: User) -> bool:
    """Co-ordinators (who run activities and their notice rules) and administrators (who
    keep the organisations) record each authority's school holidays."""
    return (
        user.is_authenticated and user.active and bool(user.roles & {Role.COORDINATOR, Role.ADMIN})
    )


def can_view_audit(user: User) -> bool:
    return audit_scope(user) is not None


def visible_rooms(user: User) -> Select[tuple[Room]]:
    """The rooms this user can open, as a query (used for lists and, later, search filters)."""
    stmt = select(Room).join(Organisation, Room.provider_id == Organisation.id)
    if not user.is_authenticated or not user.active:
        return stmt.where(False)
    roles = user.roles
    if Role.COORDINATOR in roles:
        return stmt.order_by(Organisation.name_en)
    conditions = []
    if roles & {Role.PROVIDER_EDITOR, Role.PROVIDER_VIEWER}:
        conditions.append(Room.provider_id == user.org_id)
    if roles & {Role.INSPECTOR, Role.AUDITOR}:
        conditions.append(
            Room.provider_id.in_(
                select(Assignment.provider_id).where(Assignment.user_id == user.id)
            )
        )
    if not conditions:
        return stmt.where(False)
    return stmt.where(or_(*conditions)).order_by(Organisation.name_en)


# --- loaders: load, then authorise, in one call so views cannot forget the check ---------------


def _deny(
    status: int, action: str, *, provider_id: int | None, object_type: str, object_id: Any
) -> None:
    from vir.audit.operations import record_denied

    record_denied(action, object_type=object_type, object_id=object_id, provider_id=provider_id)
    abort(status)


def require(
    allowed: bool,
    action: str = "access",
    *,
    status: int = 403,
    provider_id: int | None = None,
    object_type: str = "",
    object_id: Any = "",
) -> None:
    """Abort (and audit the denial) unless ``allowed``."""
    if not allowed:
        _deny(status, action, provider_id=provider_id, object_type=object_type, object_id=object_id)


def load_room(slug: str, area: str | None = None, right: str = READ) -> Room:
    """The room of provider ``slug`` if the current user may ``right`` it (or one area of it)."""
    room = db.session.scalar(select(Room).join(Organisation).where(Organisation.slug == slug))
    if room is None:
        abort(404)
    if area is not None and area not in (Area.PROVIDER, Area.INSPECTORS):
        abort(404)
    areas: Iterable[str] = [area] if area else [Area.PROVIDER, Area.INSPECTORS]
    if not any(can(current_user, READ, room, a) for a in areas):
        _deny(404, "room.view", provider_id=room.provider_id, object_type="room", object_id=slug)
    if right == WRITE and not any(can(current_user, WRITE, room, a) for a in areas):
        _deny(403, "room.write", provider_id=room.provider_id, object_type="room", object_id=slug)
    return room


def load_folder(folder_id: int, right: str = READ) -> Folder:
    """A folder the current user may ``right``: unreadable is 404, read-only is 403 for writes."""
    folder = db.session.get(Folder, folder_id)
    if folder is None:
        abort(404)
    room = folder.room
    if not can(current_user, READ, room, folder.area):
        _deny(
            404,
            "folder.view",
            provider_id=room.provider_id,
            object_type="folder",
            object_id=folder_id,
        )
    if right == WRITE and not (
        can(current_user, WRITE, room, folder.area) and not _letters_folder(folder)
    ):
        _deny(
            403,
            "folder.write",
            provider_id=room.provider_id,
            object_type="folder",
            object_id=folder_id,
        )
    return folder


def _letters_folder(folder: Folder) -> bool:
    """An activity's records-and-letters folder holds only what inspectors share through
    the letters operations: nobody uploads, moves, renames or deletes there by hand."""
    from vir.activities.models import Activity

    return (
        db.session.scalar(select(Activity.id).where(Activity.letters_folder_id == folder.id))
        is not None
    )


def can_write_folder(user: User, folder: Folder) -> bool:
    return can(user, WRITE, folder.room, folder.area) and not _letters_folder(folder)


def can_change_document(user: User, document: Document) -> bool:
    folder = document.folder
    return can(user, WRITE, folder.room, folder.area) and not is_managed(document)


def is_managed(document: Document) -> bool:
    """A shared record or letter, or a provider's marked-up corrections to one: changed only
    through the letters operations, so what was sent and answered stays as it was."""
    from vir.letters.models import Letter

    return (
        db.session.scalar(
            select(Letter.id).where(
                (Letter.shared_document_id == document.id)
                | (Letter.answer_document_id == document.id)
            )
        )
        is not None
    )


def can_restore(user: User, room: Room, area: str) -> bool:
    """Trash is managed by the area's editors, and by co-ordinators in any area."""
    if can(user, WRITE, room, area):
        return True
    return (
        user.is_authenticated
        and user.active
        and user.has_role(Role.COORDINATOR)
        and can(user, READ, room, area)
    )


def load_document(document_id: int, right: str = READ, *, trashed: bool = False) -> Document:
    """A document, inheriting its folder's protection. A trashed document exists only for
    those who may restore it, and only when asked for with ``trashed=True``."""
    from vir.documents.models import Document

    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    folder = document.folder
    room = folder.room
    if not can(current_user, READ, room, folder.area):
        _deny(
            404,
            "document.view",
            provider_id=room.provider_id,
            object_type="document",
            object_id=document_id,
        )
    if document.deleted_at is not None and not (
        trashed and can_restore(current_user, room, folder.area)
    ):
        abort(404)
    if right == WRITE and not (
        can(current_user, WRITE, room, folder.area) and not is_managed(document)
    ):
        _deny(
            403,
            "document.write",
            provider_id=room.provider_id,
            object_type="document",
            object_id=document_id,
        )
    return document


def can_see_index_failure(user: User, version: Any) -> bool:
    """Why a file could not be indexed is for its uploader and co-ordinators."""
    return bool(
        user.is_authenticated
        and (user.id == version.uploaded_by_id or user.has_role(Role.COORDINATOR))
    )


def can_comment(user: User, document: Document) -> bool:
    """Comments the provider sees are made by the inspectors who work with it (those who
    write in its Link Inspectors area: its link and lead inspectors, and co-ordinators)."""
    room = document.folder.room
    return can(user, WRITE, room, Area.INSPECTORS) and can(user, READ, room, document.folder.area)


def can_reply(user: User, document: Document) -> bool:
    """Replies to a comment: those who may comment, and the document's own editors."""
    return can_comment(user, document) or can(
        user, WRITE, document.folder.room, document.folder.area
    )


def can_read_notes(user: User, document: Document) -> bool:
    """Inspectors' private notes on a document are Link Inspectors content, wherever the
    document is: read by those who read that room's Link Inspectors area."""
    room = document.folder.room
    return can(user, READ, room, Area.INSPECTORS) and can(user, READ, room, document.folder.area)


def can_write_notes(user: User, document: Document) -> bool:
    return can_comment(user, document)


def can_manage_activities(user: User, room: Room) -> bool:
    """Co-ordinators, and the inspectors assigned to the provider (who work in its Link
    Inspectors area), record and change its follow-up activities."""
    return can(user, WRITE, room, Area.INSPECTORS)


def can_extend_deadline(user: User, activity: Activity) -> bool:
    """The lead inspector or a co-ordinator may extend one activity's papers deadline."""
    if not (user.is_authenticated and user.active):
        return False
    return user.has_role(Role.COORDINATOR) or (
        activity.lead_inspector_id == user.id and user.has_role(Role.INSPECTOR)
    )


def load_activity(activity_id: int) -> Activity:
    """An activity, as visible as its provider's room."""
    from vir.activities.models import Activity
    from vir.rooms.operations import room_for

    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    room = room_for(activity.provider)
    if room is None or not can_see_room(current_user, room):
        _deny(
            404,
            "activity.view",
            provider_id=activity.provider_id,
            object_type="activity",
            object_id=activity_id,
        )
    return activity


# --- forwarded evidence -------------------------------------------------------------------------
# Partners never enter a room: they forward files to an authority they serve, whose editors
# decide. Inspectors working with the authority may look at its inbox; nobody else may.


def _partner(user: User) -> bool:
    return bool(user.is_authenticated and user.active and user.has_role(Role.PARTNER))


def can_forward(user: User) -> bool:
    """Partner users forward evidence and see what their organisation forwarded."""
    return _partner(user)


def may_have_forwards(user: User) -> bool:
    """Whether forwarded evidence concerns this user at all (for the menu): partners, the
    authorities' own users, and inspectors."""
    return _partner(user) or bool(
        user.is_authenticated
        and user.active
        and user.has_role(
            Role.PROVIDER_EDITOR, Role.PROVIDER_VIEWER, Role.INSPECTOR, Role.COORDINATOR
        )
    )


def served_providers(user: User) -> Select[tuple[Organisation]]:
    """The providers a partner may forward evidence to: a consortium's member authorities,
    and any provider the partner user is assigned to. Only providers with a room."""
    stmt = select(Organisation).join(Room, Room.provider_id == Organisation.id)
    if not _partner(user):
        return stmt.where(False)
    assigned = select(Assignment.provider_id).where(Assignment.user_id == user.id)
    return stmt.where(
        or_(Organisation.consortium_id == user.org_id, Organisation.id.in_(assigned))
    ).order_by(Organisation.name_en)


def can_forward_to(user: User, provider: Organisation) -> bool:
    if not _partner(user):
        return False
    return provider.consortium_id == user.org_id or _assigned(user, provider.id)


def can_read_forwards(user: User, room: Room) -> bool:
    """The authority's own users, and inspectors who work with it (read-only)."""
    if not (user.is_authenticated and user.active):
        return False
    own = user.org_id == room.provider_id and user.has_role(
        Role.PROVIDER_EDITOR, Role.PROVIDER_VIEWER
    )
    return own or can(user, WRITE, room, Area.INSPECTORS)


def can_decide_forwards(user: User, room: Room) -> bool:
    """Accepting or declining is the authority's decision: its Provider Area editors."""
    return can(user, WRITE, room, Area.PROVIDER)


def is_forwarder(user: User, forward: Any) -> bool:
    """The forwarding organisation's partner users see, and may withdraw, what it sent."""
    return _partner(user) and user.org_id == forward.from_org_id


def forward_rooms(user: User) -> list[Room]:
    """Rooms whose inbox of forwarded evidence this user may read."""
    return [r for r in db.session.scalars(visible_rooms(user)) if can_read_forwards(user, r)]


def load_forward(forward_id: int, right: str = READ) -> Any:
    """A forward the current user may see (its sender, or the receiving inbox's readers);
    ``right=WRITE`` means deciding on it, for the authority's editors."""
    from vir.forwards.models import Forward
    from vir.rooms.operations import room_for

    forward = db.session.get(Forward, forward_id)
    if forward is None:
        abort(404)
    room = room_for(forward.provider)
    readable = is_forwarder(current_user, forward) or (
        room is not None and can_read_forwards(current_user, room)
    )
    if not readable:
        _deny(
            404,
            "forward.view",
            provider_id=forward.provider_id,
            object_type="forward",
            object_id=forward_id,
        )
    if right == WRITE and not (room is not None and can_decide_forwards(current_user, room)):
        _deny(
            403,
            "forward.decide",
            provider_id=forward.provider_id,
            object_type="forward",
            object_id=forward_id,
        )
    return forward


# --- records, letters and briefings (vir.letters) ---------------------------------------------
# A draft is Link Inspectors content; once shared (for a check, or a briefing published) it is
# read by the Provider Area's readers too. Stakeholders never enter a room: they see the final
# version of what was released to their organisation, for providers they are assigned to.


def can_draft_letters(user: User, room: Room) -> bool:
    """Inspectors working with the provider, and co-ordinators, draft, send and release."""
    return can(user, WRITE, room, Area.INSPECTORS)


def can_read_letter(user: User, letter: Any) -> bool:
    room = letter.activity_room
    if can(user, READ, room, Area.INSPECTORS):
        return True
    return letter.shared_document_id is not None and can(user, READ, room, Area.PROVIDER)


def can_answer_check(user: User, letter: Any) -> bool:
    """The accuracy check is answered by the provider's editors."""
    return letter.shared_document_id is not None and can(
        user, WRITE, letter.activity_room, Area.PROVIDER
    )


def _stakeholder(user: User) -> bool:
    return bool(user.is_authenticated and user.active and user.has_role(Role.STAKEHOLDER))


def is_stakeholder(user: User) -> bool:
    return _stakeholder(user)


def is_released_to(user: User, letter: Any) -> bool:
    """Released to the stakeholder's organisation, final, and for a provider they are
    assigned to (an assignment withdrawn withdraws what came with it)."""
    return (
        _stakeholder(user)
        and letter.final_version is not None
        and _assigned(user, letter.activity.provider_id)
        and any(r.org_id == user.org_id for r in letter.releases)
    )


def released_letters(user: User) -> Select[Any]:
    """What a stakeholder may read: the query, from the database."""
    from vir.activities.models import Activity
    from vir.letters.models import Letter, LetterRelease

    stmt = select(Letter).join(Activity, Letter.activity_id == Activity.id)
    if not _stakeholder(user):
        return stmt.where(False)
    return stmt.where(
        Letter.final_version.is_not(None),
        Letter.id.in_(select(LetterRelease.letter_id).where(LetterRelease.org_id == user.org_id)),
        Activity.provider_id.in_(
            select(Assignment.provider_id).where(Assignment.user_id == user.id)
        ),
    )


def load_letter(letter_id: int, right: str = READ) -> Any:
    """A letter its reader may see (``READ``), or draft and send (``WRITE``): unreadable is
    404; readable but not theirs to change is 403."""
    from vir.letters.models import Letter

    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    audit = {"provider_id": letter.activity.provider_id, "object_type": "letter"}
    if not can_read_letter(current_user, letter):
        _deny(404, "letter.view", object_id=letter_id, **audit)
    if right == WRITE and not can_draft_letters(current_user, letter.activity_room):
        _deny(403, "letter.write", object_id=letter_id, **audit)
    return letter


def load_release(letter_id: int) -> Any:
    """A final letter as its stakeholder reader sees it; anything else is 404."""
    from vir.letters.models import Letter

    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    if not is_released_to(current_user, letter):
        _deny(
            404,
            "letter.view_release",
            provider_id=letter.activity.provider_id,
            object_type="letter",
            object_id=letter_id,
        )
    return letter
