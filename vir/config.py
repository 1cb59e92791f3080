"""Configuration from ``VIR_...`` environment variables, with safe embedded defaults.

Everything the embedded installation keeps (SQLite database, filesystem storage, search index,
task queue) lives under one data directory, so one folder is the whole installation.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def data_dir() -> Path:
    return Path(os.environ.get("VIR_DATA_DIR", "./instance")).resolve()


def embedded_installation() -> bool:
    """The embedded installation: its database is the SQLite file in the data directory (no
    VIR_DATABASE_URL, or an SQLite one). Anything else is a production shape."""
    url = os.environ.get("VIR_DATABASE_URL", "")
    return not url or url.startswith("sqlite")


def persistent_secret_key(directory: Path) -> str:
    """A random key kept in the data directory, for the embedded run command only.

    Production must set VIR_SECRET_KEY; this never gives two installations the same key.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def from_environment() -> dict[str, Any]:
    """Read the whole configuration; see the README for every variable."""
    base = data_dir()
    database_url = os.environ.get("VIR_DATABASE_URL") or f"sqlite:///{base / 'vir.sqlite3'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    debug = _bool(os.environ.get("VIR_DEBUG"), False)
    cfg: dict[str, Any] = {
        "VIR_DATA_DIR": str(base),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": os.environ.get("VIR_SECRET_KEY") or None,
        "DEBUG": debug,
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("VIR_COOKIE_SECURE"), True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "vir_session",
        "VIR_SESSION_IDLE_MINUTES": _int("VIR_SESSION_IDLE_MINUTES", 30),
        "VIR_SESSION_ABSOLUTE_HOURS": _int("VIR_SESSION_ABSOLUTE_HOURS", 12),
        "VIR_TOKEN_HOURS": _int("VIR_TOKEN_HOURS", 8),
        "VIR_REQUIRE_2FA": _bool(os.environ.get("VIR_REQUIRE_2FA"), False),
        "VIR_LOGIN_FREE_ATTEMPTS": _int("VIR_LOGIN_FREE_ATTEMPTS", 5),
        # wrong two-step codes per account before each further one doubles a wait
        "VIR_OTP_FREE_ATTEMPTS": _int("VIR_OTP_FREE_ATTEMPTS", 5),
        "VIR_LOGIN_FREE_ATTEMPTS_PER_ACCOUNT": _int("VIR_LOGIN_FREE_ATTEMPTS_PER_ACCOUNT", 20),
        "VIR_LOGIN_FREE_ATTEMPTS_PER_IP": _int("VIR_LOGIN_FREE_ATTEMPTS_PER_IP", 30),
        # failures are forgotten after this long without one
        "VIR_LOGIN_THROTTLE_WINDOW_MINUTES": _int("VIR_LOGIN_THROTTLE_WINDOW_MINUTES", 15),
        "VIR_LOGIN_MAX_DELAY_SECONDS": _int("VIR_LOGIN_MAX_DELAY_SECONDS", 900),
        "VIR_BASE_URL": os.environ.get("VIR_BASE_URL", "http://127.0.0.1:5000"),
        "VIR_TASKS_IMMEDIATE": _bool(os.environ.get("VIR_TASKS_IMMEDIATE"), False),
        "VIR_REDIS_URL": os.environ.get("VIR_REDIS_URL") or None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        # Documents and their storage
        "VIR_STORAGE": os.environ.get("VIR_STORAGE", "fs"),
        "VIR_STORAGE_DIR": os.environ.get("VIR_STORAGE_DIR") or str(base / "files"),
        "VIR_S3_ENDPOINT_URL": os.environ.get("VIR_S3_ENDPOINT_URL") or None,
        "VIR_S3_BUCKET": os.environ.get("VIR_S3_BUCKET", "vir-documents"),
        "VIR_S3_REGION": os.environ.get("VIR_S3_REGION", "us-east-1"),
        "VIR_S3_ACCESS_KEY": os.environ.get("VIR_S3_ACCESS_KEY") or None,
        "VIR_S3_SECRET_KEY": os.environ.get("VIR_S3_SECRET_KEY") or None,
        "VIR_S3_ADDRESSING_STYLE": os.environ.get("VIR_S3_ADDRESSING_STYLE", "path"),
        "VIR_S3_SSE": os.environ.get("VIR_S3_SSE") or None,
        "VIR_S3_MULTIPART_MB": _int("VIR_S3_MULTIPART_MB", 8),
        "VIR_S3_CONCURRENCY": _int("VIR_S3_CONCURRENCY", 4),
        "MAX_CONTENT_LENGTH": _int("VIR_MAX_UPLOAD_MB", 2048) * 1024 * 1024,
        "VIR_ALLOWED_TYPES": os.environ.get("VIR_ALLOWED_TYPES") or None,
        "VIR_ZIP_MAX_UNCOMPRESSED_MB": _int("VIR_ZIP_MAX_UNCOMPRESSED_MB", 1024),
        "VIR_CLAMD_SOCKET": os.environ.get("VIR_CLAMD_SOCKET") or None,
        "VIR_CLAMD_HOST": os.environ.get("VIR_CLAMD_HOST") or None,
        "VIR_CLAMD_PORT": _int("VIR_CLAMD_PORT", 3310),
        "VIR_TRASH_RETENTION_DAYS": _int("VIR_TRASH_RETENTION_DAYS", 30),
        "VIR_ORPHAN_GRACE_MINUTES": _int("VIR_ORPHAN_GRACE_MINUTES", 60),
        # Forwarded evidence: flagged when pending this many working days; a decided forward's
        # file is purged this many days after the decision (the accepted copy is the document).
        "VIR_FORWARD_STALE_WORKING_DAYS": _int("VIR_FORWARD_STALE_WORKING_DAYS", 5),
        "VIR_FORWARD_RETENTION_DAYS": _int("VIR_FORWARD_RETENTION_DAYS", 30),
        # Follow-up activities
        "VIR_SCHOOL_HOLIDAYS": os.environ.get("VIR_SCHOOL_HOLIDAYS", ""),
        "VIR_FOLDER_SOFT_LIMIT": _int("VIR_FOLDER_SOFT_LIMIT", 25),
        "VIR_REMINDER_WORKING_DAYS": os.environ.get("VIR_REMINDER_WORKING_DAYS", "10,3"),
        # The task queue's name: installations sharing one Redis give each its own.
        "VIR_QUEUE_NAME": os.environ.get("VIR_QUEUE_NAME", "vir"),
        # Prometheus metrics at /metrics, for a scraper that sends this bearer token (none:
        # /metrics answers 404 to everyone).
        "VIR_METRICS_TOKEN": os.environ.get("VIR_METRICS_TOKEN") or None,
        # Error reports to Sentry (opt-in): no request bodies, cookies, users or queries.
        "VIR_SENTRY_DSN": os.environ.get("VIR_SENTRY_DSN") or None,
        # Logging: INFO lines, one per request with its id; json for log collectors.
        "VIR_LOG_LEVEL": os.environ.get("VIR_LOG_LEVEL", "INFO"),
        "VIR_LOG_FORMAT": os.environ.get("VIR_LOG_FORMAT", "text"),
        # PDFs given out with the reader's name on each page: off, drafts (under a
        # factual-accuracy check) or all; the font must have every Welsh letter.
        "VIR_WATERMARK": os.environ.get("VIR_WATERMARK", "drafts"),
        "VIR_WATERMARK_FONT": os.environ.get("VIR_WATERMARK_FONT", ""),
        "VIR_WATERMARK_MAX_MB": _int("VIR_WATERMARK_MAX_MB", 50),
        # Factual-accuracy checks of conference records and letters (consortium visit
        # letters always have five, per the guidance), and the reminder before one is due.
        "VIR_ACCURACY_CHECK_WORKING_DAYS": _int("VIR_ACCURACY_CHECK_WORKING_DAYS", 5),
        "VIR_CHECK_REMINDER_WORKING_DAYS": _int("VIR_CHECK_REMINDER_WORKING_DAYS", 2),
        "VIR_SEARCH_ENABLED": _bool(os.environ.get("VIR_SEARCH_ENABLED"), True),
        # whoosh: an index on this host's disk (one host); postgres: in the database, shared
        # by every web node (needs PostgreSQL with pg_trgm)
        "VIR_SEARCH_BACKEND": os.environ.get("VIR_SEARCH_BACKEND", "whoosh"),
        "VIR_SEARCH_CACHE_MB": _int("VIR_SEARCH_CACHE_MB", 64),
        # Welsh mutations matched in searches (cynllun finds gynllun); 0 turns it off
        "VIR_SEARCH_MUTATIONS": _bool(os.environ.get("VIR_SEARCH_MUTATIONS"), True),
        # Text indexed per document; beyond it a document is "partly indexed"
        "VIR_SEARCH_MAX_TEXT_MB": _int("VIR_SEARCH_MAX_TEXT_MB", 4),
        # Text recognition of scans (Tesseract, when installed): time per document, pages
        "VIR_OCR_ENABLED": _bool(os.environ.get("VIR_OCR_ENABLED"), True),
        "VIR_OCR_TIMEOUT": _int("VIR_OCR_TIMEOUT", 300),
        "VIR_OCR_MAX_PAGES": _int("VIR_OCR_MAX_PAGES", 30),
        # Coarse rate limits per account (and ten times them per address): 429 past them
        "VIR_RATE_LIMITS": _bool(os.environ.get("VIR_RATE_LIMITS"), True),
        "VIR_RATE_SEARCH": os.environ.get("VIR_RATE_SEARCH", "120/minute"),
        "VIR_RATE_UPLOAD": os.environ.get("VIR_RATE_UPLOAD", "60/minute"),
        "VIR_RATE_TOKENS": os.environ.get("VIR_RATE_TOKENS", "30/minute"),
        "VIR_RATE_LIMIT_STORAGE": os.environ.get("VIR_RATE_LIMIT_STORAGE") or None,
        # Mail
        "VIR_SMTP_HOST": os.environ.get("VIR_SMTP_HOST") or None,
        "VIR_SMTP_PORT": _int("VIR_SMTP_PORT", 25),
        "VIR_SMTP_USERNAME": os.environ.get("VIR_SMTP_USERNAME") or None,
        "VIR_SMTP_PASSWORD": os.environ.get("VIR_SMTP_PASSWORD") or None,
        "VIR_SMTP_STARTTLS": _bool(os.environ.get("VIR_SMTP_STARTTLS"), False),
        "VIR_SMTP_SSL": _bool(os.environ.get("VIR_SMTP_SSL"), False),
        "VIR_MAIL_FROM": os.environ.get("VIR_MAIL_FROM", "VIR <vir@localhost>"),
    }
    return cfg


def check(app_config: dict[str, Any]) -> None:
    """Refuse to start with settings that must never reach production."""
    if not app_config.get("SECRET_KEY"):
        if app_config.get("TESTING") or app_config.get("DEBUG"):
            app_config["SECRET_KEY"] = secrets.token_urlsafe(32)
        else:
            raise ConfigError(
                "VIR_SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
    if str(app_config.get("VIR_WATERMARK") or "drafts").strip().lower() not in (
        "off",
        "drafts",
        "all",
    ):
        raise ConfigError("VIR_WATERMARK must be off, drafts or all.")
    backend = app_config.get("VIR_SEARCH_BACKEND") or "whoosh"
    if backend not in ("whoosh", "postgres"):
        raise ConfigError("VIR_SEARCH_BACKEND must be whoosh or postgres.")
    database = str(app_config.get("SQLALCHEMY_DATABASE_URI") or "")
    if backend == "postgres" and not database.startswith("postgresql"):
        raise ConfigError(
            "VIR_SEARCH_BACKEND=postgres searches in the database, so VIR_DATABASE_URL must be "
            "a PostgreSQL one; use whoosh with SQLite."
        )
