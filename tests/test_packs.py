"""The conference pack (issue 14): a folder's papers as one streamed zip with a bilingual
index, for everyone who may read the folder, audited one download per paper."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from typing import Any

import pytest

from tests import files
from tests.test_search import _upload


@pytest.fixture(params=["fs", "s3"])
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "s3":
        from tests.conftest import s3_config

        return s3_config(request.getfixturevalue("s3_server"))
    return {}


def test_a_folder_downloads_as_one_zip_with_an_index_in_both_languages(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    plan = files.pdf("Cynllun gwella")
    _upload(
        client,
        editor,
        folder,
        "plan.pdf",
        plan,
        title="Cynllun gwella 2026",
        category="improvement_plan",
    )
    notes = files.pdf("Second file, same name")
    _upload(client, editor, folder, "plan.pdf", notes, title="Notes")
    sub = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Data / 2026", "area": "provider", "parent_id": folder},
    ).get_json()
    _upload(client, editor, sub["id"], "figures.csv", b"school,rate\nYsgol,93\n", title="Figures")
    trashed = _upload(client, editor, folder, "old.txt", b"old", title="Old")
    client.delete(f"/api/v1/documents/{trashed['id']}", headers=editor)

    r = client.get(f"/api/v1/folders/{folder}/pack", headers=auth.token("inspector"))
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "attachment" in r.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.get_data()))
    assert z.testzip() is None
    names = z.namelist()
    assert "plan.pdf" in names and "plan (2).pdf" in names
    assert "Data - 2026/figures.csv" in names and not any("old" in n for n in names)
    assert {"index.csv", "index.html"} <= set(names)
    assert {z.read("plan.pdf"), z.read("plan (2).pdf")} == {plan, notes}
    rows = list(csv.reader(io.StringIO(z.read("index.csv").decode("utf-8-sig"))))
    assert rows[0][0] == "Teitl / Title" and rows[0][-1] == "SHA-256"
    by_path = {row[2]: row for row in rows[1:]}
    assert len(by_path) == 4  # the world’s paper and three more; not the trashed one
    for path, row in by_path.items():
        assert row[-1] == hashlib.sha256(z.read(path)).hexdigest()
    assert by_path["Data - 2026/figures.csv"][0] == "Figures"
    page = z.read("index.html").decode()
    assert "<section lang='en'>" in page and "<section lang='cy'>" in page
    assert "Cynllun gwella 2026" in page and "&lt;" not in page.split("<body>")[0]


def test_the_pack_is_for_those_who_may_read_the_folder_and_is_audited(app, client, auth, world):
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    inspector = auth.token("inspector")
    private = world.folders[("cardiff", "inspectors")]
    doc = _upload(client, inspector, private, "notes.txt", b"Link inspector notes")
    for role in ("provider_editor", "provider_viewer", "partner", "admin"):
        r = client.get(f"/api/v1/folders/{private}/pack", headers=auth.token(role))
        assert r.status_code == 404, role
    assert client.get(f"/api/v1/folders/{private}/pack", headers=inspector).status_code == 200
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(object_id=str(doc["id"])).all()
        assert [e.action for e in events].count("document.download") == 1
        assert db.session.query(AuditEvent).filter_by(action="folder.pack").count() == 1
    auth.login("provider_viewer")
    provider = world.folders[("cardiff", "provider")]
    page = client.get(f"/rooms/folders/{provider}").get_data(as_text=True)
    assert "Download the folder as one zip" in page
    r = client.get(f"/rooms/folders/{provider}/pack")
    assert r.status_code == 200 and zipfile.ZipFile(io.BytesIO(r.get_data())).testzip() is None
    assert client.get(f"/rooms/folders/{private}/pack").status_code == 404


def test_a_file_missing_from_the_store_refuses_the_pack_before_it_starts(app, client, auth, world):
    from vir.core.db import db
    from vir.documents.models import Document
    from vir.storage import get_storage

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "gone.txt", b"soon gone")
    with app.app_context():
        get_storage().delete(db.session.get(Document, doc["id"]).current.storage_key)
    r = client.get(f"/api/v1/folders/{folder}/pack", headers=editor)
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "storage_unavailable"
    assert "gone.txt" not in r.get_data(as_text=True)
