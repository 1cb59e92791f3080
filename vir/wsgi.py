"""For gunicorn: ``gunicorn 'vir.wsgi:app'`` (VIR_SECRET_KEY must be set)."""

from vir import create_app

app = create_app()
