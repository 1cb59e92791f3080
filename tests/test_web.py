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


def test_vir_doctor_says_whether_postgresql_autovacuum_runs(app, runner):
    """With autovacuum off (as on the development machines' PostgreSQL), nothing analysed the
    documents table and search joins were planned on guesses; a rebuild by a user that does
    not own the index leaves GIN's pending list to it. A line of its own, never a failure."""
    from sqlalchemy import text

    from vir.core.db import db

    out = runner.invoke(args=["doctor"])
    assert out.exit_code == 0, out.output
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert "autovacuum" not in out.output
            return
        setting = db.session.execute(text("SHOW autovacuum")).scalar()
    line = next(line for line in out.output.splitlines() if line.startswith("autovacuum"))
    assert line.split()[1] == ("ok" if setting == "on" else "off"), line
    if setting != "on":
        assert "autovacuum = on" in line


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


def test_metrics_for_the_scraper_only(app, client, auth, world):
    assert client.get("/metrics").status_code == 404  # no token configured: no such page
    app.config["VIR_METRICS_TOKEN"] = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 404
    wrong = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 404
    import io

    from tests import files

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("metrics")), "metrics.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    client.get(f"/api/v1/documents/{r.get_json()['id']}", headers=editor)
    got = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert got.status_code == 200
    text = got.get_data(as_text=True)
    assert 'flask_http_request_duration_seconds_count{endpoint="api_documents.get_document"' in text
    assert 'vir_uploads_total{kind="document"}' in text
    assert "vir_upload_bytes_total" in text and "vir_mail_total" not in text.split("#")[0]
    assert "vir_task_queue_depth" in text and "vir_index_lag_seconds" in text
    # Latency is by endpoint, never by path: no document id appears in a label.
    assert f"/api/v1/documents/{r.get_json()['id']}" not in text


def test_error_reports_carry_no_bodies_cookies_queries_or_users(tmp_path):
    """A real HTTP receiver on loopback stands in for Sentry: what VIR sends it."""
    import gzip
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import sentry_sdk

    from tests.conftest import _config
    from vir import create_app

    received: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            received.append(raw)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    app = create_app(
        _config(f"sqlite:///{tmp_path / 'v.sqlite3'}", tmp_path, VIR_SENTRY_DSN=dsn, TESTING=False)
    )

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("the failure itself")

    try:
        # Built at run time, so the source lines Sentry sends with a frame cannot hold them.
        word, cookie, token = "confi" + "dential", "secret" + "-cookie", "vir" + "_tok"
        r = app.test_client().get(
            f"/boom?q={word}+search+words",
            headers={"Cookie": f"vir_session={cookie}", "Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 500
        sentry_sdk.flush(5)
    finally:
        sentry_sdk.init(dsn=None)  # the SDK is process-wide: nothing more goes anywhere
        server.shutdown()
    sent = b"\n".join(received).decode()
    assert "the failure itself" in sent
    for secret in (word, cookie, token):
        at = sent.find(secret)
        assert at < 0, sent[max(at - 300, 0) : at + 100]
    events = [
        json.loads(line)
        for line in sent.splitlines()
        if line.startswith('{"') and '"exception"' in line
    ]
    assert events and "user" not in events[0]
    assert events[0]["tags"]["request_id"] == r.headers["X-Request-ID"]


def test_provider_lists_follow_the_welsh_alphabet_in_welsh(client, auth, world):
    """In Welsh the coordinator's rooms come in the order of their Welsh names: Cyngor
    Caerdydd (C) before Dinas a Sir Abertawe (D); in English, Cardiff Council before City
    and County of Swansea. Digraphs are letters: "Ch" comes after every "C…"."""
    from vir.core.i18n import welsh_sort_key

    assert sorted(["Chwarae Teg", "Cyngor Caerdydd", "Llanelli", "Lyn"], key=welsh_sort_key) == [
        "Cyngor Caerdydd",
        "Chwarae Teg",
        "Lyn",
        "Llanelli",
    ]
    auth.login("coordinator")
    english = client.get("/").get_data(as_text=True)
    assert english.index("Cardiff Council") < english.index("City and County of Swansea")
    client.post("/language", data={"locale": "cy"})
    welsh = client.get("/").get_data(as_text=True)
    assert welsh.index("Cyngor Caerdydd") < welsh.index("Dinas a Sir Abertawe")


def test_whats_new_has_what_the_mail_has_for_each_reader(client, auth, world):
    """The same news as the mails, in the service: new papers for those who read the
    Provider Area (not their own uploads), forwarded evidence waiting for the authority,
    nothing of another provider's, nothing at all for those who read no room."""
    import io

    from tests import files
    from vir.core.db import db  # noqa: F401

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("news")), "attendance-news.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    inspector = client.get("/api/v1/me/new", headers=auth.token("inspector")).get_json()
    titles = [p["title"] for p in inspector["new_papers"]]
    assert "Attendance-news" in titles
    assert all(p["provider"] == "cardiff" for p in inspector["new_papers"])
    own = client.get("/api/v1/me/new", headers=editor).get_json()
    assert "Attendance-news" not in [p["title"] for p in own["new_papers"]]  # their own
    for role in ("partner", "admin", "stakeholder"):
        nothing = client.get("/api/v1/me/new", headers=auth.token(role)).get_json()
        assert nothing["new_papers"] == [] and nothing["checks_waiting"] == [], role
    assert client.get("/api/v1/me/new?days=3", headers=editor).status_code == 422
    auth.login("inspector")
    page = client.get("/whats-new").get_data(as_text=True)
    assert "Attendance-news" in page and "What’s new for you" in page
    client.post("/language", data={"locale": "cy"})
    assert "Attendance-news" in client.get("/whats-new?days=30").get_data(as_text=True)
