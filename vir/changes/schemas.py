from __future__ import annotations

import marshmallow as ma


class CompareQuery(ma.Schema):
    from_ = ma.fields.Integer(
        data_key="from",
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "the earlier version (default: the one before `to`)"},
    )
    to = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "the later version (default: the current one)"},
    )
    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "a page of paragraphs; out of range gives the last"},
    )


class ChangeSchema(ma.Schema):
    op = ma.fields.String(metadata={"description": "equal, insert or delete"})
    text = ma.fields.String()


class ComparedVersionSchema(ma.Schema):
    version = ma.fields.Integer()
    filename = ma.fields.String()
    uploaded_at = ma.fields.DateTime()


class ComparisonSchema(ma.Schema):
    document_id = ma.fields.Integer()
    from_ = ma.fields.Nested(ComparedVersionSchema, data_key="from")
    to = ma.fields.Nested(ComparedVersionSchema)
    words_inserted = ma.fields.Integer()
    words_deleted = ma.fields.Integer()
    identical = ma.fields.Boolean()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()
    pages_with_changes = ma.fields.List(ma.fields.Integer())
    paragraphs_total = ma.fields.Integer()
    first_paragraph = ma.fields.Integer(metadata={"description": "number of this page's first"})
    paragraphs = ma.fields.List(
        ma.fields.List(ma.fields.Nested(ChangeSchema)),
        metadata={"description": "this page's paragraphs, each a list of runs of words"},
    )
