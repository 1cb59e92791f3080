"""For gunicorn: ``gunicorn 'vir.wsgi:app'`` (VIR_SECRET_KEY must be set; and a virus
scanner, VIR_CLAMD_SOCKET or VIR_CLAMD_HOST, unless VIR_CLAMD=off says on purpose that there
is none)."""

import gc
import os

from vir import create_app
from vir.core.uploads import keep_large_buffers, sweep_spools
from vir.search.operations import warm as warm_search

keep_large_buffers()
app = create_app()
if (
    not (app.config.get("VIR_CLAMD_SOCKET") or app.config.get("VIR_CLAMD_HOST"))
    and os.environ.get("VIR_CLAMD", "").lower() != "off"
):
    raise SystemExit(
        "VIR will not start without a virus scanner: set VIR_CLAMD_SOCKET (or "
        "VIR_CLAMD_HOST and VIR_CLAMD_PORT) to a clamd, or set VIR_CLAMD=off to "
        "run without one (every upload is then marked 'not scanned')."
    )
sweep_spools(app)  # spool files a killed worker left behind
with app.app_context():
    warm_search()  # each worker reads its word lists and index now, not on a user's search
# Everything loaded so far lives as long as the process: leave it out of the collector's
# full passes, which otherwise walk it all (a folder page took 115 ms instead of 22 ms on
# each worker's full collection).
gc.freeze()
