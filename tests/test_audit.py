"""The audit trail: what is recorded, who may read it, CSV export, and that it is append-only."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from tests import files
from vir.core.db import db


def test_actions_and_denials_are_recorded(app, client, auth, world):
    auth.login("provider_editor")
    client.get("/rooms/swansea")  # another provider's room: denied, 404
    client.post(
        "/rooms/cardiff/provider/folders/new", data={"name": "Council papers", "parent_id": "0"}
    )
    headers = auth.token("coordinator")
    body = client.get("/api/v1/audit?provider=swansea", headers=headers).get_json()
    denied = [e for e in body["results"] if e["action"] == "room.view"]
    assert denied and denied[0]["outcome"] == "denied"
    assert denied[0]["actor"] == world.email("provider_editor")
    assert denied[0]["organisation"] == "cardiff"
    assert denied[0]["ip"] == "127.0.0.1"
    created = client.get("/api/v1/audit?action=folder", headers=headers).get_json()["results"]
    assert any(e["detail"].get("name") == "Council papers" for e in created)
    logins = client.get(
        f"/api/v1/audit?action=login&actor={world.email('provider_editor')}", headers=headers
    ).get_json()
    assert logins["total"] >= 1


def test_only_coordinators_and_administrators_read_the_audit_log(client, auth, world):
    for role in ("provider_editor", "inspector", "auditor", "partner", "stakeholder"):
        r = client.get("/api/v1/audit", headers=auth.token(role))
        assert r.status_code == 403, role
        assert r.get_json()["error"]["code"] == "forbidden"


def test_csv_export_is_complete_and_spreadsheet_safe(app, client, auth, world):
    auth.login("coordinator")
    client.post(
        "/rooms/cardiff/inspectors/folders/new",
        data={"name": '=HYPERLINK("http://x")', "parent_id": "0"},
    )
    r = client.get("/audit/?format=csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert {"at", "actor", "action", "outcome", "ip"} <= set(rows[0])
    assert any(row["action"] == "login" for row in rows)
    assert not any(cell.startswith("=") for row in rows for cell in row.values())
    api = client.get("/api/v1/audit?format=csv", headers=auth.token("coordinator"))
    assert api.mimetype == "text/csv"


def test_audit_page_filters_and_bad_dates(client, auth, world):
    auth.login("coordinator")
    page = client.get("/audit/?action=login&since=2020-01-01&until=2100-01-01")
    assert page.status_code == 200
    assert b"login" in page.data
    bad = client.get("/audit/?since=yesterday")
    assert bad.status_code == 200
    assert b"Enter a real date" in bad.data
    api = client.get("/api/v1/audit?since=yesterday", headers=auth.token("coordinator"))
    assert api.status_code == 422


def test_audit_rows_cannot_be_changed_or_deleted(app, world):
    with app.app_context():
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET actor = 'someone else'"))
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_events"))
        count = db.session.scalar(sa.text("SELECT count(*) FROM audit_events"))
        assert count > 0


def test_one_documents_events_and_one_persons(client, auth, world):
    """Issue 15: the log filters by document (any object) and by person; rows link to both."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    ids = []
    for name in ("plan.pdf", "data.pdf"):
        r = client.post(
            f"/api/v1/folders/{folder}/documents",
            headers=editor,
            data={"file": (io.BytesIO(files.pdf(name)), name)},
            content_type="multipart/form-data",
        )
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    client.get(f"/api/v1/documents/{ids[0]}/download", headers=editor)
    coordinator = auth.token("coordinator")
    url = f"/api/v1/audit?object_type=document&object_id={ids[0]}"
    events = client.get(url, headers=coordinator).get_json()["results"]
    assert {e["action"] for e in events} >= {"document.upload", "document.download"}
    assert {(e["object_type"], e["object_id"]) for e in events} == {("document", str(ids[0]))}

    auth.login("coordinator")
    page = client.get(f"/audit/?object_type=document&object_id={ids[0]}").get_data(as_text=True)
    assert "Showing the events about" in page
    person = world.email("provider_editor")
    assert f"actor={person}" in page or f"actor={person.replace('@', '%40')}" in page
    assert f"/documents/{ids[1]}" not in page
    document = client.get(f"/documents/{ids[0]}").get_data(as_text=True)
    assert f"/audit/?object_type=document&amp;object_id={ids[0]}" in document


def test_administrators_see_the_account_and_security_events_only(client, auth, world):
    """Administrators hold accounts, not document content: sign-ins, tokens and accounts
    are theirs to read; what happened to documents and folders is not, on any path."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("Cynllun")), "Secret plan.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    admin = auth.token("admin")
    body = client.get("/api/v1/audit?per_page=1000", headers=admin).get_json()
    actions = {e["action"].split(".")[0] for e in body["results"]}
    assert "token" in actions and actions <= {
        "login", "logout", "token", "user", "assignment", "org", "room"
    }  # fmt: skip
    assert body["total"] == len(body["results"])
    for asked in ("document", "folder"):
        r = client.get(f"/api/v1/audit?action={asked}", headers=admin).get_json()
        assert r["total"] == 0 and r["results"] == []
    csv = client.get("/api/v1/audit?format=csv", headers=admin).get_data(as_text=True)
    assert "document." not in csv and "Secret plan" not in csv
    auth.login("admin")
    page = client.get("/audit/").get_data(as_text=True)
    assert "As an administrator you see the account and security events" in page
    assert '<code class="govuk-body-s">document.' not in page
    assert '<code class="govuk-body-s">token.create</code>' in page
