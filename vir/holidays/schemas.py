from __future__ import annotations

import marshmallow as ma


class HolidayIn(ma.Schema):
    starts_on = ma.fields.Date(required=True, metadata={"description": "first day, YYYY-MM-DD"})
    ends_on = ma.fields.Date(required=True, metadata={"description": "last day, included"})


class HolidayOut(ma.Schema):
    id = ma.fields.Integer(
        allow_none=True, metadata={"description": "null: not the provider's own"}
    )
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()


class HolidaysOut(ma.Schema):
    provider = ma.fields.String()
    source = ma.fields.String(
        metadata={
            "description": "own (recorded for it), default (VIR_SCHOOL_HOLIDAYS), or "
            "members (a consortium: the union of its authorities')"
        }
    )
    holidays = ma.fields.List(ma.fields.Nested(HolidayOut))
