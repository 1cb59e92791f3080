"""Helpers shared by the API blueprints."""

from __future__ import annotations

from typing import Any, NoReturn

from flask_smorest import abort as smorest_abort


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
