from __future__ import annotations

import marshmallow as ma

from vir.rooms.models import Area

AREAS = [a.value for a in Area]


class ProviderSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    areas = ma.fields.List(ma.fields.String(), metadata={"description": "areas you may read"})


class FolderQuery(ma.Schema):
    area = ma.fields.String(load_default=None, validate=ma.validate.OneOf(AREAS))


NAME_CY = {
    "description": "the Welsh name, shown to people who use VIR in Welsh; "
    "empty or absent: the one name in both languages"
}


class FolderCreate(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    name_cy = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200), metadata=NAME_CY
    )
    area = ma.fields.String(required=True, validate=ma.validate.OneOf(AREAS))
    parent_id = ma.fields.Integer(load_default=None, allow_none=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class FolderChange(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    name_cy = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": NAME_CY["description"] + "; absent: unchanged"},
    )
    description = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))


class FolderSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.Function(
        lambda f: f.label(), metadata={"description": "in the language of the request"}
    )
    name_en = ma.fields.String(attribute="name")
    name_cy = ma.fields.String(allow_none=True)
    area = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    description = ma.fields.String()
    provider = ma.fields.Function(lambda f: f.room.provider.slug)
    created_at = ma.fields.AwareDateTime()
