"""Is this process ready to serve? One set of checks for load balancers (``/readyz``: each
part's state, never its error) and for a person (``vir doctor``: the details, and what this
host is missing)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from vir.core.db import db

log = logging.getLogger(__name__)
OK, FAILED, OFF = "ok", "failed", "off"


@dataclass(frozen=True)
class Check:
    name: str
    state: str  # ok, failed, or off (not configured, by choice)
    detail: str = ""  # for vir doctor and the log only: never in an HTTP answer

    @property
    def ready(self) -> bool:
        return self.state != FAILED


def _database() -> str:
    db.session.execute(text("SELECT 1"))
    return current_app.config["SQLALCHEMY_DATABASE_URI"].split("://", 1)[0]


def _storage() -> str:
    from vir.storage import get_storage

    return get_storage().check()


def _search() -> str | None:
    if not current_app.config.get("VIR_SEARCH_ENABLED", True):
        return None
    from vir.search.backend import get_backend

    return get_backend().describe()


def _queue() -> str:
    from vir.core.tasks import huey

    if huey.immediate:
        return "tasks run in the request (embedded/test mode)"
    return f"{huey.pending_count()} tasks waiting ({type(huey.storage).__name__})"


def _scanner() -> str | None:
    from vir.documents.scanning import _connect

    sock = _connect()
    if sock is None:
        return None
    with sock:
        sock.settimeout(5)
        sock.sendall(b"zPING\0")
        answer = sock.recv(16)
    if not answer.startswith(b"PONG"):
        raise OSError(f"clamd answered {answer!r}")
    return "clamd answers"


PARTS: list[tuple[str, Callable[[], str | None]]] = [
    ("database", _database),
    ("storage", _storage),
    ("search_index", _search),
    ("task_queue", _queue),
    ("virus_scanner", _scanner),
]


def run_checks() -> list[Check]:
    out = []
    for name, probe in PARTS:
        try:
            detail = probe()
        except Exception as exc:  # any failure means "not ready"; the reason is logged
            log.warning("readiness: %s failed: %s", name, exc)
            db.session.rollback()
            out.append(Check(name, FAILED, str(exc)[:500]))
            continue
        out.append(Check(name, OFF if detail is None else OK, detail or "not configured"))
    return out


def _autovacuum() -> tuple[str, str, str]:
    """PostgreSQL's autovacuum keeps the planner's statistics (search joins read badly without
    them), flushes the search index's GIN pending list after a rebuild by a database user
    that does not own it, and clears dead session and throttle rows. VIR runs without it,
    more slowly: worth saying, not a reason to stop."""
    try:
        on = db.session.execute(text("SHOW autovacuum")).scalar() == "on"
    except Exception as exc:  # a report line, never a failure of the whole report
        db.session.rollback()
        return ("autovacuum", "unknown", str(exc)[:200])
    if on:
        return ("autovacuum", OK, "PostgreSQL autovacuum is on")
    return (
        "autovacuum",
        OFF,
        "PostgreSQL autovacuum is off: statistics go stale and search slows; set "
        "autovacuum = on in postgresql.conf (or ANALYZE after large loads)",
    )


# Tools a person may want to know are missing; none stops VIR from serving.
TOOLS = {
    "tesseract": "reading scanned pages (OCR); Debian tesseract-ocr, -cym and -eng",
    "pdftotext": "not needed: PDF text comes from pypdfium2 (a wheel)",
    "clamdscan": "virus scanning (clamd); Debian clamav-daemon",
}


def host_report() -> list[tuple[str, str, str]]:
    """(what, state, detail) for the host: system tools, the watermark font, spool files."""
    from vir.core.uploads import stale_spools
    from vir.documents import watermark

    rows = []
    for tool, why in TOOLS.items():
        found = shutil.which(tool)
        rows.append((tool, OK if found else "missing", found or why))
    font = watermark.font_path()
    rows.append(
        (
            "watermark font",
            OK if font else "missing",
            str(font) if font else "Debian fonts-dejavu-core, or set VIR_WATERMARK_FONT",
        )
    )
    if db.engine.dialect.name == "postgresql":
        rows.append(_autovacuum())
    stale = list(stale_spools())
    rows.append(
        (
            "upload spool",
            OK if not stale else "stale",
            f"{len(stale)} stale spool files" if stale else "no stale spool files",
        )
    )
    return rows
