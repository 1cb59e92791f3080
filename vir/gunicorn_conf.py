"""gunicorn settings for VIR: ``gunicorn -c python:vir.gunicorn_conf 'vir.wsgi:app'``.

Every setting can still be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.http.body import Body, LengthReader

bind = os.environ.get("VIR_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("VIR_WORKERS", "4"))
# Large uploads take minutes on slow links; the default 30 s would kill them.
timeout = int(os.environ.get("VIR_WORKER_TIMEOUT", "900"))
graceful_timeout = 60
forwarded_allow_ips = os.environ.get("VIR_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's access log, to standard error with VIR's own lines; it carries the request id
# VIR sends back, so the two can be joined. The query string is left out (search words).
accesslog = os.environ.get("VIR_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms id=%({x-request-id}o)s'
errorlog = "-"


def _readinto(self: Any, buffer: Any) -> int:
    """Receive a request body of known length straight into the caller's buffer.

    gunicorn's Body has only read(), which passes every byte through two in-memory buffers of
    its own and slices it twice, and werkzeug then copies it into the buffer it was asked to
    fill: six copies of each byte of a large upload, on the thread that is the bottleneck of
    receiving it. With readinto(), werkzeug hands VIR's buffer down, and the socket fills it.
    Anything gunicorn already holds (the start of the body came with the headers) is taken
    through read() first; other bodies (chunked, or without a length) go through read()."""
    view = memoryview(buffer).cast("B")
    reader = self.reader
    unreader = getattr(reader, "unreader", None)
    sock = getattr(unreader, "sock", None)
    if type(reader) is not LengthReader or sock is None:
        data = self.read(len(view))
    elif self.buf.tell():
        data = self.read(min(len(view), self.buf.tell()))
    elif held := unreader.buf.seek(0, os.SEEK_END):
        # Only what is held: asking for more would make gunicorn read ahead again.
        data = reader.read(min(len(view), held))
    else:
        data = None
    if data is not None:
        view[: len(data)] = data
        return len(data)
    wanted = min(len(view), reader.length)
    if wanted <= 0:
        return 0
    got = sock.recv_into(view[:wanted])
    reader.length -= got
    return got


if not hasattr(Body, "readinto"):  # a later gunicorn may bring its own
    Body.readinto = _readinto


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's metrics files are merged and removed (multiprocess Prometheus)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
