"""For gunicorn: ``gunicorn 'vir.wsgi:app'`` (VIR_SECRET_KEY must be set)."""

from vir import create_app
from vir.core.uploads import keep_large_buffers

keep_large_buffers()
app = create_app()
