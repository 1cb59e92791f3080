"""Translatable names for the stored codes (roles, kinds, areas), in one place."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "provider_editor": _l("Provider editor"),
    "provider_viewer": _l("Provider viewer"),
    "partner": _l("Partner"),
    "inspector": _l("Inspector"),
    "coordinator": _l("Inspection co-ordinator"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}

KIND_LABELS = {
    "inspectorate": _l("Inspectorate"),
    "local_authority": _l("Local authority"),
    "consortium": _l("Regional consortium"),
    "partner": _l("Partner"),
}

AREA_LABELS = {
    "provider": _l("Provider Area"),
    "inspectors": _l("Link Inspectors area"),
}


def role_labels(user: object) -> str:
    return ", ".join(str(ROLE_LABELS[r]) for r in sorted(getattr(user, "roles", ())))


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS, KIND_LABELS=KIND_LABELS, AREA_LABELS=AREA_LABELS
    )
    app.jinja_env.filters["role_labels"] = role_labels
