"""Prometheus metrics at ``/metrics`` (prometheus-flask-exporter), for the operator's
scraper only: it answers 404 unless ``VIR_METRICS_TOKEN`` is set and sent as a bearer token.

- ``flask_http_request_duration_seconds`` by method, endpoint (never the path: it holds ids)
  and status;
- ``vir_uploads_total`` and ``vir_upload_bytes_total`` by kind (document, version, forward);
- ``vir_extraction_failures_total`` by reason;
- ``vir_mail_total`` by outcome (sent, failed);
- ``vir_task_queue_depth`` and ``vir_index_lag_seconds`` (the oldest live version not yet
  in the index), read when scraped.

Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, cleared at start):
each worker writes its counts there and any worker's ``/metrics`` adds them up
(``vir.gunicorn_conf`` removes a dead worker's files).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from flask import Flask, abort, current_app, request
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# VIR's own counters live in their own registry (in multiprocess mode their values are in
# PROMETHEUS_MULTIPROC_DIR whatever registry holds them).
OWN = CollectorRegistry(auto_describe=True)
UPLOADS = Counter("vir_uploads", "Files accepted", ["kind"], registry=OWN)
UPLOAD_BYTES = Counter("vir_upload_bytes", "Bytes of files accepted", ["kind"], registry=OWN)
EXTRACTION_FAILURES = Counter(
    "vir_extraction_failures", "Files whose text could not be read", ["reason"], registry=OWN
)
MAIL = Counter("vir_mail", "Mail messages by outcome", ["outcome"], registry=OWN)


def count_upload(kind: str, size: int) -> None:
    UPLOADS.labels(kind).inc()
    UPLOAD_BYTES.labels(kind).inc(size)


class _Own(Collector):
    def describe(self) -> list[Any]:
        return []  # nothing to check at registration: these names are VIR's alone

    def collect(self) -> Iterator[Any]:
        yield from OWN.collect()


class _Backlog(Collector):
    """Read at scrape time, from the database and the queue of this installation."""

    def describe(self) -> list[Any]:
        return []  # registered outside a request: collecting then would need the database

    def collect(self) -> Iterator[Any]:
        from sqlalchemy import func, select
        from sqlalchemy.orm import aliased

        from vir.core.db import db, utcnow
        from vir.core.tasks import huey
        from vir.documents.models import Document, DocumentVersion
        from vir.search.models import DocumentText

        depth = GaugeMetricFamily("vir_task_queue_depth", "Tasks waiting in the queue")
        lag = GaugeMetricFamily(
            "vir_index_lag_seconds", "Age of the oldest live version not yet indexed"
        )
        try:
            depth.add_metric([], 0 if huey.immediate else huey.pending_count())
            later = aliased(DocumentVersion)
            newest = (
                select(func.max(later.id))
                .where(later.document_id == Document.id)
                .correlate(Document)
                .scalar_subquery()
            )
            oldest = db.session.scalar(
                select(func.min(DocumentVersion.uploaded_at))
                .join(Document, DocumentVersion.document_id == Document.id)
                .outerjoin(DocumentText, DocumentText.version_id == DocumentVersion.id)
                .where(
                    Document.deleted_at.is_(None),
                    DocumentVersion.id == newest,
                    DocumentText.indexed_at.is_(None),
                )
            )
            waited = (utcnow() - oldest) if oldest else timedelta(0)
            lag.add_metric([], max(waited.total_seconds(), 0.0))
        except Exception:  # a scrape must never fail the scraper; the reason is logged
            log.exception("metrics: could not read the backlog")
            db.session.rollback()
            return
        yield depth
        yield lag


def _token_only(view: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        expected = current_app.config.get("VIR_METRICS_TOKEN") or ""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            abort(404)  # as if there were no such page
        return view(*args, **kwargs)

    guarded.__name__ = view.__name__
    return guarded


def init_app(app: Flask) -> None:
    from prometheus_flask_exporter import PrometheusMetrics
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    options = {
        "path": "/metrics",
        "group_by": "endpoint",
        "metrics_decorator": _token_only,
        "excluded_paths": ["^/static/", "^/metrics$", "^/livez$"],
    }
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics = GunicornInternalPrometheusMetrics(app, **options)
    else:
        # A registry per application: the process-wide default would refuse a second app.
        metrics = PrometheusMetrics(app, registry=CollectorRegistry(auto_describe=True), **options)
        metrics.registry.register(_Own())
    metrics.registry.register(_Backlog())
    app.extensions["vir_metrics"] = metrics
