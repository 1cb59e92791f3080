"""The ``vir`` command: database, organisations, users, demo data, and running the service."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from vir.accounts.models import Role
from vir.config import data_dir, embedded_installation, persistent_secret_key
from vir.orgs.models import OrgKind


def _create_app() -> Flask:
    from vir import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """VIR, the virtual inspection room."""


def main() -> None:
    # The embedded installation keeps a random key in its data directory so the CLI, the web
    # server and the worker agree; gunicorn (vir.wsgi) insists on VIR_SECRET_KEY instead.
    # Anywhere else a key of the host's own would make links (`vir users add`) that the web
    # servers cannot read, so the CLI refuses rather than guess.
    if not os.environ.get("VIR_SECRET_KEY"):
        if not embedded_installation():
            click.secho(
                "VIR_SECRET_KEY is not set. Outside the embedded installation (SQLite in the "
                "data directory) set it to the same value as the web servers use, in the "
                "environment file (see the README, Production).",
                fg="red",
                err=True,
            )
            sys.exit(2)
        os.environ["VIR_SECRET_KEY"] = persistent_secret_key(data_dir())
    cli.main(prog_name="vir")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


# --- orgs ------------------------------------------------------------------------------------


@click.group("orgs")
def orgs_cli() -> None:
    """Organisations."""


@orgs_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Name in English.")
@click.option("--name-cy", help="Name in Welsh (defaults to the English name).")
@click.option(
    "--kind",
    required=True,
    type=click.Choice([k.value for k in OrgKind]),
)
@click.option("--consortium", "consortium_slug", help="The consortium serving this authority.")
@click.option(
    "--room/--no-room", default=None, help="Open a room (default: yes for local authorities)."
)
@with_appcontext
def orgs_add(
    slug: str,
    name: str,
    name_cy: str | None,
    kind: str,
    consortium_slug: str | None,
    room: bool | None,
) -> None:
    """Add an organisation."""
    from vir.core.db import db
    from vir.orgs import operations as ops

    consortium = None
    if consortium_slug:
        consortium = ops.by_slug(consortium_slug)
        if consortium is None:
            _fail(f"There is no organisation called {consortium_slug}.")
    try:
        org = ops.create_org(
            slug, name, kind, name_cy=name_cy, consortium=consortium, with_room=room
        )
    except ops.OrgError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Added {org.slug} ({org.kind}).")


@orgs_cli.command("list")
@with_appcontext
def orgs_list() -> None:
    """List organisations."""
    from sqlalchemy import select

    from vir.core.db import db
    from vir.orgs.models import Organisation

    for org in db.session.scalars(
        select(Organisation).order_by(Organisation.kind, Organisation.slug)
    ):
        extra = f" (consortium: {org.consortium.slug})" if org.consortium else ""
        click.echo(f"{org.slug:28} {org.kind:16} {org.name_en}{extra}")


# --- users -----------------------------------------------------------------------------------


@click.group("users")
def users_cli() -> None:
    """User accounts."""


@users_cli.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
)
@click.option("--assign", "assign", multiple=True, help="Provider slug (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_add(
    email: str,
    name: str,
    org_slug: str,
    roles: tuple[str, ...],
    assign: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """Add a user. Without --password-stdin, prints a one-time link to set a password."""
    from vir.accounts import operations as ops
    from vir.accounts.links import set_password_url
    from vir.core.db import db
    from vir.orgs.operations import by_slug

    org = by_slug(org_slug)
    if org is None:
        _fail(f"There is no organisation called {org_slug}.")
    providers = []
    for slug in assign:
        provider = by_slug(slug)
        if provider is None:
            _fail(f"There is no organisation called {slug}.")
        providers.append(provider)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = ops.create_user(email, name, org, list(roles), password=password, assign=providers)
    except ops.AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    from vir.notifications.operations import tell_coordinators_of_roles

    tell_coordinators_of_roles(user, sorted(user.roles), None)
    click.echo(f"Added {user.email}.")
    if not password:
        click.echo(f"One-time link to set the password (valid 72 hours): {set_password_url(user)}")


@users_cli.command("link")
@click.argument("email")
@with_appcontext
def users_link(email: str) -> None:
    """Print a one-time link for an existing user to set a password (for operators with the
    server's command line; the web pages and the API only ever mail it to the user)."""
    from vir.accounts.links import set_password_url
    from vir.audit.operations import record
    from vir.core.db import db

    user = _user_or_fail(email)
    record("user.password_link", object_type="user", object_id=user.id, sent=False, printed=True)
    db.session.commit()
    click.echo(f"One-time link to set the password (valid 72 hours): {set_password_url(user)}")


def _user_or_fail(email: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from vir.accounts.models import User
    from vir.accounts.operations import normalise_email
    from vir.core.db import db

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        _fail(f"There is no user {email}.")
    return user


@users_cli.command("disable")
@click.argument("email")
@with_appcontext
def users_disable(email: str) -> None:
    """Disable a user and end their sessions and tokens."""
    from vir.accounts.operations import set_active
    from vir.core.db import db

    set_active(_user_or_fail(email), False)
    db.session.commit()
    click.echo(f"Disabled {email}.")


@users_cli.command("enable")
@click.argument("email")
@with_appcontext
def users_enable(email: str) -> None:
    """Enable a disabled user."""
    from vir.accounts.operations import set_active
    from vir.core.db import db

    set_active(_user_or_fail(email), True)
    db.session.commit()
    click.echo(f"Enabled {email}.")


@users_cli.command("list")
@with_appcontext
def users_list() -> None:
    """List users."""
    from sqlalchemy import select

    from vir.accounts.models import User
    from vir.core.db import db

    for u in db.session.scalars(select(User).order_by(User.email)):
        state = "" if u.active else " [disabled]"
        click.echo(f"{u.email:40} {u.organisation.slug:20} {','.join(sorted(u.roles))}{state}")


@click.command("assign")
@click.argument("email")
@click.argument("provider")
@with_appcontext
def assign_cmd(email: str, provider: str) -> None:
    """Assign an inspector or auditor to a provider."""
    from vir.accounts import operations as ops
    from vir.core.db import db
    from vir.orgs.operations import by_slug

    org = by_slug(provider)
    if org is None:
        _fail(f"There is no organisation called {provider}.")
    try:
        ops.assign_provider(_user_or_fail(email), org)
    except ops.AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Assigned {email} to {provider}.")


@click.command("demo")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the demo users' password from standard input (default: a random one).",
)
@with_appcontext
def demo_cmd(password_stdin: bool) -> None:
    """Load the Welsh local authorities, consortia, Estyn, partners and demo users."""
    from vir.orgs.demo import load_demo

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    logins, password = load_demo(password, progress=click.progressbar)
    click.echo("\nDemo sign-ins (password for all: " + password + "):")
    for email, role in logins:
        click.echo(f"  {email:36} {role}")


def waitress_body_limit(config: Any) -> int:
    """The largest body waitress may take in: the largest upload, and a little for the
    multipart framing around it."""
    return int(config["MAX_CONTENT_LENGTH"]) + 1024 * 1024


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve_cmd(host: str, port: int, threads: int) -> None:
    """Run the portal with its task worker in one process (embedded mode)."""
    from waitress import serve

    from vir.core.tasks import consumer, huey
    from vir.core.uploads import keep_large_buffers

    keep_large_buffers()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    from vir.core.uploads import sweep_spools

    sweep_spools(app)
    worker = None
    if not huey.immediate:
        worker = consumer(workers=2)
        # start() runs the scheduler and workers in threads and returns; its signal handlers
        # would swallow Ctrl+C meant for the web server, so they are left out here.
        worker._set_signal_handlers = lambda: None
        worker.start()
    from vir.search.extract import ocr_available

    if not ocr_available():
        click.echo(
            "Text recognition is not installed: scanned papers will be marked as scans "
            "without text. To read them: apt-get install tesseract-ocr "
            "tesseract-ocr-eng tesseract-ocr-cym"
        )
    from vir.search.operations import warm

    with app.app_context():
        warm()
    click.echo(f"VIR is running at http://{host}:{port}/  (Ctrl+C to stop)")
    import gc

    gc.freeze()  # see vir.wsgi: what is loaded by now stays out of full collections
    try:
        # waitress receives a whole body before VIR sees any of it (into its own temporary
        # file past 512 KB, removed when the request ends): its cap is VIR's, so nobody can
        # make it hold more than the largest upload VIR would take. gunicorn (production)
        # streams bodies to VIR instead, which refuses them as they arrive.
        serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="VIR",
            max_request_body_size=waitress_body_limit(app.config),
        )
    finally:
        if worker is not None:
            worker.stop(graceful=True)


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_cmd(destination: str) -> None:
    """Write the database and every stored object to one file, consistently (a tar; see
    the README). Run it while VIR serves: the rows come from one snapshot."""
    from pathlib import Path

    from vir.backups.operations import BackupError, backup, count_steps

    target = Path(destination)
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            partial.open("wb") as out,
            click.progressbar(length=count_steps(), label="Backing up", file=sys.stderr) as bar,
        ):
            report = backup(out, lambda _what, n: bar.update(n))
    except BackupError as exc:
        partial.unlink(missing_ok=True)
        _fail(str(exc))
    partial.replace(target)  # a file at the name is always a whole backup
    click.echo(
        f"{target}: {sum(report.tables.values())} rows in {len(report.tables)} tables, "
        f"{report.objects} objects ({report.bytes} bytes)"
    )
    for key in report.missing:
        click.secho(f"missing from the store (named by a row): {key}", fg="yellow", err=True)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_cmd(source: str) -> None:
    """Restore a backup into a new installation: run `vir db upgrade` first (an empty
    database at the backup's migration), then this, then `vir search reindex` and
    `vir storage reconcile`."""
    from pathlib import Path

    from vir.backups.operations import BackupError, manifest_steps, restore

    try:
        steps = manifest_steps(Path(source))
        with click.progressbar(length=steps, label="Restoring", file=sys.stderr) as bar:
            report = restore(Path(source), lambda _what, n: bar.update(n))
    except BackupError as exc:
        _fail(str(exc))
    click.echo(
        f"restored {sum(report.tables.values())} rows and {report.objects} objects "
        f"({report.bytes} bytes); now run `vir search reindex` and `vir storage reconcile`"
    )


