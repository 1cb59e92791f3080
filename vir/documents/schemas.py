from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from vir.documents.models import Category

CATEGORIES = [c.value for c in Category]


class LateFields(ma.Schema):
    information_date = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "after a conference's papers deadline: the date of the information the "
            "paper carries (one-week exception)"
        },
    )
    late_reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))


class UploadFields(LateFields):
    title = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=300),
        metadata={"description": "defaults from the file name"},
    )
    category = ma.fields.String(
        load_default=Category.OTHER.value, validate=ma.validate.OneOf(CATEGORIES)
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))


class UploadFile(ma.Schema):
    file = Upload(required=True)


class VersionFields(LateFields):
    note = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=4000),
        metadata={"description": "what changed in this version"},
    )


class DetailsFields(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=300))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    description = ma.fields.String(validate=ma.validate.Length(max=4000))


class MoveFields(LateFields):
    folder_id = ma.fields.Integer(required=True)


class DownloadQuery(ma.Schema):
    version = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1))


class VersionSchema(ma.Schema):
    version = ma.fields.Integer()
    filename = ma.fields.String()
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    note = ma.fields.String()
    uploaded_at = ma.fields.AwareDateTime()
    uploaded_by = ma.fields.String(allow_none=True)
    uploaded_by_organisation = ma.fields.String()
    late = ma.fields.Boolean()
    late_reason = ma.fields.String()
    information_date = ma.fields.Date(allow_none=True)
    scanned = ma.fields.Boolean(allow_none=True)
    active_content = ma.fields.List(ma.fields.String())


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    filename = ma.fields.String()
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    version = ma.fields.Integer()
    category = ma.fields.String()
    description = ma.fields.String()
    uploaded_at = ma.fields.AwareDateTime()
    uploaded_by = ma.fields.String(allow_none=True)
    folder_id = ma.fields.Integer()
    provider = ma.fields.String()
    area = ma.fields.String()
    deleted_at = ma.fields.AwareDateTime(allow_none=True)
    late = ma.fields.Boolean()
    late_reason = ma.fields.String()
    scanned = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "scanned for viruses (false: no scanner is configured; null: not "
            "recorded, stored before VIR recorded it)"
        },
    )
    active_content = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "what the PDF runs when opened (javascript, openaction, "
            "additional-actions, launch, richmedia, xfa); never previewed inline"
        },
    )
    index_status = ma.fields.String(
        metadata={"description": "search: pending, indexed, partial, no_text or failed"}
    )
    index_reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "why not all of its text is searchable: truncated, pdf_pages, "
            "ocr_pages, ocr_time, ocr, scan_no_ocr, image_no_ocr, no_text, "
            "image_too_large, timeout, too_big, memory, encrypted, unreadable, "
            "storage"
        },
    )
    index_message = ma.fields.String(
        allow_none=True, metadata={"description": "the same, in the caller's language"}
    )
    warnings = ma.fields.List(
        ma.fields.String(), metadata={"description": "e.g. the same file is already in the folder"}
    )


class ProvenanceSchema(ma.Schema):
    forward_id = ma.fields.Integer()
    organisation = ma.fields.String()
    organisation_name = ma.fields.String()
    forwarded_by = ma.fields.String(allow_none=True)
    forwarded_at = ma.fields.AwareDateTime()
    accepted_at = ma.fields.AwareDateTime(allow_none=True)
    accepted_by = ma.fields.String(allow_none=True)


class DocumentDetailSchema(DocumentSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))
    forwarded = ma.fields.Nested(
        ProvenanceSchema,
        allow_none=True,
        metadata={"description": "set when the document was accepted from forwarded evidence"},
    )
