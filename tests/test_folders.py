"""Renaming and deleting folders (issue 15): by those who write the area, audited; only
empty folders that no activity made are deleted."""

from __future__ import annotations

import re
from typing import Any

from tests import files
from tests.test_access_matrix import with_activities
from tests.test_search import _upload

__all__ = ["with_activities"]


def _folder(client: Any, headers: dict, name: str, **extra: Any) -> dict:
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=headers,
        json={"name": name, "area": "provider", **extra},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_rename_a_folder(app, client, auth, world):
    editor = auth.token("provider_editor")
    made = _folder(client, editor, "Evidnce")
    _folder(client, editor, "Data")
    url = f"/api/v1/folders/{made['id']}"
    r = client.patch(url, headers=editor, json={"name": "Evidence 2027", "description": "Notes"})
    assert r.status_code == 200 and r.get_json()["name"] == "Evidence 2027"
    assert r.get_json()["description"] == "Notes"
    assert (
        client.patch(url, headers=editor, json={"name": "data"}).status_code == 422
    )  # a sibling's
    assert client.patch(url, headers=editor, json={"name": "  "}).status_code == 422
    assert (
        client.patch(url, headers=auth.token("provider_viewer"), json={"name": "x"}).status_code
        == 403
    )
    assert client.patch(url, headers=auth.token("partner"), json={"name": "x"}).status_code == 404
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="folder.rename").one()
        assert "Evidnce" in str(event.detail) and "Evidence 2027" in str(event.detail)
    auth.login("provider_editor")
    client.post("/language", data={"locale": "cy", "next": "/"})
    r = client.post(
        f"/rooms/folders/{made['id']}/rename", data={"name": "Tystiolaeth"}, follow_redirects=True
    )
    assert "Ailenwyd y ffolder." in r.get_data(as_text=True)


def test_only_empty_folders_no_activity_made_are_deleted(app, client, auth, with_activities):
    world = with_activities
    editor = auth.token("provider_editor")
    empty = _folder(client, editor, "Empty")
    full = _folder(client, editor, "Full")
    doc = _upload(client, editor, full["id"], "plan.pdf", files.pdf("Plan"))
    parent = _folder(client, editor, "Parent")
    _folder(client, editor, "Child", parent_id=parent["id"])
    from vir.activities.models import Activity
    from vir.core.db import db

    with app.app_context():
        papers = db.session.get(Activity, world.activities["cardiff"]).provider_folder_id
    for folder, why in ((full["id"], "empty"), (parent["id"], "inside"), (papers, "activity")):
        r = client.delete(f"/api/v1/folders/{folder}", headers=editor)
        assert r.status_code == 409 and why in r.get_json()["error"]["message"], r.get_json()
    # A document in the trash still keeps its folder.
    client.delete(f"/api/v1/documents/{doc['id']}", headers=editor)
    assert client.delete(f"/api/v1/folders/{full['id']}", headers=editor).status_code == 409
    assert (
        client.delete(
            f"/api/v1/folders/{empty['id']}", headers=auth.token("provider_viewer")
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/folders/{empty['id']}", headers=editor).status_code == 204
    assert client.get(f"/api/v1/folders/{empty['id']}/documents", headers=editor).status_code == 404
    auth.login("provider_editor")
    other = _folder(client, editor, "Other")
    page = client.get(f"/rooms/folders/{other['id']}").get_data(as_text=True)
    assert "Delete this empty folder" in page
    r = client.post(f"/rooms/folders/{other['id']}/delete", follow_redirects=True)
    assert "Folder deleted." in r.get_data(as_text=True)


def test_a_folder_can_have_a_welsh_name(client, auth, world):
    """Issue 15: a folder a person makes may carry a Welsh name too; each language shows its
    own, a clash with a sibling's name in either language is refused, and an empty Welsh name
    means one name for both."""
    editor = auth.token("provider_editor")
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Attendance data", "name_cy": "Data presenoldeb", "area": "provider"},
    )
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert (made["name"], made["name_en"], made["name_cy"]) == (
        "Attendance data",
        "Attendance data",
        "Data presenoldeb",
    )
    clash = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Data presenoldeb", "area": "provider"},
    )
    assert clash.status_code == 422 and "Data presenoldeb" in clash.get_data(as_text=True)
    welsh = {**editor, "Accept-Language": "cy"}
    listing = client.get("/api/v1/providers/cardiff/folders", headers=welsh).get_json()
    assert "Data presenoldeb" in {f["name"] for f in listing}

    # Renamed without naming the Welsh: it stays; with an empty one, it goes.
    url = f"/api/v1/folders/{made['id']}"
    r = client.patch(url, headers=editor, json={"name": "Attendance"})
    assert r.status_code == 200 and r.get_json()["name_cy"] == "Data presenoldeb"
    r = client.patch(url, headers=editor, json={"name": "Attendance", "name_cy": ""})
    assert r.status_code == 200 and r.get_json()["name_cy"] is None
    listing = client.get("/api/v1/providers/cardiff/folders", headers=welsh).get_json()
    assert next(f for f in listing if f["id"] == made["id"])["name"] == "Attendance"

    # The web form: both names, each shown in its language.
    auth.login("provider_editor")
    page = client.get(f"/rooms/folders/{made['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post(
        f"/rooms/folders/{made['id']}/rename",
        data={"csrf_token": token, "name": "Attendance", "name_cy": "Presenoldeb",
              "description": ""},
    )  # fmt: skip
    assert r.status_code in (302, 303)
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get(f"/rooms/folders/{made['id']}").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Presenoldeb</h1>' in page
