"""Two corrections to the OpenAPI document flask-smorest writes, so that it is valid
OpenAPI 3.1 and says what every operation may answer:

- an upload takes form fields and files in one multipart body, but flask-smorest documents
  only one request body per operation and leaves the form fields as ``in: formData``
  parameters (OpenAPI 2): they are folded into the multipart body's schema;
- every operation that needs a token may answer 401, which no operation said.

An apispec plugin, registered after flask-smorest's marshmallow plugin, so it sees each
operation once its schemas are resolved.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

MULTIPART = "multipart/form-data"
# Operations anyone may call: they answer no 401 for a missing token.
PUBLIC = {"/api/v1/tokens": {"post"}, "/api/v1/openapi.json": {"get"}}


class MultipartAndAuthPlugin(BasePlugin):
    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.spec = spec

    def _resolve(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        ref = (schema or {}).get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return self.spec.components.schemas[ref.rsplit("/", 1)[1]]
        return schema or {}

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            _fold_form_fields(operation, self._resolve)
            if method not in PUBLIC.get(path or "", set()):
                operation.setdefault("responses", {}).setdefault(
                    "401", {"$ref": "#/components/responses/UNAUTHENTICATED"}
                )


def _fold_form_fields(operation: dict[str, Any], resolve: Any) -> None:
    params = operation.get("parameters") or []
    form = [p for p in params if isinstance(p, dict) and p.get("in") == "formData"]
    if not form:
        return
    properties: dict[str, Any] = {}
    required = []
    for p in form:
        schema = dict(p.get("schema") or {})
        if p.get("description"):
            schema.setdefault("description", p["description"])
        properties[p["name"]] = schema
        if p.get("required"):
            required.append(p["name"])
    body = operation.setdefault("requestBody", {"content": {}})
    content = body.setdefault("content", {})
    files = resolve(next(iter(content.values()), {}).get("schema") if content else None)
    # One object with the file parts and the form fields: two schemas joined by allOf
    # could not both forbid properties the other one has.
    fields: dict[str, Any] = {
        "type": "object",
        "properties": {**files.get("properties", {}), **properties},
        "additionalProperties": False,
    }
    if required or files.get("required"):
        fields["required"] = sorted({*files.get("required", []), *required})
    content.clear()
    content[MULTIPART] = {"schema": fields}
    operation["parameters"] = [p for p in params if p not in form]
    if not operation["parameters"]:
        del operation["parameters"]
