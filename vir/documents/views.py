"""Document pages: upload (one or several files), versions, download, preview, trash."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import (
    READ,
    WRITE,
    AuditScope,
    audit_scope,
    can_change_document,
    can_restore,
    can_see_index_failure,
    load_document,
    load_folder,
    require,
)
from vir.accounts.forms import EmptyForm
from vir.activities.rules import LateDeclaration
from vir.calendar import local_today
from vir.core.db import db, utcnow
from vir.core.forms import options
from vir.core.limits import limited
from vir.core.uploads import takes_files
from vir.documents import operations as ops
from vir.documents import queries
from vir.documents.downloads import file_response
from vir.documents.forms import DetailsForm, MoveForm, UploadForm, VersionForm
from vir.documents.validation import UploadRefused
from vir.letters.queries import letter_for_document
from vir.storage import StorageError
from vir.storage.http import previewable

bp = Blueprint("documents", __name__)


@bp.post("/folders/<int:folder_id>/upload")
@takes_files
@limited("VIR_RATE_UPLOAD")
@login_required
def upload(folder_id: int) -> Any:
    folder = load_folder(folder_id, WRITE)
    form = UploadForm()
    files = [f for f in request.files.getlist("files") if f and f.filename]
    wants_json = request.accept_mimetypes.best == "application/json"  # the drop-zone script
    if not form.validate_on_submit() or not files:
        if not files:
            form.files.errors = [_("Choose at least one file to upload")]
        if wants_json:
            return {"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, 422
        from vir.rooms.views import render_folder

        return render_folder(folder, form, 422)
    outcomes = []
    single = len(files) == 1
    declaration = LateDeclaration.given(form.information_date.data, form.late_reason.data)
    for f in files:
        try:
            result = ops.upload_document(
                folder,
                f.stream,
                f.filename,
                user=current_user,
                title=form.title.data if single else None,
                category=form.category.data,
                description=form.description.data or "",
                declaration=declaration,
            )
        except (UploadRefused, ops.DocumentError) as exc:
            outcomes.append({"filename": f.filename, "ok": False, "message": exc.message})
        except StorageError:
            outcomes.append(
                {
                    "filename": f.filename,
                    "ok": False,
                    "message": _(
                        "The document store is not available. Nothing was saved; try again later."
                    ),
                }
            )
        else:
            outcomes.append(
                {
                    "filename": result.version.filename,
                    "ok": True,
                    "document": result.document,
                    "warnings": result.warnings,
                }
            )
    status = 200 if any(o["ok"] for o in outcomes) else 422
    if wants_json:
        return {"outcomes": [_outcome_json(o) for o in outcomes]}, status
    return render_template(
        "documents/upload_result.html", folder=folder, room=folder.room, outcomes=outcomes
    ), status


def _outcome_json(outcome: dict[str, Any]) -> dict[str, Any]:
    """One file's outcome for the drop-zone script, with its messages already translated."""
    body: dict[str, Any] = {"filename": outcome["filename"], "ok": outcome["ok"]}
    if outcome["ok"]:
        document = outcome["document"]
        body.update(
            url=url_for("documents.document", document_id=document.id),
            title=document.title,
            warnings=outcome["warnings"],
            late=document.current.late,
        )
    else:
        body["message"] = outcome["message"]
    return body


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int) -> str:
    doc = load_document(document_id, READ, trashed=True)
    ops.record_view(doc)
    room, area = doc.folder.room, doc.folder.area
    from vir.audit.queries import for_object
    from vir.comments.api import comments_for
    from vir.comments.forms import CommentForm
    from vir.forwards.queries import for_document
    from vir.search.models import DocumentText
    from vir.search.queries import more_like

    text = db.session.get(DocumentText, doc.current.id)
    everything = audit_scope(current_user) == AuditScope.ALL
    events = for_object("document", doc.id) if everything else []
    return render_template(
        "documents/document.html",
        document=doc,
        folder=doc.folder,
        forwarded=for_document(doc.id),
        events=events,
        text=text,
        similar=more_like(current_user, doc),
        show_reason=can_see_index_failure(current_user, doc.current),
        room=room,
        writable=can_change_document(current_user, doc),
        letter=letter_for_document(doc),
        today=local_today(utcnow()),
        restorable=can_restore(current_user, room, area),
        previewable=previewable(doc.current.media_type, doc.current.active_content),
        form=VersionForm(),
        empty=EmptyForm(),
        move_form=_move_form(doc),
        details_form=DetailsForm(
            formdata=None, title=doc.title, category=doc.category, description=doc.description
        ),
        discussion=comments_for(doc),
        comment_form=CommentForm(),
    )


