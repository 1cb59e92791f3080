from __future__ import annotations

import marshmallow as ma


class AuditQuery(ma.Schema):
    provider = ma.fields.String(load_default=None)
    action = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    actor = ma.fields.String(load_default=None, metadata={"description": "an email address"})
    object_type = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=32),
        metadata={"description": "for example document, folder, activity, forward, letter"},
    )
    object_id = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        metadata={"description": "with object_type: one object's events, e.g. a document's"},
    )
    since = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 with offset"}
    )
    until = ma.fields.AwareDateTime(load_default=None)
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.String()
    actor = ma.fields.String()
    organisation = ma.fields.String()
    action = ma.fields.String()
    object_type = ma.fields.String()
    object_id = ma.fields.String()
    provider = ma.fields.String(allow_none=True)
    ip = ma.fields.String()
    outcome = ma.fields.String()
    detail = ma.fields.Dict()


class AuditPage(ma.Schema):
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(AuditEventSchema))