@click.command("doctor")
@with_appcontext
def doctor_cmd() -> None:
    """What /readyz checks, with the reasons; and what this host is missing (system tools,
    the watermark font, stale upload spool files). Exits 1 if VIR is not ready."""
    from vir.core.health import host_report, run_checks

    found = run_checks()
    for c in found:
        colour = {"ok": "green", "off": "yellow"}.get(c.state, "red")
        click.echo(f"{c.name:16} " + click.style(f"{c.state:8}", fg=colour) + f" {c.detail}")
    click.echo()
    for what, state, detail in host_report():
        colour = "green" if state == "ok" else "yellow"
        click.echo(f"{what:16} " + click.style(f"{state:8}", fg=colour) + f" {detail}")
    if not all(c.ready for c in found):
        sys.exit(1)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Schedule the periodic jobs (mail, index repair, purges). Workers sharing one "
    "queue (a worker on every host) each schedule them, and each job runs once a period.",
)
@with_appcontext
def worker_cmd(workers: int, periodic: bool) -> None:
    """Run the task worker (production runs it beside gunicorn)."""
    from vir.core.tasks import consumer
    from vir.core.uploads import sweep_spools

    sweep_spools()  # what a killed web worker left; the worker repeats it every 20 minutes
    consumer(workers=workers, periodic=periodic).run()


