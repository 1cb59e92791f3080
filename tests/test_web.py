"""Pages as people use them: every role's pages render, folders, admin, language."""

from __future__ import annotations

import pytest

from tests.conftest import ROLE_ORG


@pytest.mark.parametrize("role", list(ROLE_ORG))
def test_home_renders_for_every_role(client, auth, world, role):
    auth.login(role)
    r = client.get("/")
    assert r.status_code == 200
    assert b"Your rooms" in r.data
    assert b"Sign out" in r.data
    assert client.get("/account").status_code == 200


def test_room_page_shows_areas_by_role(client, auth, world):
    auth.login("inspector")
    page = client.get("/rooms/cardiff")
    assert b"Provider Area" in page.data and b"Link Inspectors area" in page.data
    assert b"Only inspectors can see this area" in page.data
    auth.logout()
    auth.login("provider_viewer")
    page = client.get("/rooms/cardiff")
    assert b"Provider Area" in page.data and b"Link Inspectors area" not in page.data
    assert b"Add a folder" not in page.data
    assert client.get("/rooms/cardiff/provider/folders/new").status_code == 403


def test_create_folder_through_the_form(client, auth, world):
    auth.login("provider_editor")
    form = client.get("/rooms/cardiff/provider/folders/new")
    assert form.status_code == 200
    empty = client.post("/rooms/cardiff/provider/folders/new", data={"name": "", "parent_id": "0"})
    assert b"There is a problem" in empty.data and b"Enter a name for the folder" in empty.data
    assert b"<title>Error:" in empty.data
    r = client.post(
        "/rooms/cardiff/provider/folders/new",
        data={"name": "Self-evaluation", "parent_id": "0"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert b"Self-evaluation" in r.data and b"created" in r.data
    parent = world.folders[("cardiff", "provider")]
    r = client.post(
        "/rooms/cardiff/provider/folders/new",
        data={"name": "Papers", "parent_id": str(parent)},
        follow_redirects=True,
    )
    assert r.status_code == 200
    room = client.get("/rooms/cardiff")
    assert b"Papers" in room.data


def test_admin_pages(client, auth, world):
    auth.login("admin")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/organisations").status_code == 200
    r = client.post(
        "/admin/organisations",
        data={
            "slug": "powys",
            "name_en": "Powys County Council",
            "name_cy": "Cyngor Sir Powys",
            "kind": "local_authority",
            "consortium": "",
        },
        follow_redirects=True,
    )
    assert b"Powys County Council added" in r.data
    r = client.post(
        "/admin/users",
        data={
            "email": "new.inspector@test.example",
            "name": "New Inspector",
            "org": "estyn",
            "roles": ["inspector"],
        },
    )
    assert r.status_code == 200 and b"/set-password/" not in r.data
    assert b"could not be sent" in r.data  # no mail server in this test
    bad = client.post(
        "/admin/users",
        data={"email": "not-an-email", "name": "X", "org": "estyn", "roles": ["inspector"]},
    )
    assert b"There is a problem" in bad.data
    users = client.get("/admin/users")
    assert b"new.inspector@test.example" in users.data
    victim = world.users["victim"]
    assert client.get(f"/admin/users/{victim}").status_code == 200
    r = client.post(f"/admin/users/{victim}/active", data={"active": "0"}, follow_redirects=True)
    assert b"Account disabled" in r.data
    inspector = world.users["inspector"]
    r = client.post(
        f"/admin/users/{inspector}/assignments", data={"provider": "swansea"}, follow_redirects=True
    )
    assert b"Assigned to" in r.data
    r = client.post(f"/admin/users/{inspector}/assignments/swansea/delete", follow_redirects=True)
    assert b"Assignment removed" in r.data
    r = client.post(f"/admin/users/{victim}/password-link")
    assert r.status_code == 200 and b"/set-password/" not in r.data


def test_language_switch_stays_on_page_and_is_remembered(app, client, auth, world):
    auth.login("provider_editor")
    r = client.post("/language", data={"locale": "cy", "next": "/rooms/cardiff"})
    assert r.status_code == 302 and r.headers["Location"] == "/rooms/cardiff"
    page = client.get("/rooms/cardiff")
    assert b'lang="cy"' in page.data
    assert b"Cyngor Caerdydd" in page.data
    assert b">English</button>" in page.data
    # Remembered for the user, on another browser too.
    auth.logout()
    other = app.test_client()
    other.post(
        "/sign-in",
        data={"email": world.email("provider_editor"), "password": "correct horse battery staple"},
    )
    assert b'lang="cy"' in other.get("/").data
    assert client.post("/language", data={"locale": "fr", "next": "/"}).status_code == 400
    r = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert r.headers["Location"] == "/"


def test_error_pages_are_pages(client, auth, world):
    auth.login("provider_editor")
    r = client.get("/no/such/page")
    assert r.status_code == 404 and b"Page not found" in r.data
    assert b"<html" in r.data


def test_health(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_livez_and_readyz_give_states_never_reasons(app, client):
    assert client.get("/livez").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_json()
    checks = r.get_json()["checks"]
    assert checks["database"] == checks["storage"] == checks["task_queue"] == "ok"
    assert checks["virus_scanner"] == "off"  # none configured here
    # A part that fails makes the process unready, and the answer names no reason.
    app.config["VIR_CLAMD_SOCKET"] = "/nonexistent/clamd.sock"
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["virus_scanner"] == "failed"
    assert "nonexistent" not in r.get_data(as_text=True)


def test_vir_doctor_says_what_is_wrong(app, runner):
    app.config["VIR_CLAMD_SOCKET"] = "/nonexistent/clamd.sock"
    out = runner.invoke(args=["doctor"])
    assert out.exit_code == 1
    assert "virus_scanner" in out.output and "failed" in out.output
    assert "watermark font" in out.output and "upload spool" in out.output
    app.config["VIR_CLAMD_SOCKET"] = None
    assert runner.invoke(args=["doctor"]).exit_code == 0


def test_every_request_has_an_id_in_its_answer_its_log_line_and_its_audit_rows(
    app, client, auth, world, caplog
):
    import logging

    from sqlalchemy import select

    from vir.audit.models import AuditEvent
    from vir.core.db import db

    caplog.set_level(logging.INFO, logger="vir.request")
    r = client.get("/sign-in", headers={"X-Request-ID": "proxy-id-0123456789"})
    assert r.headers["X-Request-ID"] == "proxy-id-0123456789"
    forged = client.get("/sign-in", headers={"X-Request-ID": "bad id] FAKE LOG LINE"})
    assert forged.headers["X-Request-ID"] != "bad id] FAKE LOG LINE"
    assert len(forged.headers["X-Request-ID"]) == 32
    lines = [rec for rec in caplog.records if rec.name == "vir.request"]
    assert any(rec.path == "/sign-in" and rec.status == 200 for rec in lines)
    auth.login("provider_editor")
    doc = world.documents[("cardiff", "provider")]
    seen = client.get(f"/documents/{doc}", headers={"X-Request-ID": "doc-view-0123456789"})
    assert seen.status_code == 200
    with app.app_context():
        detail = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "document.view")
        ).all()
    assert any(d.get("request_id") == "doc-view-0123456789" for d in detail)
    # Queries (search words) never reach the log line.
    client.get("/search?q=confidential+words")
    assert not any("confidential" in rec.getMessage() for rec in caplog.records)


def test_json_log_lines():
    import json
    import logging

    from vir.core.logs import JsonFormatter

    record = logging.LogRecord("vir.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request_id, record.status, record.path = "abc", 200, "/"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc" and line["status"] == 200 and line["level"] == "INFO"
