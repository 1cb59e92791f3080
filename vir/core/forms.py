"""Small helpers for WTForms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovPasswordInput
from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class DateInput(GovDateInput):
    """GOV.UK's day/month/year input, with labels in the reader's language, and safe when a
    form arrives without the field (the upstream widget then fails to render)."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = None
        try:
            params = super().map_gov_params(field, **kwargs)
        finally:
            field.raw_data = raw
        for item, label in zip(
            params.get("items", []), (_l("Day"), _l("Month"), _l("Year")), strict=False
        ):
            item["label"] = str(label)
        return params


def date_arg(name: str, errors: list[str]) -> date | None:
    """A date filter on a list page: GOV.UK's three boxes (``name-day``, ``name-month``,
    ``name-year``), or ``name`` as YYYY-MM-DD (links and bookmarks); a bad one adds a
    message."""
    parts = [(request.args.get(f"{name}-{p}") or "").strip() for p in ("day", "month", "year")]
    if any(parts):
        try:
            day, month, year = (int(p) for p in parts)
            if year < 1000:
                raise ValueError(year)
            return date(year, month, day)
        except ValueError:
            errors.append(_("Enter a real date, with day, month and year, for example 27 3 2027."))
            return None
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(_("Enter a real date, with day, month and year, for example 27 3 2027."))
        return None


class PasswordInput(GovPasswordInput):
    """GOV.UK's password input with its show/hide button and announcements in the reader's
    language (the component's defaults are English only)."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        params = {
            "showPasswordText": _("Show"),
            "hidePasswordText": _("Hide"),
            "showPasswordAriaLabelText": _("Show password"),
            "hidePasswordAriaLabelText": _("Hide password"),
            "passwordShownAnnouncementText": _("Your password is visible"),
            "passwordHiddenAnnouncementText": _("Your password is hidden"),
        }
        kwargs["params"] = {**params, **kwargs.get("params", {})}
        return super().__call__(field, **kwargs)
