from __future__ import annotations

import marshmallow as ma


class TokenRequest(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(max=1024)
    )
    otp = ma.fields.String(load_default=None, metadata={"description": "TOTP code, if enrolled"})


class TokenResponse(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = ma.fields.AwareDateTime(required=True)


class OrganisationRef(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class MeSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    organisation = ma.fields.Nested(OrganisationRef)
    roles = ma.fields.List(ma.fields.String())
    assignments = ma.fields.List(ma.fields.String(), metadata={"description": "provider slugs"})
    locale = ma.fields.String(allow_none=True)
    totp_enabled = ma.fields.Boolean()
