"""/api/v1/folders/{id}/documents and /api/v1/documents/{id}/..."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user, login_required

from vir.access import READ, WRITE, can_restore, load_document, load_folder, require
from vir.activities.rules import LateDeclaration
from vir.api.common import Blueprint, fail, refusals
from vir.core.db import db
from vir.core.limits import limited
from vir.core.uploads import takes_files
from vir.documents import operations as ops
from vir.documents import queries
from vir.documents.downloads import file_response
from vir.documents.schemas import (
    DetailsFields,
    DocumentDetailSchema,
    DocumentSchema,
    DownloadQuery,
    MoveFields,
    UploadFields,
    UploadFile,
    VersionFields,
)
from vir.documents.serialise import document_dict, listed_dict
from vir.documents.validation import UploadRefused

blp = Blueprint("api_documents", __name__, url_prefix="/api/v1", description="Documents")


def _declaration(fields: dict[str, Any]) -> LateDeclaration | None:
    return LateDeclaration.given(fields.get("information_date"), fields.get("late_reason"))


@blp.post("/folders/<int:folder_id>/documents")
@takes_files
@limited("VIR_RATE_UPLOAD")
@login_required
@blp.arguments(UploadFields, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, DocumentSchema)
def upload(fields: dict[str, Any], files: dict[str, Any], folder_id: int) -> dict[str, Any]:
    """Upload a document (multipart: file, title, category, description)."""
    folder = load_folder(folder_id, WRITE)
    upload = files["file"]
    with refusals():
        result = ops.upload_document(
            folder,
            upload.stream,
            upload.filename,
            user=current_user,
            title=fields["title"],
            category=fields["category"],
            description=fields["description"],
            declaration=_declaration(fields),
        )
    return document_dict(result.document, warnings=result.warnings)


@blp.get("/folders/<int:folder_id>/documents")
@login_required
@blp.response(200, DocumentSchema(many=True))
@blp.paginate(page_size=100, max_page_size=500)
def list_documents(folder_id: int, pagination_parameters: Any) -> list[dict[str, Any]]:
    """Documents in a folder (not those in the trash), by title, a page at a time
    (``page``, ``page_size``; the X-Pagination header gives the total)."""
    folder = load_folder(folder_id, READ)
    total, rows = queries.listing_page(
        folder, offset=pagination_parameters.first_item, limit=pagination_parameters.page_size
    )
    pagination_parameters.item_count = total
    return [listed_dict(row, folder) for row in rows]


@blp.get("/folders/<int:folder_id>/trash")
@login_required
@blp.response(200, DocumentSchema(many=True))
def list_trash(folder_id: int) -> list[dict[str, Any]]:
    """Documents in this folder's trash (for its editors and co-ordinators)."""
    folder = load_folder(folder_id, READ)
    require(
        can_restore(current_user, folder.room, folder.area),
        "document.trash",
        provider_id=folder.room.provider_id,
        object_type="folder",
        object_id=folder_id,
    )
    return [document_dict(d) for d in queries.in_folder(folder, trashed=True)]


@blp.get("/documents/<int:document_id>")
@login_required
@blp.response(200, DocumentDetailSchema)
def get_document(document_id: int) -> dict[str, Any]:
    """A document with every version, newest first."""
    document = load_document(document_id, READ)
    ops.record_view(document)
    return document_dict(document, versions=True)


@blp.patch("/documents/<int:document_id>")
@login_required
@blp.arguments(DetailsFields)
@blp.response(200, DocumentSchema)
def edit(fields: dict[str, Any], document_id: int) -> dict[str, Any]:
    """Change the title, category or description (any of them); audited."""
    document = load_document(document_id, WRITE)
    with refusals():
        ops.edit_details(document, current_user, **fields)
    db.session.commit()
    return document_dict(document)


@blp.post("/documents/<int:document_id>/versions")
@takes_files
@limited("VIR_RATE_UPLOAD")
@login_required
@blp.arguments(VersionFields, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, DocumentSchema)
def new_version(fields: dict[str, Any], files: dict[str, Any], document_id: int) -> dict[str, Any]:
    """Replace a document with a new version (multipart: file, note)."""
    document = load_document(document_id, WRITE)
    upload = files["file"]
    with refusals():
        result = ops.add_version(
            document,
            upload.stream,
            upload.filename,
            user=current_user,
            note=fields["note"],
            declaration=_declaration(fields),
        )
    return document_dict(result.document, warnings=result.warnings)


@blp.get("/documents/<int:document_id>/download")
@login_required
@blp.arguments(DownloadQuery, location="query")
@blp.response(200, description="the file (or, for S3, a redirect to a short-lived link)")
def download(args: dict[str, Any], document_id: int) -> Response:
    """Download the current version, or ?version=N."""
    document = load_document(document_id, READ)
    return file_response(document, args["version"])


@blp.post("/documents/<int:document_id>/move")
@login_required
@blp.arguments(MoveFields)
@blp.response(200, DocumentSchema)
def move(fields: dict[str, Any], document_id: int) -> dict[str, Any]:
    """Move to another folder of the same area (the papers deadline applies)."""
    document = load_document(document_id, WRITE)
    target = load_folder(fields["folder_id"], WRITE)
    try:
        ops.move(document, target, current_user, _declaration(fields))
    except UploadRefused as exc:
        fail(exc.status, exc.message, code=exc.code)
    except ops.DocumentError as exc:
        fail(exc.status, exc.message, code=exc.code, folder_id=[exc.message])
    db.session.commit()
    return document_dict(document)


@blp.delete("/documents/<int:document_id>")
@login_required
@blp.response(204)
def delete(document_id: int) -> None:
    """Move a document to the trash (restorable until it is purged)."""
    document = load_document(document_id, WRITE)
    ops.trash(document, current_user)
    db.session.commit()


@blp.post("/documents/<int:document_id>/restore")
@login_required
@blp.response(200, DocumentSchema)
def restore(document_id: int) -> dict[str, Any]:
    """Bring a document back from the trash."""
    document = load_document(document_id, READ, trashed=True)
    require(
        can_restore(current_user, document.folder.room, document.folder.area),
        "document.restore",
        provider_id=document.folder.room.provider_id,
        object_type="document",
        object_id=document_id,
    )
    ops.restore(document, current_user)
    db.session.commit()
    return document_dict(document)
