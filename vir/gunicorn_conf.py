"""gunicorn settings for VIR: ``gunicorn -c python:vir.gunicorn_conf 'vir.wsgi:app'``.

Every setting can still be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import os

bind = os.environ.get("VIR_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("VIR_WORKERS", "4"))
# Large uploads take minutes on slow links; the default 30 s would kill them.
timeout = int(os.environ.get("VIR_WORKER_TIMEOUT", "900"))
graceful_timeout = 60
forwarded_allow_ips = os.environ.get("VIR_FORWARDED_ALLOW_IPS", "127.0.0.1")
