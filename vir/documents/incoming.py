"""Planning where a large upload will be stored before its body is read, so the storage back
end can start storing it while it arrives (see vir.storage.pipeline)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_login import current_user

from vir.access import WRITE, can
from vir.core.db import db
from vir.documents.models import Document
from vir.rooms.models import Folder

# Endpoints whose file parts become documents, and which URL argument names the target.
UPLOAD_ENDPOINTS = {
    "api_documents.upload": "folder_id",
    "documents.upload": "folder_id",
    "api_documents.new_version": "document_id",
    "documents.new_version": "document_id",
}


@dataclass(frozen=True)
class UploadPlan:
    key: str
    uid: str
    folder_id: int


def plan_upload(total_content_length: int) -> UploadPlan | None:
    """Only for large bodies, on upload endpoints, by users who may write there; anything
    else is stored the ordinary way after it has been received and checked."""
    from vir.documents.operations import object_key

    threshold = current_app.config["VIR_S3_MULTIPART_MB"] * 1024 * 1024
    argument = UPLOAD_ENDPOINTS.get(request.endpoint or "")
    if argument is None or total_content_length < 2 * threshold:
        return None
    if not getattr(current_user, "is_authenticated", False):
        return None
    target_id = (request.view_args or {}).get(argument)
    if argument == "folder_id":
        folder = db.session.get(Folder, target_id)
        uid, version = secrets.token_hex(16), 1
    else:
        document = db.session.get(Document, target_id)
        if document is None:
            return None
        folder, uid, version = document.folder, document.uid, document.current.version + 1
    if folder is None or not can(current_user, WRITE, folder.room, folder.area):
        return None
    return UploadPlan(object_key(folder, uid, version), uid, folder.id)


def init_app(app: Flask) -> None:
    app.extensions["vir_upload_planner"] = plan_upload
