"""Logging: configured once with ``dictConfig``; one line per request with its request id,
which is also sent back in ``X-Request-ID`` and kept in the request's audit rows; JSON lines
when ``VIR_LOG_FORMAT=json``.

The request line names the method, the path without its query (queries carry search words),
the status, the time taken and the user's id, never a body or a cookie.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("vir.request")


def request_id() -> str:
    """This request's id ('' outside a request)."""
    return g.get("request_id", "") if has_request_context() else ""


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    FIELDS = ("method", "path", "status", "duration_ms", "user_id")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "text": {
                    "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
                },
                "json": {"()": JsonFormatter},
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": "json" if fmt == "json" else "text",
                    "filters": ["request_id"],
                }
            },
            "root": {"level": level.upper(), "handlers": ["console"]},
        }
    )


def init_app(app: Flask) -> None:
    if app.config.get("VIR_LOG_CONFIGURE", not app.testing):
        configure(app.config.get("VIR_LOG_LEVEL") or "INFO", app.config.get("VIR_LOG_FORMAT") or "")

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        # A proxy's id is kept (so one id follows the request through nginx and VIR); anything
        # that does not look like one is replaced, so a log line cannot be forged through it.
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        started = g.get("request_started")
        if started is not None and request.endpoint != "static":
            from flask_login import current_user

            took = round((time.perf_counter() - started) * 1000, 1)
            user = getattr(current_user, "id", None) if current_user else None
            log.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                took,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": took,
                    "user_id": user,
                },
            )
        return response


def init_error_reports(app: Flask) -> None:
    """Error reports to Sentry when ``VIR_SENTRY_DSN`` is set: the exception, the endpoint
    and the request id, never a body, cookie, header value, query string or user."""
    dsn = app.config.get("VIR_SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(transaction_style="endpoint")],
        # What send_default_pii=False promised, in the form that replaced it: no user, no
        # bodies, no local variables; _scrub removes cookies, header values and queries too.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        max_request_body_size="never",
        traces_sample_rate=0,
        before_send=_scrub,
    )


def _scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    req = event.get("request") or {}
    for key in ("cookies", "data", "query_string", "env"):
        req.pop(key, None)
    if "headers" in req:
        req["headers"] = {k: "[kept out]" for k in req["headers"]}
    if req.get("url"):
        req["url"] = req["url"].split("?", 1)[0]
    event.pop("user", None)
    event.setdefault("tags", {})["request_id"] = request_id() or "-"
    return event
