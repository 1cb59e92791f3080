"""VIR, the virtual inspection room."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from vir import config as vir_config


class RowId(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application factory: defaults, then the environment, or the test config."""
    app = Flask(
        __name__,
        template_folder=str(vir_config.ROOT / "templates"),
        static_folder=str(vir_config.ROOT / "static"),
    )
    from vir.core.uploads import VirRequest

    app.request_class = VirRequest
    # Row ids are 32-bit integers in the database: a larger number in a URL names nothing
    # (404), rather than overflowing the driver (500). Set before any blueprint's rules.
    app.url_map.converters["int"] = RowId
    app.config.from_mapping(vir_config.from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    vir_config.check(app.config)

    if app.config.get("VIR_PROXY_COUNT"):
        n = int(app.config["VIR_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from vir import api, cli
    from vir.accounts import views as accounts_views
    from vir.activities import views as activities_views
    from vir.admin import views as admin_views
    from vir.audit import views as audit_views
    from vir.changes import views as changes_views
    from vir.comments import views as comments_views
    from vir.core import db, errors, i18n, limits, logs, security, tasks, templating
    from vir.documents import views as documents_views
    from vir.forwards import views as forwards_views
    from vir.holidays import views as holidays_views
    from vir.letters import views as letters_views
    from vir.notifications import views as notifications_views
    from vir.packs import views as packs_views
    from vir.rooms import views as rooms_views
    from vir.search import views as search_views
    from vir.storage import init_app as init_storage
    from vir.web import views as web_views

    logs.init_app(app)  # first, so every request has its id before anything logs
    logs.init_error_reports(app)
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    tasks.init_app(app)
    if app.config.get("VIR_METRICS", True):
        from vir.core import metrics

        metrics.init_app(app)
    init_storage(app)
    from vir.documents import incoming
    from vir.search import operations as search_ops

    incoming.init_app(app)
    search_ops.init_app(app)
    cli.init_app(app)

    for module in (
        web_views,
        accounts_views,
        rooms_views,
        documents_views,
        changes_views,
        comments_views,
        packs_views,
        forwards_views,
        activities_views,
        letters_views,
        notifications_views,
        search_views,
        audit_views,
        admin_views,
        holidays_views,
    ):
        app.register_blueprint(module.bp)
    api.init_app(app)
    return app
