"""The audit trail: what is recorded, who may read it, CSV export, and that it is append-only."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

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


def test_only_coordinators_read_the_audit_log(client, auth, world):
    for role in ("provider_editor", "inspector", "admin", "auditor", "partner"):
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
