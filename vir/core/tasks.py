"""The task queue (huey): SQLite under the data directory by default, Redis when configured.

`vir serve` runs a consumer beside the web server; production runs `vir worker`. Tests run tasks
immediately, in-process, so what a task writes is visible as soon as the request returns.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

# Configured by init_app; until then it is an in-memory immediate queue that touches no disk.
huey = Huey("vir", immediate=True)
_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    _app = app
    cfg = app.config
    if cfg.get("VIR_TASKS_IMMEDIATE"):
        huey.immediate = True
        return
    huey._immediate = False
    # Installations (or test runs) sharing one Redis keep their queues apart by name.
    huey.name = cfg.get("VIR_QUEUE_NAME") or "vir"
    if cfg.get("VIR_REDIS_URL"):
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": cfg["VIR_REDIS_URL"]}
    else:
        path = Path(cfg["VIR_DATA_DIR"]) / "tasks.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    huey.storage = huey.create_storage()


def with_app(func: F) -> F:
    """Run a task inside the application context (the database session is cleaned after)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from flask import current_app, has_app_context

        app = current_app._get_current_object() if has_app_context() else _app  # type: ignore[attr-defined]
        if app is None:
            raise RuntimeError("the task queue was used before create_app()")
        # A context of its own, so the task has its own database session even when it runs
        # in-process straight after the caller's commit (immediate mode).
        with app.app_context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# An idle consumer polls the queue less and less often, by default up to every 10 s, so an
# upload after a quiet minute waited seconds to be indexed. Half a second at most keeps a new
# upload searchable within the goal (bench/freshness.py) for a query a second per thread.
POLL_MAX_SECONDS = 0.5


def once_per(minutes: int) -> Callable[[F], F]:
    """A periodic job that runs once per period across every worker sharing the queue: each
    worker's scheduler enqueues it (every host runs `vir worker`), the first to start it
    claims the period in the queue's storage (Redis, in a cluster) and the others skip it.
    Only the claim of the period before is kept beside it, so claims do not pile up."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if huey.immediate:  # tests and `vir serve`'s one process: nothing to share
                return func(*args, **kwargs)
            period = int(time.time() // (minutes * 60))
            name = f"vir-periodic:{func.__name__}"
            if not huey.put_if_empty(f"{name}:{period}", "1"):
                log.info("%s already ran in this period on another worker", func.__name__)
                return None
            huey.delete(f"{name}:{period - 1}")
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def consumer(workers: int = 2, *, periodic: bool = True) -> Any:
    return huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.05,
        backoff=1.2,
        max_delay=POLL_MAX_SECONDS,
    )


@huey.task(retries=2, retry_delay=30)
@with_app
def index_documents(document_ids: list[int]) -> int:
    """Bring the search index in step for documents whose rows just committed."""
    from vir.search.operations import index_document_ids

    return index_document_ids(document_ids)


@huey.task(retries=1, retry_delay=60)
@with_app
def rebuild_index() -> int:
    """A whole rebuild from stored text, when the index had to be replaced."""
    from vir.search.operations import reindex

    return reindex()


@huey.periodic_task(crontab(minute="*/15"))
@once_per(15)
@with_app
def send_due_mail() -> int:
    """Deadline reminders and inspectors' digests; each message goes once."""
    from vir.notifications.operations import send_due_mail as send

    return send()


@huey.task(retries=2, retry_delay=60)
@with_app
def send_forward_mail(forward_id: int) -> int:
    """Tell a forwarder what the authority decided, straight after the decision."""
    from vir.notifications.operations import send_forward_decision

    return send_forward_decision(forward_id)


@huey.task(retries=2, retry_delay=60)
@with_app
def send_letter_mail(letter_id: int) -> int:
    """Mail about one record or letter (sent for checking, answered, released), at once."""
    from vir.notifications.operations import send_letter_mail as send

    return send(letter_id)


@huey.periodic_task(crontab(minute="*/10"))
@once_per(10)
@with_app
def repair_index() -> int:
    """Bring back in step any document an indexing task gave up on (the writer was held
    past its retries): missing, stale, or gone but still indexed."""
    from vir.search.operations import repair

    return repair()


@huey.periodic_task(crontab(minute="*/20"))  # every host's own spool: on every worker
@with_app
def sweep_spools() -> int:
    """Remove upload spool files that no live upload owns (a worker killed mid-upload)."""
    from vir.core.uploads import sweep_spools as sweep

    return sweep()


@huey.periodic_task(crontab(minute="7"))
@once_per(60)
@with_app
def purge_expired_sessions() -> int:
    from vir.accounts.operations import purge_expired

    return purge_expired()