@click.group("storage")
def storage_cli() -> None:
    """The document store."""


@storage_cli.command("check")
@with_appcontext
def storage_check() -> None:
    """Verify the connection to the store and its bucket or directory; report upload spool
    files that no live upload owns (``vir serve`` and ``vir worker`` remove them)."""
    from vir.core.uploads import SPOOL_STALE_MINUTES, spool_dir, stale_spools
    from vir.storage import StorageError, get_storage

    try:
        click.echo(get_storage().check())
    except StorageError as exc:
        _fail(str(exc))
    stale = stale_spools()
    size = sum(p.stat().st_size for p in stale if p.exists())
    click.echo(
        f"stale upload spool files (unwritten for {SPOOL_STALE_MINUTES} min) in "
        f"{spool_dir()}: {len(stale)} ({size} bytes)"
    )


@storage_cli.command("reconcile")
@click.option("--fix", is_flag=True, help="Remove orphan objects (older than the grace period).")
@click.option("--no-verify", is_flag=True, help="Skip re-hashing every object.")
@click.option(
    "--grace-minutes",
    type=int,
    default=None,
    help="Objects younger than this may be uploads still committing (default: "
    "VIR_ORPHAN_GRACE_MINUTES).",
)
@with_appcontext
def storage_reconcile(fix: bool, no_verify: bool, grace_minutes: int | None) -> None:
    """Find objects without rows, rows without objects, and objects whose hash changed."""
    from vir.documents.reconcile import reconcile

    def bar(items):  # type: ignore[no-untyped-def]
        return click.progressbar(items, label="Verifying SHA-256", show_pos=True)

    def run(items):  # type: ignore[no-untyped-def]
        with bar(items) as b:
            yield from b

    report = reconcile(fix=fix, verify=not no_verify, grace_minutes=grace_minutes, progress=run)
    click.echo(f"checked {report.checked} objects")
    for title, keys in (
        ("orphan objects (no row)", report.orphans),
        ("recent objects without rows (left alone)", report.young_orphans),
        ("rows whose object is missing", report.missing),
        ("objects whose SHA-256 does not match", report.mismatched),
        ("removed", report.removed),
    ):
        click.echo(f"{title}: {len(keys)}")
        for key in keys:
            click.echo(f"  {key}")
    if report.missing or report.mismatched or (report.orphans and not fix):
        sys.exit(2)


