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

CATEGORY_LABELS = {
    "improvement_plan": _l("Improvement plan"),
    "organisation_structure": _l("Organisation structure"),
    "significant_report": _l("Significant report"),
    "council_paper": _l("Council paper"),
    "self_evaluation_report": _l("Self-evaluation report (SER)"),
    "data": _l("Data"),
    "other": _l("Other"),
}

AREA_LABELS = {
    "provider": _l("Provider Area"),
    "inspectors": _l("Link Inspectors area"),
}


def role_labels(user: object) -> str:
    return ", ".join(str(ROLE_LABELS[r]) for r in sorted(getattr(user, "roles", ())))


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS,
        KIND_LABELS=KIND_LABELS,
        AREA_LABELS=AREA_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
    )
    app.jinja_env.filters["role_labels"] = role_labels
    app.jinja_env.filters["filesize"] = filesize


def filesize(n: int) -> str:
    """Sizes as people read them (1 KB = 1000 bytes, as operating systems now show)."""
    from flask_babel import format_decimal

    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return (f"{int(value)} {unit}" if unit == "bytes"
                    else f"{format_decimal(round(value, 1))} {unit}")
        value /= 1000
    return f"{n} bytes"
