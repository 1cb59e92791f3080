"""Fixtures: ``app`` (on SQLite and on PostgreSQL), ``client``, ``runner``, ``world`` (orgs and
users of every role) and ``auth`` (web sign-in and API tokens).

PostgreSQL is a real server (VIR_TEST_POSTGRES_URL, default the local one with trust auth). If
it cannot be reached the PostgreSQL half of the suite errors: it is never skipped.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests import files
from vir import create_app
from vir.accounts import operations as account_ops

PG_ADMIN_URL = os.environ.get(
    "VIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
PASSWORD = "correct horse battery staple"


def _config(database_url: str, data_dir: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "VIR_DATA_DIR": str(data_dir),
        "VIR_TASKS_IMMEDIATE": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "VIR_BASE_URL": "http://localhost",
        "VIR_STORAGE": "fs",
        "VIR_STORAGE_DIR": str(data_dir / "files"),
        "VIR_ZIP_MAX_UNCOMPRESSED_MB": 16,
        # Indexing runs an extraction process per document; the search tests turn it on.
        "VIR_SEARCH_ENABLED": False,
        # Tests search and upload faster than people; tests/test_hardening.py turns them on.
        "VIR_RATE_LIMITS": False,
        **extra,
    }


def migrate_to_head(database_url: str, data_dir: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(database_url, data_dir))
    with app.app_context():
        upgrade()
        from vir.core.db import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (cheaper than migrating again)."""
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}", base)
    return path


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped at the end."""
    name = f"vir_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - depends on the machine
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}", pytrace=False)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate_to_head(url, tmp_path_factory.mktemp("pg"))
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            conn.execute(
                sa.text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    engine.dispose()


# Tests marked search_backends also run with the PostgreSQL search back end ("pgsearch": the
# PostgreSQL database, VIR_SEARCH_BACKEND=postgres), unless they test Whoosh itself.
PGSEARCH = "pgsearch"


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    chosen = any(
        "database_url" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")
    )
    if (
        "database_url" in metafunc.fixturenames
        and not chosen
        and metafunc.definition.get_closest_marker("search_backends")
        and not metafunc.definition.get_closest_marker("whoosh_only")
    ):
        # as a marker, which pytest's own hooks (after this one) apply in place of the
        # fixture's params
        metafunc.definition.add_marker(
            pytest.mark.parametrize("database_url", [*BACKENDS, PGSEARCH], indirect=True)
        )


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "vir.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        yield url


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for one test: override this fixture, or update it before ``app``."""
    return {}


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    database_url: str,
    tmp_path: Path,
    app_config: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    # Full-strength Argon2 costs ~60 ms a hash; tests hash hundreds of times.
    monkeypatch.setattr(
        account_ops, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("database_url") == PGSEARCH:
        app_config = {"VIR_SEARCH_BACKEND": "postgres", **app_config}
    app = create_app(_config(database_url, tmp_path / "data", **app_config))
    yield app
    with app.app_context():
        from vir.core.db import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@dataclass
class World:
    """Organisations and one user per role. ``own`` is Cardiff; ``other`` is Swansea."""

    users: dict[str, int] = field(default_factory=dict)
    folders: dict[tuple[str, str], int] = field(default_factory=dict)
    documents: dict[tuple[str, str], int] = field(default_factory=dict)
    activities: dict[str, int] = field(default_factory=dict)  # filled by tests that need them
    forwards: dict[str, int] = field(default_factory=dict)  # likewise
    letters: dict[tuple[str, str], int] = field(default_factory=dict)  # likewise
    own: str = "cardiff"
    other: str = "swansea"

    def email(self, role: str) -> str:
        return f"{role.replace('_', '-')}@test.example"


ROLE_ORG = {
    "provider_editor": "cardiff",
    "provider_viewer": "cardiff",
    "partner": "csc",
    "inspector": "estyn",
    "coordinator": "estyn",
    "auditor": "audit-wales",
    "stakeholder": "welsh-government",
    "admin": "estyn",
}


@pytest.fixture
def world(app: Flask) -> World:
    from vir.core.db import db
    from vir.orgs.operations import by_slug, create_org
    from vir.rooms.operations import create_folder, room_for

    w = World()
    with app.app_context():
        create_org("estyn", "Estyn", "inspectorate")
        csc = create_org(
            "csc", "Central South Consortium", "consortium", name_cy="Consortiwm Canolbarth y De"
        )
        create_org(
            "cardiff",
            "Cardiff Council",
            "local_authority",
            name_cy="Cyngor Caerdydd",
            consortium=csc,
        )
        create_org(
            "swansea",
            "City and County of Swansea",
            "local_authority",
            name_cy="Dinas a Sir Abertawe",
        )
        create_org("audit-wales", "Audit Wales", "partner", name_cy="Archwilio Cymru")
        create_org("welsh-government", "Welsh Government", "partner", name_cy="Llywodraeth Cymru")
        create_org(
            "wlga",
            "Welsh Local Government Association",
            "partner",
            name_cy="Cymdeithas Llywodraeth Leol Cymru",
        )
        for role, org in ROLE_ORG.items():
            assigned = ("inspector", "auditor", "stakeholder")
            assign = [by_slug("cardiff")] if role in assigned else []
            user = account_ops.create_user(
                w.email(role), role.title(), by_slug(org), [role], password=PASSWORD, assign=assign
            )
            w.users[role] = user.id
        # A user for admin actions to act upon, so the matrix never disables a signed-in role.
        victim = account_ops.create_user(
            "victim@test.example",
            "Victim",
            by_slug("cardiff"),
            ["provider_viewer"],
            password=PASSWORD,
        )
        w.users["victim"] = victim.id
        for slug in ("cardiff", "swansea"):
            room = room_for(by_slug(slug))
            for area in ("provider", "inspectors"):
                w.folders[(slug, area)] = create_folder(room, area, "Improvement conference").id
        db.session.commit()
        from vir.accounts.models import User
        from vir.documents.operations import upload_document
        from vir.rooms.models import Folder

        editor = db.session.get(User, w.users["provider_editor"])
        for (slug, area), folder_id in w.folders.items():
            folder = db.session.get(Folder, folder_id)
            doc = upload_document(
                folder,
                io.BytesIO(files.pdf(f"{slug} {area}")),
                f"{slug}-{area}.pdf",
                user=editor,
                category="improvement_plan",
            )
            w.documents[(slug, area)] = doc.document.id
    return w


class Auth:
    def __init__(self, client: FlaskClient, world: World) -> None:
        self.client = client
        self.world = world

    def login(self, role: str, password: str = PASSWORD) -> Any:
        return self.client.post(
            "/sign-in", data={"email": self.world.email(role), "password": password}
        )

    def logout(self) -> Any:
        return self.client.post("/sign-out")

    def token(self, role: str) -> dict[str, str]:
        r = self.client.post(
            "/api/v1/tokens", json={"email": self.world.email(role), "password": PASSWORD}
        )
        assert r.status_code == 201, r.get_json()
        return {"Authorization": f"Bearer {r.get_json()['token']}"}


@pytest.fixture
def auth(client: FlaskClient, world: World) -> Auth:
    return Auth(client, world)


# --- real services: S3 (Ceph RGW, or the MinIO you point at), clamd ----------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """Ceph RGW started for this run, or an S3 server you supply with VIR_TEST_S3_ENDPOINT,
    VIR_TEST_S3_ACCESS_KEY and VIR_TEST_S3_SECRET_KEY (e.g. MinIO from minio-compose.yml)."""
    from tests.services.ceph import S3Server, ceph_rgw

    endpoint = os.environ.get("VIR_TEST_S3_ENDPOINT")
    if endpoint:
        yield S3Server(
            endpoint,
            os.environ["VIR_TEST_S3_ACCESS_KEY"],
            os.environ["VIR_TEST_S3_SECRET_KEY"],
            Path("."),
        )
        return
    with ceph_rgw() as server:
        yield server


def s3_client(server: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


@pytest.fixture(params=["fs", "s3"])
def storage_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Run a test on both storage back ends: a directory, and a fresh bucket on real S3."""
    if request.param == "fs":
        return {"VIR_STORAGE": "fs"}
    return s3_config(request.getfixturevalue("s3_server"))


def s3_config(server: Any) -> dict[str, Any]:
    """Settings for a fresh bucket on the test S3 server."""
    bucket = f"vir-test-{uuid.uuid4().hex[:12]}"
    s3_client(server).create_bucket(Bucket=bucket)
    return {
        "VIR_STORAGE": "s3",
        "VIR_S3_ENDPOINT_URL": server.endpoint,
        "VIR_S3_BUCKET": bucket,
        "VIR_S3_ACCESS_KEY": server.access_key,
        "VIR_S3_SECRET_KEY": server.secret_key,
        "VIR_S3_ADDRESSING_STYLE": "path",
    }


@pytest.fixture(scope="session")
def clamd_socket() -> Iterator[Path]:
    from tests.services.clamd import clamd

    with clamd() as sock:
        yield sock
