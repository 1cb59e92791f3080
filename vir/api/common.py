"""Helpers shared by the API blueprints."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import abort as smorest_abort
from webargs.flaskparser import FlaskParser

from vir.core.errors import Refusal
from vir.storage import StorageError


class _Parser(FlaskParser):
    # A query parameter the endpoint does not know is refused, as an unknown JSON field is:
    # a misspelt filter (since= for from=) was ignored, and the answer taken for a filtered one.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: flask-smorest's, with VIR's argument parser."""

    ARGUMENTS_PARSER = _Parser()
    # Paged lists read page and page_size with a parser of their own: strict too (a
    # misspelt per_page was ignored and the caller got 100 where they asked for 10).
    PAGINATION_ARGUMENTS_PARSER = _Parser()


def fail(
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **errors: Any,
) -> NoReturn:
    """Stop with a JSON error; ``code`` overrides the default for the status; ``errors`` are
    field -> messages."""
    kwargs: dict[str, Any] = {"message": message}
    if code:
        kwargs["code"] = code
    if headers:
        kwargs["headers"] = headers
    if errors:
        kwargs["errors"] = errors
    smorest_abort(status, **kwargs)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """A refused upload, document change or decision, or a store that cannot be reached, as
    the API's JSON error (naming the field at fault)."""
    try:
        yield
    except Refusal as exc:
        errors = {exc.field: [exc.message]} if exc.field else {}
        fail(exc.status, exc.message, code=exc.code, **errors)
    except StorageError:
        fail(
            503,
            _("The document store is not available. Nothing was saved; try again later."),
            code="storage_unavailable",
        )
