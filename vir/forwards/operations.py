"""Forwarding evidence, and the authority's decision on it.

A forward's file is checked like any upload and kept under ``forwards/<provider>/``, outside
every room. Accepting copies the object inside the store to the room's key prefix (no
re-upload), object first and row second, as for any document; the status moves from pending
by a conditional UPDATE, so two editors accepting at once cannot both succeed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from vir.activities.models import Activity
from vir.activities.rules import LateDeclaration, check_paper
from vir.audit.operations import record
from vir.calendar import forward_waiting_too_long, retention_cutoff
from vir.core.db import db, utcnow
from vir.core.errors import Refusal
from vir.core.metrics import count_upload
from vir.core.text import clean_name
from vir.documents.models import Category, Document, DocumentVersion
from vir.documents.operations import (
    MAX_TITLE,
    audited_refusal,
    decide_lateness,
    duplicate_warnings,
    object_key,
    record_or_remove,
    remove_quietly,
    title_from_filename,
)
from vir.documents.validation import check_upload
from vir.forwards.models import Forward, ForwardStatus
from vir.orgs.models import Organisation
from vir.rooms.models import Area, Folder
from vir.storage import get_storage

log = logging.getLogger(__name__)
MAX_NOTE = 4000
MAX_REASON = 2000


class ForwardError(Refusal):
    """Forwarding, or a decision on forwarded evidence, refused."""


def _not_pending(forward: Forward) -> ForwardError:
    messages = {
        ForwardStatus.ACCEPTED: _("This evidence has already been accepted."),
        ForwardStatus.DECLINED: _("This evidence has already been declined."),
        ForwardStatus.WITHDRAWN: _("This evidence was withdrawn by the sender."),
    }
    return ForwardError(
        messages.get(forward.status, _("This evidence is no longer pending.")),
        f"already_{forward.status}",
    )


def is_stale(forward: Forward, now: datetime | None = None) -> bool:
    """Pending for longer than the authority is expected to take to decide."""
    return forward.pending and forward_waiting_too_long(
        forward.created_at, now or utcnow(), current_app.config["VIR_FORWARD_STALE_WORKING_DAYS"]
    )


def forward_file(
    provider: Organisation,
    stream: IO[bytes],
    filename: str | None,
    *,
    user: Any,
    note: str = "",
    activity: Activity | None = None,
) -> Forward:
    """Check and store one forwarded file; raises UploadRefused/ForwardError, keeping nothing.
    The caller has checked that ``user`` may forward to ``provider``."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ForwardError(
            _("The note can be at most %(n)d characters.", n=MAX_NOTE),
            "validation_error",
            422,
            "note",
        )
    if activity is not None and activity.provider_id != provider.id:
        raise ForwardError(
            _("Choose one of this authority’s activities, or none."),
            "validation_error",
            422,
            "activity_id",
        )
    with audited_refusal(
        "forward.create",
        object_type="provider",
        object_id=provider.slug,
        provider_id=provider.id,
        filename=filename,
    ):
        checked = check_upload(stream, filename)
    uid = secrets.token_hex(16)
    key = f"forwards/{provider.slug}/{uid}"
    try:
        get_storage().save_file(
            key, checked.path, checked.media_type, size=checked.size, sha256=checked.sha256
        )
    finally:
        checked.discard()
    forward = Forward(
        uid=uid,
        provider_id=provider.id,
        provider=provider,
        from_org_id=user.org_id,
        created_by_id=user.id,
        note=note,
        activity_id=activity.id if activity else None,
        filename=checked.filename,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_backend=get_storage().name,
        storage_key=key,
        status=ForwardStatus.PENDING,
        scanned=checked.scanned,
        active_content=checked.active_content,
    )

    def write() -> None:
        db.session.add(forward)
        db.session.flush()
        record(
            "forward.create",
            object_type="forward",
            object_id=forward.id,
            provider_id=provider.id,
            filename=checked.filename,
            sha256=checked.sha256,
            size=checked.size,
            activity=forward.activity_id,
        )

    record_or_remove(key, write)
    count_upload("forward", checked.size)
    return forward


