from __future__ import annotations

import marshmallow as ma

from vir.accounts.models import Role
from vir.orgs.models import OrgKind


class OrganisationIn(ma.Schema):
    slug = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    name_cy = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in OrgKind]))
    consortium = ma.fields.String(load_default=None, metadata={"description": "consortium slug"})
    room = ma.fields.Boolean(
        load_default=None, metadata={"description": "open a room (default: local authorities)"}
    )


class OrganisationOut(ma.Schema):
    slug = ma.fields.String()
    name_en = ma.fields.String()
    name_cy = ma.fields.String()
    kind = ma.fields.String()
    consortium = ma.fields.Function(lambda o: o.consortium.slug if o.consortium else None)


class UserIn(ma.Schema):
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    org = ma.fields.String(required=True, metadata={"description": "organisation slug"})
    roles = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([r.value for r in Role])),
        required=True,
        validate=ma.validate.Length(min=1),
    )
    assign = ma.fields.List(ma.fields.String(), load_default=list)


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    org = ma.fields.Function(lambda u: u.organisation.slug)
    roles = ma.fields.Function(lambda u: sorted(u.roles))
    assignments = ma.fields.Function(lambda u: sorted(a.provider.slug for a in u.assignments))
    active = ma.fields.Boolean()
    password_link_sent = ma.fields.Boolean(
        dump_only=True,
        metadata={
            "description": "whether the set-password link was mailed to the user (the link itself "
            "goes to them alone; without mail, an operator runs `vir users link`)"
        },
    )


class UserPatch(ma.Schema):
    active = ma.fields.Boolean(required=True)


class AssignIn(ma.Schema):
    provider = ma.fields.String(required=True)
