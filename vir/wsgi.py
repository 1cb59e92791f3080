"""For gunicorn: ``gunicorn 'vir.wsgi:app'`` (VIR_SECRET_KEY must be set)."""

from vir import create_app
from vir.core.uploads import keep_large_buffers, sweep_spools

keep_large_buffers()
app = create_app()
sweep_spools(app)  # spool files a killed worker left behind