def _claim(forward: Forward, status: ForwardStatus, user: Any, **values: Any) -> None:
    """Move a pending forward to ``status`` in this transaction, or raise if someone else
    decided first (the row is re-read, so the message says what happened)."""
    now = utcnow()
    result = db.session.execute(
        update(Forward)
        .where(Forward.id == forward.id, Forward.status == ForwardStatus.PENDING)
        .values(status=status, decided_at=now, decided_by_id=getattr(user, "id", None), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        db.session.refresh(forward)
        raise _not_pending(forward)
    db.session.expire(forward)


def accept(
    forward: Forward,
    folder: Folder,
    *,
    user: Any,
    title: str | None = None,
    category: str | None = None,
    declaration: LateDeclaration | None = None,
) -> tuple[Document, list[str]]:
    """Copy the forwarded file into a Provider Area folder of the authority's room, as a new
    document whose provenance is this forward. The target folder's paper rules apply now."""
    if not forward.pending:
        raise _not_pending(forward)
    if folder.room.provider_id != forward.provider_id or folder.area != Area.PROVIDER:
        raise ForwardError(
            _(
                "Forwarded evidence can only be accepted into a folder of the "
                "authority’s Provider Area."
            ),
            "validation_error",
            422,
            "folder_id",
        )
    category = category or Category.OTHER
    if category not in set(Category):
        raise ForwardError(
            _("Choose a category from the list."), "validation_error", 422, "category"
        )
    with audited_refusal(
        "forward.accept",
        object_type="forward",
        object_id=forward.id,
        provider_id=forward.provider_id,
        filename=forward.filename,
    ):
        check_paper(folder, utcnow(), declaration)  # refuse before copying anything
    title = clean_name(title or "")[:MAX_TITLE] or title_from_filename(forward.filename)
    warnings = duplicate_warnings(folder, forward.sha256)
    uid = secrets.token_hex(16)
    key = object_key(folder, uid, 1)
    get_storage().copy(forward.storage_key, key)
    document = Document(
        uid=uid,
        folder=folder,
        folder_id=folder.id,
        title=title,
        category=category,
        description=forward.note,
        created_by_id=getattr(user, "id", None),
    )
    version = DocumentVersion(
        document=document,
        version=1,
        filename=forward.filename,
        media_type=forward.media_type,
        size=forward.size,
        sha256=forward.sha256,
        storage_backend=get_storage().name,
        storage_key=key,
        uploaded_by_id=getattr(user, "id", None),
        uploaded_by_org=user.organisation.slug if getattr(user, "organisation", None) else "",
        scanned=forward.scanned,
        active_content=forward.active_content,
    )
    forward_id, provider_id = forward.id, forward.provider_id
    from_org = forward.from_org.slug

    def write() -> None:
        decide_lateness(folder, version, declaration)
        db.session.add_all([document, version])
        db.session.flush()
        _claim(forward, ForwardStatus.ACCEPTED, user, document_id=document.id)
        record(
            "forward.accept",
            object_type="forward",
            object_id=forward_id,
            provider_id=provider_id,
            document=document.id,
            folder=folder.id,
            late=version.late,
        )
        record(
            "document.upload",
            object_type="document",
            object_id=document.id,
            provider_id=provider_id,
            version=1,
            filename=version.filename,
            sha256=version.sha256,
            size=version.size,
            area=folder.area,
            forwarded_by=from_org,
            forward=forward_id,
        )

    record_or_remove(key, write)
    notify_decision(forward_id)
    return document, warnings


def decline(forward: Forward, reason: str, *, user: Any) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ForwardError(
            _("Say why the evidence is declined; the sender will see it."),
            "validation_error",
            422,
            "reason",
        )
    if len(reason) > MAX_REASON:
        raise ForwardError(
            _("The reason can be at most %(n)d characters.", n=MAX_REASON),
            "validation_error",
            422,
            "reason",
        )
    if not forward.pending:
        raise _not_pending(forward)
    _claim(forward, ForwardStatus.DECLINED, user, decline_reason=reason)
    record(
        "forward.decline",
        object_type="forward",
        object_id=forward.id,
        provider_id=forward.provider_id,
        reason=reason,
    )
    db.session.commit()
    notify_decision(forward.id)


def withdraw(forward: Forward, *, user: Any) -> None:
    if not forward.pending:
        raise _not_pending(forward)
    _claim(forward, ForwardStatus.WITHDRAWN, user)
    record(
        "forward.withdraw",
        object_type="forward",
        object_id=forward.id,
        provider_id=forward.provider_id,
    )
    db.session.commit()


def notify_decision(forward_id: int) -> None:
    """Tell the sender now, through the task queue; the periodic mail run retries failures."""
    from vir.core.tasks import send_forward_mail

    try:
        send_forward_mail(forward_id)
    except Exception:  # mail must never undo a decision already committed
        log.exception("could not queue the decision mail for forward %s", forward_id)


def record_download(forward: Forward, *, inline: bool) -> None:
    record(
        "forward.preview" if inline else "forward.download",
        object_type="forward",
        object_id=forward.id,
        provider_id=forward.provider_id,
    )
    db.session.commit()


def purge(
    older_than: datetime | None = None, progress: Callable[[Iterable[Forward]], Any] | None = None
) -> int:
    """Remove the files of forwards decided (declined, withdrawn, or accepted: the room holds
    its own copy) longer ago than the retention period. Rows stay as history."""
    cutoff = older_than or retention_cutoff(
        utcnow(), current_app.config["VIR_FORWARD_RETENTION_DAYS"]
    )
    forwards = list(
        db.session.scalars(
            select(Forward).where(
                Forward.status != ForwardStatus.PENDING,
                Forward.purged_at.is_(None),
                Forward.decided_at < cutoff,
            )
        )
    )
    items: Iterable[Forward] = progress(forwards) if progress else forwards
    count = 0
    for forward in items:
        key = forward.storage_key
        forward.purged_at = utcnow()
        record(
            "forward.purge",
            object_type="forward",
            object_id=forward.id,
            provider_id=forward.provider_id,
            status=forward.status,
        )
        db.session.commit()
        # Row first: an interrupted purge leaves an orphan object for the reconciler.
        remove_quietly(key)
        count += 1
    return count
