from __future__ import annotations

import marshmallow as ma

from vir.documents.schemas import CATEGORIES, LateFields
from vir.forwards.models import ForwardStatus

STATUSES = [s.value for s in ForwardStatus]


class ForwardFields(ma.Schema):
    note = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=4000),
        metadata={"description": "what the evidence is and why it matters to the conference"},
    )
    activity_id = ma.fields.Integer(
        load_default=None,
        metadata={"description": "the authority's activity this evidence is for (optional)"},
    )


class ForwardListQuery(ma.Schema):
    direction = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(["sent", "received"]),
        metadata={"description": "default: both that you may see"},
    )
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    provider = ma.fields.String(
        load_default=None, metadata={"description": "received: only this authority (slug)"}
    )


class AcceptFields(LateFields):
    folder_id = ma.fields.Integer(
        required=True, metadata={"description": "a folder of the authority's Provider Area"}
    )
    title = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=300),
        metadata={"description": "defaults from the file name"},
    )
    category = ma.fields.String(load_default="other", validate=ma.validate.OneOf(CATEGORIES))


class DeclineFields(ma.Schema):
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "shown to the sender"},
    )


class AcceptedInto(ma.Schema):
    document_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "null for those who cannot open the folder (the sender)"},
    )
    folder_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "null for those who cannot open the folder (the sender)"},
    )
    folder = ma.fields.String()


class ForwardSchema(ma.Schema):
    id = ma.fields.Integer()
    direction = ma.fields.String(metadata={"description": "sent or received, for the caller"})
    status = ma.fields.String(metadata={"description": "pending, accepted, declined, withdrawn"})
    provider = ma.fields.String()
    provider_name = ma.fields.String()
    from_organisation = ma.fields.String()
    from_organisation_name = ma.fields.String()
    forwarded_by = ma.fields.String(allow_none=True)
    forwarded_at = ma.fields.AwareDateTime()
    note = ma.fields.String()
    activity_id = ma.fields.Integer(allow_none=True)
    filename = ma.fields.String()
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    stale = ma.fields.Boolean(
        metadata={"description": "pending longer than VIR_FORWARD_STALE_WORKING_DAYS working days"}
    )
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    decline_reason = ma.fields.String()
    accepted_into = ma.fields.Nested(AcceptedInto, allow_none=True)
    file_available = ma.fields.Boolean(
        metadata={"description": "false once the file is purged after the retention period"}
    )
    warnings = ma.fields.List(ma.fields.String())
    scanned = ma.fields.Boolean(
        allow_none=True,
        metadata={"description": "scanned for viruses (false: no scanner is configured)"},
    )
    active_content = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "what the PDF runs when opened; never previewed inline"},
    )
