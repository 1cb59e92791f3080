from __future__ import annotations

import marshmallow as ma

from vir.activities.models import ActivityKind

KINDS = [k.value for k in ActivityKind]
LOCAL = "ISO 8601; without an offset it is Europe/London wall-clock time (e.g. 2027-03-10T09:30)"


class ActivityIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    starts_at = ma.fields.DateTime(required=True, metadata={"description": LOCAL})
    ends_at = ma.fields.DateTime(load_default=None, metadata={"description": LOCAL})
    lead_inspector = ma.fields.String(load_default=None, metadata={"description": "email"})


class ActivityPatch(ma.Schema):
    starts_at = ma.fields.DateTime(load_default=None, metadata={"description": LOCAL})
    ends_at = ma.fields.DateTime(load_default=None, metadata={"description": LOCAL})
    lead_inspector = ma.fields.String(load_default=None, metadata={"description": "email"})


class ExtensionIn(ma.Schema):
    until = ma.fields.DateTime(required=True, metadata={"description": LOCAL})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class OutcomeLetterIn(ma.Schema):
    received_on = ma.fields.Date(required=True)


class MilestoneOut(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()
    rule = ma.fields.String(metadata={"description": "the guidance the date comes from"})
    due = ma.fields.Date(allow_none=True)
    due_until = ma.fields.Date(allow_none=True)
    at = ma.fields.AwareDateTime(allow_none=True)
    done = ma.fields.Date(
        allow_none=True, metadata={"description": "when it was met (what the provider was sent)"}
    )
    late = ma.fields.Boolean(metadata={"description": "met after its date, or unmet past it"})


class ActivityOut(ma.Schema):
    id = ma.fields.Integer()
    provider = ma.fields.String()
    kind = ma.fields.String()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    papers_deadline = ma.fields.AwareDateTime(allow_none=True)
    deadline_extended = ma.fields.Boolean()
    extension_reason = ma.fields.String()
    lead_inspector = ma.fields.String(allow_none=True)
    outcome_letter_received_on = ma.fields.Date(allow_none=True)
    folders = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(allow_none=True),
        metadata={
            "description": "provider, inspectors, post_conference: "
            "null where the caller cannot open it"
        },
    )
    milestones = ma.fields.List(ma.fields.Nested(MilestoneOut))
    warnings = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "when recorded: a notification date already passed"},
    )
