"""One error handler: JSON ``{"error": {code, message}}`` under /api, a page elsewhere."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import sqlalchemy.exc as sa_exc
from flask import Flask, Response, jsonify, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from vir.core.db import db
from vir.core.security import is_api_request

log = logging.getLogger(__name__)


class Refusal(ValueError):
    """A request refused for a reason the person can act on: ``message`` (translated) for
    them, ``code`` and ``status`` for API clients, ``field`` for the form field at fault."""

    def __init__(
        self, message: str, code: str = "conflict", status: int = 409, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field


CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def default_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Sign in to continue."),
        403: _("You do not have permission to do that."),
        404: _("Page not found. If you typed the web address, check it is correct."),
        405: _("That action is not available here."),
        409: _("That conflicts with the current state of the record."),
        410: _("The file is no longer kept: it was removed after the retention period."),
        413: _("The file is too large."),
        415: _("That kind of request body is not accepted."),
        422: _("Some of the information given is not valid."),
        429: _("Too many attempts. Wait a moment and try again."),
        500: _("Sorry, something went wrong. Nothing you sent has been lost; try again."),
        503: _("The service is unavailable. Try again later."),
    }
    return messages.get(status, _("The request could not be completed."))


def error_payload(
    status: int, code: str | None = None, message: str | None = None, details: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code or CODES.get(status, "error"),
        "message": message or default_message(status),
    }
    if details:
        body["details"] = details
    return {"error": body}


def handle_http_exception(error: HTTPException) -> tuple[Response | str, int, dict]:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, CSRFError):
        message = _(
            "This form has expired or was sent from elsewhere. Go back, reload the page "
            "and try again; nothing has been changed."
        )
    else:
        message = data.get("message")
    if status >= 500:
        db.session.rollback()
    if is_api_request():
        details = data.get("errors") or data.get("messages")
        if isinstance(details, dict) and set(details) <= {"json", "form", "files", "query"}:
            # webargs nests validation messages by location; the location is noise to callers.
            flat: dict[str, Any] = {}
            for location, part in details.items():
                if isinstance(part, dict):
                    flat.update(part)
                else:  # e.g. {"json": ["Invalid JSON body."]}
                    flat[location] = part
            details = flat
        payload = error_payload(status, data.get("code"), message, details)
        return jsonify(payload), status, headers
    back = None
    if status == 413:
        message, back = _too_large()
    page = render_template(
        "errors.html", status=status, message=message or default_message(status), back=back
    )
    return page, status, headers


def _too_large() -> tuple[str, tuple[str, str] | None]:
    """The limit in words, and the way back to where the upload was made (without
    JavaScript the browser shows this page instead of the folder)."""
    from flask import current_app, request, url_for

    from vir.core.labels import filesize

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _(
        "That upload is larger than %(size)s, the most VIR takes at once. Upload fewer files "
        "at a time, or split a very large file, and try again.",
        size=filesize(limit),
    )
    args = request.view_args or {}
    if request.endpoint == "documents.upload" and "folder_id" in args:
        return message, (
            url_for("rooms.folder", folder_id=args["folder_id"]),
            _("Back to the folder"),
        )
    if request.endpoint == "documents.new_version" and "document_id" in args:
        target = url_for("documents.document", document_id=args["document_id"])
        return message, (target, _("Back to the document"))
    return message, None


def handle_unexpected(error: Exception) -> tuple[Response | str, int, dict]:
    log.exception("unhandled error")
    db.session.rollback()
    return handle_http_exception(InternalServerError())


def handle_database_down(error: Exception) -> tuple[Response | str, int, dict]:
    """The database cannot be reached (or is locked past its timeout): 503, as a storage
    outage is, with a message that says nothing was saved."""
    log.error("database unavailable: %s", error)
    with contextlib.suppress(Exception):  # the connection is gone: nothing to roll back
        db.session.rollback()
    message = _(
        "The service cannot reach its database just now. Nothing you sent has been "
        "saved; try again in a minute."
    )
    headers = {"Retry-After": "30"}
    if is_api_request():
        return jsonify(error_payload(503, "database_unavailable", message)), 503, headers
    try:
        page = render_template("errors.html", status=503, message=message)
    except Exception:  # the page itself needed the database (the signed-in user)
        page = message
    return page, 503, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa_exc.OperationalError, handle_database_down)
    app.register_error_handler(sa_exc.InterfaceError, handle_database_down)
    if not app.config.get("TESTING"):
        # In tests an unexpected exception must fail the test loudly, not become a page.
        app.register_error_handler(Exception, handle_unexpected)
