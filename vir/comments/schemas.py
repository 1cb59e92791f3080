from __future__ import annotations

import marshmallow as ma


class CommentFields(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=10_000))
    version = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "the version commented on (default: the current one)"},
    )
    reply_to = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "the comment this answers (replies take its version)"},
    )


class CommentSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "comment, or note (inspectors only)"})
    version = ma.fields.Integer()
    author = ma.fields.String()
    organisation = ma.fields.String()
    created_at = ma.fields.DateTime()
    body = ma.fields.String()
    replies = ma.fields.List(ma.fields.Nested(lambda: CommentSchema()))


class CommentsSchema(ma.Schema):
    comments = ma.fields.List(ma.fields.Nested(CommentSchema))
    notes = ma.fields.List(
        ma.fields.Nested(CommentSchema),
        metadata={"description": "inspectors' private notes; absent for everyone else"},
    )
    may_comment = ma.fields.Boolean()
    may_reply = ma.fields.Boolean()
    may_write_notes = ma.fields.Boolean()