@bp.post("/documents/<int:document_id>/versions")
@takes_files
@limited("VIR_RATE_UPLOAD")
@login_required
def new_version(document_id: int) -> Any:
    doc = load_document(document_id, WRITE)
    form = VersionForm()
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if len(files) != 1:
        flash(_("Choose one file for the new version."), "error")
        return redirect(url_for("documents.document", document_id=doc.id))
    try:
        result = ops.add_version(
            doc, files[0].stream, files[0].filename, user=current_user, note=form.note.data or ""
        )
    except (UploadRefused, ops.DocumentError) as exc:
        flash(exc.message, "error")
    except StorageError:
        flash(
            _("The document store is not available. Nothing was saved; try again later."), "error"
        )
    else:
        flash(_("Version %(n)d uploaded.", n=result.version.version), "success")
        for warning in result.warnings:
            flash(warning, "info")
    return redirect(url_for("documents.document", document_id=doc.id))


def _move_form(doc: Any) -> MoveForm:
    from sqlalchemy import select

    from vir.rooms.models import Folder

    form = MoveForm()
    folders = db.session.scalars(
        select(Folder)
        .where(
            Folder.room_id == doc.folder.room_id,
            Folder.area == doc.folder.area,
            Folder.id != doc.folder_id,
        )
        .order_by(Folder.name)
    )
    form.folder_id.choices = options(folder_choices(list(folders)))
    return form


def folder_choices(folders: list[Any]) -> list[tuple[int, str]]:
    """Folders as people can tell them apart: a subfolder with its parent ("Improvement
    conference 2027-01-20 › Updated plans…", where every conference has one of that name),
    and any names still alike with the day each was made."""
    from collections import Counter

    from vir.core.templating import local_datetime

    labels = {f.id: f"{f.parent.label()} › {f.label()}" if f.parent else f.label() for f in folders}
    alike = Counter(labels.values())
    for f in folders:
        if alike[labels[f.id]] > 1:
            labels[f.id] += f" ({local_datetime(f.created_at, 'd MMMM y, HH:mm')})"
    return sorted(labels.items(), key=lambda item: item[1].lower())


@bp.post("/documents/<int:document_id>/details")
@login_required
def edit_details(document_id: int) -> Response:
    doc = load_document(document_id, WRITE)
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            changed = ops.edit_details(
                doc,
                current_user,
                title=form.title.data,
                category=form.category.data,
                description=form.description.data or "",
            )
        except ops.DocumentError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Details saved.") if changed else _("Nothing was changed."), "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return redirect(url_for("documents.document", document_id=doc.id))


@bp.post("/documents/<int:document_id>/move")
@login_required
def move(document_id: int) -> Response:
    doc = load_document(document_id, WRITE)
    form = _move_form(doc)
    if form.validate_on_submit():
        target = load_folder(form.folder_id.data, WRITE)
        declaration = LateDeclaration.given(form.information_date.data, form.late_reason.data)
        try:
            ops.move(doc, target, current_user, declaration)
        except (UploadRefused, ops.DocumentError) as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(
                _("“%(title)s” moved to %(folder)s.", title=doc.title, folder=target.name),
                "success",
            )
    else:
        flash(_("Choose a folder to move the document to."), "error")
    return redirect(url_for("documents.document", document_id=doc.id))


@bp.get("/documents/<int:document_id>/download")
@login_required
def download(document_id: int) -> Response:
    doc = load_document(document_id, READ)
    return file_response(doc, request.args.get("version", type=int))


@bp.get("/documents/<int:document_id>/preview")
@login_required
def preview(document_id: int) -> str:
    doc = load_document(document_id, READ)
    version = doc.version(request.args.get("version", type=int))
    if version is None or not previewable(version.media_type, version.active_content):
        abort(404)
    return render_template(
        "documents/preview.html",
        document=doc,
        version=version,
        folder=doc.folder,
        room=doc.folder.room,
    )


@bp.get("/documents/<int:document_id>/inline")
@login_required
def inline(document_id: int) -> Response:
    doc = load_document(document_id, READ)
    return file_response(doc, request.args.get("version", type=int), inline=True)


@bp.post("/documents/<int:document_id>/delete")
@login_required
def delete(document_id: int) -> Response:
    doc = load_document(document_id, WRITE)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.trash(doc, current_user)
    db.session.commit()
    flash(_("“%(title)s” moved to the trash. It can be restored.", title=doc.title), "success")
    return redirect(url_for("rooms.folder", folder_id=doc.folder_id))


@bp.post("/documents/<int:document_id>/restore")
@login_required
def restore(document_id: int) -> Response:
    doc = load_document(document_id, READ, trashed=True)
    require(
        can_restore(current_user, doc.folder.room, doc.folder.area),
        "document.restore",
        provider_id=doc.folder.room.provider_id,
        object_type="document",
        object_id=document_id,
    )
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.restore(doc, current_user)
    db.session.commit()
    flash(_("“%(title)s” restored.", title=doc.title), "success")
    return redirect(url_for("documents.document", document_id=doc.id))


@bp.get("/folders/<int:folder_id>/trash")
@login_required
def trash(folder_id: int) -> str:
    folder = load_folder(folder_id, READ)
    require(
        can_restore(current_user, folder.room, folder.area),
        "document.trash",
        provider_id=folder.room.provider_id,
        object_type="folder",
        object_id=folder_id,
    )
    return render_template(
        "documents/trash.html",
        folder=folder,
        room=folder.room,
        documents=queries.in_folder(folder, trashed=True),
        empty=EmptyForm(),
    )
