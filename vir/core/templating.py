"""Jinja set-up: our templates first, then GOV.UK Frontend's macros; date filters."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_datetime
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from vir.config import ROOT
from vir.core import labels


def local_datetime(value: datetime | None, fmt: str = "d MMMM y, HH:mm") -> str:
    """An instant shown in Europe/London, in the reader's language."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def _menu() -> dict[str, bool]:
    """What the service navigation offers, decided by the access policy."""
    from flask_login import current_user

    from vir.access import (
        can_admin,
        can_search,
        can_view_audit,
        is_stakeholder,
        may_have_forwards,
    )

    if not current_user.is_authenticated:
        return {
            "menu_search": False,
            "menu_audit": False,
            "menu_admin": False,
            "menu_forwards": False,
            "menu_released": False,
        }
    return {
        "menu_search": can_search(current_user),
        "menu_audit": can_view_audit(current_user),
        "menu_admin": can_admin(current_user),
        "menu_forwards": may_have_forwards(current_user),
        "menu_released": is_stakeholder(current_user),
    }


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    labels.register(app)
    app.context_processor(_menu)
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["format_date"] = format_date
