"""The JSON API under /api/v1, with its OpenAPI document generated from the same marshmallow
schemas that validate requests (flask-smorest)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask, request
from flask_smorest import Api

from vir.core.security import csrf


class ErrorBody(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "not_found"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(metadata={"description": "field -> messages, for validation errors"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBody, required=True)


class VirApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # vir.core.errors handles every error, API and web alike, in one place.
        return None


api = VirApi(
    spec_kwargs={
        "info": {
            "description": "VIR: documents shared between providers and Estyn inspectors. "
            "Authenticate with POST /api/v1/tokens, then send "
            "'Authorization: Bearer <token>'."
        },
        "servers": [{"url": "/"}],
    }
)


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="VIR",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        # The reference page, from VIR's own static files (no CDN: scripts/build-assets).
        OPENAPI_REDOC_PATH="docs",
        OPENAPI_REDOC_URL="/static/vendor/redoc.standalone.js",
    )
    from vir.api.spec import MultipartAndAuthPlugin

    @app.after_request
    def _docs_policy(response: Any) -> Any:
        # ReDoc styles itself inline and searches in a worker it starts from a blob: this one
        # page is allowed that, and nothing from anywhere but VIR.
        if request.endpoint == "api-docs.openapi_redoc":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
            )
        return response

    api.init_app(app)
    plugin = MultipartAndAuthPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
    api.spec.components.response(
        "UNAUTHENTICATED",
        {
            "description": "No token, or one that has expired or been revoked",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]

    from vir.accounts import api as accounts_api
    from vir.activities import api as activities_api
    from vir.admin import api as admin_api
    from vir.audit import api as audit_api
    from vir.changes import api as changes_api
    from vir.comments import api as comments_api
    from vir.documents import api as documents_api
    from vir.forwards import api as forwards_api
    from vir.holidays import api as holidays_api
    from vir.letters import api as letters_api
    from vir.notifications import api as notifications_api
    from vir.packs import api as packs_api
    from vir.rooms import api as rooms_api
    from vir.search import api as search_api

    for module in (
        accounts_api,
        rooms_api,
        documents_api,
        changes_api,
        comments_api,
        packs_api,
        forwards_api,
        activities_api,
        letters_api,
        notifications_api,
        search_api,
        audit_api,
        admin_api,
        holidays_api,
    ):
        csrf.exempt(module.blp)  # bearer tokens, never cookies: CSRF cannot apply
        api.register_blueprint(module.blp)
