"""The vir command: organisations, users, assignment, demo data."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from vir.accounts.models import User
from vir.core.db import db
from vir.orgs.models import Organisation
from vir.rooms.models import Room


def test_orgs_add_and_list(app, runner):
    r = runner.invoke(
        args=["orgs", "add", "csc", "--name", "Central South Consortium", "--kind", "consortium"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=[
            "orgs",
            "add",
            "cardiff",
            "--name",
            "Cardiff Council",
            "--name-cy",
            "Cyngor Caerdydd",
            "--kind",
            "local_authority",
            "--consortium",
            "csc",
        ]
    )
    assert r.exit_code == 0, r.output
    with app.app_context():
        cardiff = db.session.scalar(select(Organisation).where(Organisation.slug == "cardiff"))
        assert cardiff.consortium.slug == "csc"
        assert db.session.scalar(select(Room).where(Room.provider_id == cardiff.id))
    listing = runner.invoke(args=["orgs", "list"])
    assert "cardiff" in listing.output and "consortium: csc" in listing.output


def test_orgs_add_refuses_bad_input(app, runner):
    assert (
        runner.invoke(
            args=["orgs", "add", "Bad Slug!", "--name", "X", "--kind", "partner"]
        ).exit_code
        == 1
    )
    r = runner.invoke(
        args=[
            "orgs",
            "add",
            "x-la",
            "--name",
            "X",
            "--kind",
            "local_authority",
            "--consortium",
            "nowhere",
        ]
    )
    assert r.exit_code == 1 and "nowhere" in r.output
    runner.invoke(args=["orgs", "add", "wlga", "--name", "WLGA", "--kind", "partner"])
    r = runner.invoke(
        args=[
            "orgs",
            "add",
            "x-la",
            "--name",
            "X",
            "--kind",
            "local_authority",
            "--consortium",
            "wlga",
        ]
    )
    assert r.exit_code == 1 and "not a consortium" in r.output


def test_users_add_with_password_and_assignments(app, runner, world, client):
    r = runner.invoke(
        args=[
            "users",
            "add",
            "Second.Inspector@Test.Example",
            "--name",
            "Second",
            "--org",
            "estyn",
            "--role",
            "inspector",
            "--assign",
            "swansea",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    assert "One-time link" not in r.output
    login = client.post(
        "/sign-in",
        data={"email": "second.inspector@test.example", "password": "a long enough password"},
    )
    assert login.status_code == 302
    assert client.get("/rooms/swansea").status_code == 200
    assert client.get("/rooms/cardiff").status_code == 404


def test_users_add_refusals(app, runner, world):
    bad_role = runner.invoke(
        args=[
            "users",
            "add",
            "x@test.example",
            "--name",
            "X",
            "--org",
            "cardiff",
            "--role",
            "inspector",
        ]
    )
    assert bad_role.exit_code == 1
    dup = runner.invoke(
        args=[
            "users",
            "add",
            "Provider-Editor@test.example",
            "--name",
            "X",
            "--org",
            "cardiff",
            "--role",
            "provider_editor",
        ]
    )
    assert dup.exit_code == 1 and "already exists" in dup.output
    weak = runner.invoke(
        args=[
            "users",
            "add",
            "y@test.example",
            "--name",
            "Y",
            "--org",
            "cardiff",
            "--role",
            "provider_viewer",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert weak.exit_code == 1 and "12" in weak.output


def test_assign_disable_enable(app, runner, world, client):
    r = runner.invoke(args=["assign", world.email("inspector"), "swansea"])
    assert r.exit_code == 0, r.output
    refused = runner.invoke(args=["assign", world.email("provider_editor"), "swansea"])
    assert refused.exit_code == 1
    assert runner.invoke(args=["users", "disable", world.email("inspector")]).exit_code == 0
    assert runner.invoke(args=["users", "enable", world.email("inspector")]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "ghost@test.example"]).exit_code == 1
    listing = runner.invoke(args=["users", "list"])
    assert world.email("inspector") in listing.output


def test_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["demo", "--password-stdin"], input="demo password 123\n")
    assert first.exit_code == 0, first.output
    assert "coordinator@estyn.example" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        las = db.session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.kind == "local_authority")
        )
        assert las == 22
        consortia = db.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.kind == "consortium")
        )
        assert consortia == 4
        from vir.orgs.demo import USERS

        assert db.session.scalar(select(func.count()).select_from(User)) == len(USERS) == 9


def test_console_script_help():
    out = subprocess.run(
        [sys.executable, "-c", "from vir.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"VIR_DATA_DIR": "/tmp/vir-cli-help", "PATH": ""},
    )
    for command in ("db", "orgs", "users", "assign", "demo", "serve", "worker"):
        assert command in out.stdout


def test_the_cli_refuses_to_make_a_key_of_its_own_outside_the_embedded_installation(tmp_path):
    """A per-host key would make set-password links the web servers cannot read."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "VIR_DATA_DIR": str(tmp_path),
        "VIR_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    }
    out = subprocess.run(
        [sys.executable, "-c", "from vir.cli import main; main()", "users", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "VIR_SECRET_KEY is not set" in out.stderr
    assert not (tmp_path / "secret_key").exists()


def test_worker_no_periodic_schedules_nothing(app):
    from vir.core.tasks import consumer

    assert consumer(periodic=False).periodic is False
    assert consumer().periodic is True


def test_users_add_a_stakeholder_assigned_to_a_provider(app, runner, world, client):
    """`vir users add … --role stakeholder --assign PROVIDER`: in a partner organisation,
    seeing no room (only what is released to it), refused for an authority's own staff."""
    r = runner.invoke(
        args=[
            "users",
            "add",
            "officer@wlga.example",
            "--name",
            "Officer",
            "--org",
            "wlga",
            "--role",
            "stakeholder",
            "--assign",
            "cardiff",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    client.post(
        "/sign-in", data={"email": "officer@wlga.example", "password": "a long enough password"}
    )
    assert client.get("/rooms/cardiff").status_code == 404
    assert client.get("/released").status_code == 200
    wrong = runner.invoke(
        args=["users", "add", "x@cardiff.example", "--name", "X", "--org", "cardiff",
              "--role", "stakeholder", "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert wrong.exit_code != 0
