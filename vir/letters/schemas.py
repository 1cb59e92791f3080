from __future__ import annotations

import marshmallow as ma

from vir.letters.models import Answer, LetterKind


class LetterFields(ma.Schema):
    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([k.value for k in LetterKind]),
        metadata={"description": "conference_record, outcome_letter, visit_letter or briefing"},
    )
    title = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))


class LetterFile(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class OptionalFile(ma.Schema):
    file = ma.fields.Raw(load_default=None, metadata={"type": "string", "format": "binary"})


class AnswerFields(ma.Schema):
    answer = ma.fields.String(required=True, validate=ma.validate.OneOf([a.value for a in Answer]))
    text = ma.fields.String(load_default="", validate=ma.validate.Length(max=20_000))


class FinalFields(ma.Schema):
    sent_on = ma.fields.Date(required=True, metadata={"description": "the day it was sent"})
    for_publication = ma.fields.Boolean(
        load_default=False, metadata={"description": "consortium final letters are published"}
    )


class ReleaseFields(ma.Schema):
    organisations = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
        required=True,
        validate=ma.validate.Length(min=1, max=20),
        metadata={"description": "slugs of stakeholder organisations"},
    )


class ReleaseOut(ma.Schema):
    organisation = ma.fields.String()
    name = ma.fields.String()
    released_at = ma.fields.AwareDateTime()


class LetterOut(ma.Schema):
    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    provider = ma.fields.String()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    stage = ma.fields.String(
        metadata={"description": "draft, checking, checked, published or final"}
    )
    stage_label = ma.fields.String()
    title = ma.fields.String()
    draft_document_id = ma.fields.Integer(
        metadata={"description": "the draft in the Link Inspectors area; inspectors only"}
    )
    shared_document_id = ma.fields.Integer(allow_none=True)
    shared_at = ma.fields.AwareDateTime(allow_none=True)
    check_due_on = ma.fields.Date(allow_none=True)
    answer = ma.fields.String(allow_none=True)
    answer_text = ma.fields.String()
    answer_document_id = ma.fields.Integer(allow_none=True)
    answered_at = ma.fields.AwareDateTime(allow_none=True)
    answered_by = ma.fields.String(allow_none=True)
    final_version = ma.fields.Integer(allow_none=True)
    final_sent_on = ma.fields.Date(allow_none=True)
    for_publication = ma.fields.Boolean()
    may_answer = ma.fields.Boolean()
    may_manage = ma.fields.Boolean()
    releases = ma.fields.List(
        ma.fields.Nested(ReleaseOut), metadata={"description": "inspectors only"}
    )


class ReleasedOut(ma.Schema):
    id = ma.fields.Integer()
    provider = ma.fields.String()
    provider_name = ma.fields.String()
    activity_kind = ma.fields.String()
    kind = ma.fields.String()
    kind_label = ma.fields.String()
    title = ma.fields.String()
    sent_on = ma.fields.Date(allow_none=True)
    for_publication = ma.fields.Boolean()
    released_at = ma.fields.AwareDateTime(allow_none=True)
    filename = ma.fields.String(allow_none=True)
    size = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String(allow_none=True)