@click.group("documents")
def documents_cli() -> None:
    """Documents."""


@documents_cli.command("purge")
@click.option(
    "--older-than-days", type=int, default=None, help="Default: VIR_TRASH_RETENTION_DAYS."
)
@with_appcontext
def documents_purge(older_than_days: int | None) -> None:
    """Remove for good documents that have been in the trash past the retention period, and
    the files of forwarded evidence decided longer ago than VIR_FORWARD_RETENTION_DAYS."""
    from datetime import timedelta

    from vir.core.db import utcnow
    from vir.documents.operations import purge

    cutoff = utcnow() - timedelta(days=older_than_days) if older_than_days is not None else None

    def run(items):  # type: ignore[no-untyped-def]
        with click.progressbar(items, label="Purging") as b:
            yield from b

    from vir.forwards.operations import purge as purge_forwards

    n = purge(cutoff, progress=run)
    click.echo(f"purged {n} document{'' if n == 1 else 's'}")

    def run_forwards(items):  # type: ignore[no-untyped-def]
        with click.progressbar(items, label="Purging forwarded files") as b:
            yield from b

    m = purge_forwards(progress=run_forwards)
    click.echo(f"purged the files of {m} forwarded item{'' if m == 1 else 's'}")


@click.group("search")
def search_cli() -> None:
    """The full-text search index."""


@search_cli.command("reindex")
@click.option("--provider", help="Only this provider's documents.")
@with_appcontext
def search_reindex(provider: str | None) -> None:
    """Rebuild the index from stored text (extracting only what never was)."""
    from vir.search.operations import reindex

    def run(items):  # type: ignore[no-untyped-def]
        with click.progressbar(items, label="Indexing", show_pos=True) as b:
            yield from b

    n = reindex(provider, progress=run)
    click.echo(f"indexed {n} document{'' if n == 1 else 's'}")


@search_cli.command("check")
@with_appcontext
def search_check() -> None:
    """Report documents missing from the index, stale in it, or indexed but gone; and those
    whose text could not be read, is partly indexed or has none (scans without OCR)."""
    from vir.core.labels import index_reason
    from vir.search.operations import check

    report = check()
    for name in ("missing", "stale", "extra"):
        ids = report[name]
        click.echo(f"{name}: {len(ids)}" + (f" ({', '.join(map(str, ids[:50]))})" if ids else ""))
    # Files whose text could not (all) be read: reported with their reasons; the index itself
    # is in step with them, so they do not fail the check.
    for name in ("failed", "partial", "no_text"):
        found = report[name]
        click.echo(f"{name}: {len(found)}")
        for document_id, reason in found[:200]:
            click.echo(f"  document {document_id}: {index_reason(reason) or reason}")
    if any(report[name] for name in ("missing", "stale", "extra")):
        sys.exit(2)


def init_app(app: Flask) -> None:
    for command in (
        orgs_cli,
        users_cli,
        assign_cmd,
        demo_cmd,
        serve_cmd,
        worker_cmd,
        doctor_cmd,
        backup_cmd,
        restore_cmd,
        storage_cli,
        documents_cli,
        search_cli,
    ):
        app.cli.add_command(command)
