"""Documents on both storage back ends (a directory, and real S3 on loopback): uploads of every
accepted type, the bad-upload corpus, versions, downloads, preview, trash, and faults."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from tests import files
from vir.core.db import db
from vir.documents.models import Document, DocumentVersion
from vir.storage import get_storage


@pytest.fixture
def app_config(storage_config: dict[str, Any]) -> dict[str, Any]:
    return storage_config


def upload(
    client: Any, headers: dict, folder_id: int, name: str, data: bytes, **fields: str
) -> Any:
    return client.post(
        f"/api/v1/folders/{folder_id}/documents",
        headers=headers,
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def objects(app: Any) -> list[str]:
    with app.app_context():
        return sorted(o.key for o in get_storage().list("rooms/"))


def counts(app: Any) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Document)),
            db.session.scalar(select(func.count()).select_from(DocumentVersion)),
        )


def test_every_accepted_type(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for name, make in files.VALID.items():
        data = make()
        r = upload(client, editor, folder, name, data, category="data")
        assert r.status_code == 201, (name, r.get_json())
        body = r.get_json()
        assert body["filename"] == name
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["size"] == len(data)
        assert body["version"] == 1 and body["folder_id"] == folder
        assert body["category"] == "data"
        assert body["uploaded_by"] == "Provider_Editor"
        got = client.get(f"/api/v1/documents/{body['id']}/download", headers=editor)
        if got.status_code == 302:  # S3: a short-lived presigned link
            with urllib.request.urlopen(got.headers["Location"]) as resp:
                assert resp.read() == data
        else:
            assert got.status_code == 200 and got.data == data
    listing = client.get(f"/api/v1/folders/{folder}/documents", headers=editor).get_json()
    assert len(listing) == len(files.VALID) + 1


def test_object_keys_are_generated_never_the_file_name(app, client, auth, world):
    editor = auth.token("provider_editor")
    r = upload(
        client, editor, world.folders[("cardiff", "provider")], "Secret Plan.pdf", files.pdf()
    )
    with app.app_context():
        doc = db.session.get(Document, r.get_json()["id"])
        key = doc.current.storage_key
    assert key.startswith(f"rooms/cardiff/provider/{doc.uid}/v1-")
    assert "Secret" not in key


@pytest.mark.parametrize("name", sorted(files.BAD))
def test_bad_upload_corpus_is_refused_and_nothing_is_kept(app, client, auth, world, name):
    make, code = files.BAD[name]
    editor = auth.token("provider_editor")
    before_objects, before_rows = objects(app), counts(app)
    r = upload(client, editor, world.folders[("cardiff", "provider")], name, make())
    assert 400 <= r.status_code < 500, r.status_code
    err = r.get_json()["error"]
    assert err["code"] == code, err
    assert err["message"]
    assert objects(app) == before_objects
    assert counts(app) == before_rows
    assert not any((Path(app.config["VIR_DATA_DIR"]) / "tmp").glob("*"))  # spooled copy gone


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Plan\u202egnp.pdf", "Plangnp.pdf"),  # bidi override removed
        ("  Cynllun   gwella\t2027.pdf ", "Cynllun gwella 2027.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),  # NFC
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),  # capped, extension kept
    ],
)
def test_display_names_are_normalised(app, client, auth, world, raw, expected):
    r = upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        raw,
        files.pdf(),
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["filename"] == expected


def test_names_with_nul_or_separators_are_refused(app, world):
    from vir.documents.validation import UploadRefused, clean_filename

    with app.test_request_context():
        for bad in ("a\x00.pdf", "../../etc/passwd.pdf", "dir\\file.pdf", "", ".pdf"):
            with pytest.raises(UploadRefused):
                clean_filename(bad)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 64 * 1024}])
def test_size_limit_is_413(app, client, auth, world, app_config):
    r = upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "big.txt",
        b"x" * (128 * 1024),
    )
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "too_large"
    # Without JavaScript the browser shows the error page: it says the limit and the way back.
    import io

    folder = world.folders[("cardiff", "provider")]
    auth.login("provider_editor")
    page = client.post(
        f"/folders/{folder}/upload",
        data={"files": (io.BytesIO(b"x" * (128 * 1024)), "big.txt")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 413 and "larger than 65.5 KB" in html
    assert f'href="/rooms/folders/{folder}">Back to the folder' in html


def test_duplicate_bytes_warn_but_are_accepted(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    data = files.docx("Same")
    first = upload(client, editor, folder, "one.docx", data)
    assert first.get_json()["warnings"] == []
    second = upload(client, editor, folder, "two.docx", data)
    assert second.status_code == 201
    assert "already in this folder" in second.get_json()["warnings"][0]


def test_versions(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    v1 = files.docx("First plan")
    v2 = files.docx("Updated plan after the conference")
    doc = upload(
        client,
        editor,
        folder,
        "plan.docx",
        v1,
        title="Improvement plan",
        category="improvement_plan",
    ).get_json()
    r = client.post(
        f"/api/v1/documents/{doc['id']}/versions",
        headers=editor,
        data={"file": (io.BytesIO(v2), "plan-v2.docx"), "note": "Section 3 rewritten"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == 2 and r.get_json()["title"] == "Improvement plan"
    detail = client.get(f"/api/v1/documents/{doc['id']}", headers=editor).get_json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["versions"][0]["note"] == "Section 3 rewritten"
    assert detail["versions"][0]["uploaded_by_organisation"] == "cardiff"
    for number, data in ((1, v1), (2, v2)):
        got = client.get(f"/api/v1/documents/{doc['id']}/download?version={number}", headers=editor)
        if got.status_code == 302:
            with urllib.request.urlopen(got.headers["Location"]) as resp:
                assert resp.read() == data
        else:
            assert got.data == data
    assert (
        client.get(f"/api/v1/documents/{doc['id']}/download?version=9", headers=editor).status_code
        == 404
    )
    # A new version must be a file too; the same checks apply.
    bad = client.post(
        f"/api/v1/documents/{doc['id']}/versions",
        headers=editor,
        data={"file": (io.BytesIO(b"<html></html>"), "plan.docx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 415
    # Viewers and inspectors cannot add versions in the Provider Area.
    for role in ("provider_viewer", "inspector"):
        r = client.post(
            f"/api/v1/documents/{doc['id']}/versions",
            headers=auth.token(role),
            data={"file": (io.BytesIO(v2), "x.docx")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 403


def test_download_headers(app, client, auth, world):
    editor = auth.token("provider_editor")
    doc = upload(
        client, editor, world.folders[("cardiff", "provider")], "Cynllun ‘gwella’.pdf", files.pdf()
    ).get_json()
    r = client.get(f"/api/v1/documents/{doc['id']}/download", headers=editor)
    if app.config["VIR_STORAGE"] == "fs":
        assert r.status_code == 200
        headers = r.headers
        assert r.mimetype == "application/pdf"
    else:
        assert r.status_code == 302
        assert "X-Amz-Expires=120" in r.headers["Location"]
        with urllib.request.urlopen(r.headers["Location"]) as resp:
            headers = resp.headers
            assert resp.headers["Content-Type"] == "application/pdf"
        tampered = r.headers["Location"].replace("X-Amz-Expires=120", "X-Amz-Expires=99999")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(tampered)
        assert refused.value.code == 403
        refused.value.close()
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="Cynllun gwella.pdf"' in disposition or "filename=" in disposition
    assert "filename*=UTF-8''Cynllun%20%E2%80%98gwella%E2%80%99.pdf" in disposition
    assert headers["Cache-Control"] == "no-store"
    if app.config["VIR_STORAGE"] == "fs":
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'"


def test_preview_only_pdf_and_images(app, client, auth, world):
    auth.login("provider_editor")
    headers = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    pdf_doc = upload(client, headers, folder, "p.pdf", files.pdf()).get_json()
    docx_doc = upload(client, headers, folder, "d.docx", files.docx()).get_json()
    page = client.get(f"/documents/{pdf_doc['id']}/preview")
    assert page.status_code == 200 and b"<iframe" in page.data
    inline = client.get(f"/documents/{pdf_doc['id']}/inline")
    assert inline.status_code == 200
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(f"/documents/{docx_doc['id']}/preview").status_code == 404
    assert client.get(f"/documents/{docx_doc['id']}/inline").status_code == 404


def test_trash_restore_and_purge(app, client, auth, world, runner):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    doc = upload(client, editor, folder, "old.pdf", files.pdf()).get_json()
    key_count = len(objects(app))
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=editor).status_code == 204
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=editor).status_code == 404
    listing = client.get(f"/api/v1/folders/{folder}/documents", headers=editor).get_json()
    assert doc["id"] not in [d["id"] for d in listing]
    # Viewers and auditors see nothing of the trash; a co-ordinator may restore.
    assert (
        client.get(
            f"/api/v1/folders/{folder}/trash", headers=auth.token("provider_viewer")
        ).status_code
        == 403
    )
    trash = client.get(f"/api/v1/folders/{folder}/trash", headers=editor).get_json()
    assert [d["id"] for d in trash] == [doc["id"]]
    coordinator = auth.token("coordinator")
    r = client.post(f"/api/v1/documents/{doc['id']}/restore", headers=coordinator)
    assert r.status_code == 200 and r.get_json()["deleted_at"] is None
    client.delete(f"/api/v1/documents/{doc['id']}", headers=editor)
    # Not yet past retention: purge keeps it.
    assert "purged 0" in runner.invoke(args=["documents", "purge"]).output
    result = runner.invoke(args=["documents", "purge", "--older-than-days", "0"])
    assert "purged 1" in result.output, result.output
    assert len(objects(app)) == key_count - 1
    assert (
        client.post(f"/api/v1/documents/{doc['id']}/restore", headers=coordinator).status_code
        == 404
    )


def test_every_document_action_is_audited(app, client, auth, world):
    editor = auth.token("provider_editor")
    doc = upload(
        client, editor, world.folders[("cardiff", "provider")], "a.pdf", files.pdf()
    ).get_json()
    client.get(f"/api/v1/documents/{doc['id']}", headers=editor)
    client.get(f"/api/v1/documents/{doc['id']}/download", headers=editor)
    client.post(
        f"/api/v1/documents/{doc['id']}/versions",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("v2")), "a.pdf")},
        content_type="multipart/form-data",
    )
    client.delete(f"/api/v1/documents/{doc['id']}", headers=editor)
    client.post(f"/api/v1/documents/{doc['id']}/restore", headers=editor)
    events = client.get(
        "/api/v1/audit?action=document&provider=cardiff", headers=auth.token("coordinator")
    ).get_json()["results"]
    mine = [e["action"] for e in events if e["object_id"] == str(doc["id"])]
    for action in (
        "document.upload",
        "document.view",
        "document.download",
        "document.new_version",
        "document.delete",
        "document.restore",
    ):
        assert action in mine, (action, mine)


def test_web_upload_several_files_with_per_file_outcomes(app, client, auth, world):
    auth.login("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/folders/{folder}/upload",
        data={
            "files": [
                (io.BytesIO(files.pdf()), "plan.pdf"),
                (io.BytesIO(files.docx()), "structure.docx"),
                (io.BytesIO(b"<html></html>"), "evil.pdf"),
            ],
            "category": "council_paper",
            "title": "",
            "description": "",
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert page.count("Accepted") == 2 and page.count("Refused") == 1
    assert "evil.pdf" in page
    folder_page = client.get(f"/rooms/folders/{folder}").get_data(as_text=True)
    assert "plan" in folder_page and "structure" in folder_page
    nothing = client.post(
        f"/folders/{folder}/upload", data={"category": "other"}, content_type="multipart/form-data"
    )
    assert b"Choose at least one file to upload" in nothing.data


def test_web_document_page_versions_and_trash(app, client, auth, world):
    auth.login("provider_editor")
    doc_id = world.documents[("cardiff", "provider")]
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200 and b"Replace with a new version" in page.data
    r = client.post(
        f"/documents/{doc_id}/versions",
        data={"files": [(io.BytesIO(files.pdf("v2")), "v2.pdf")], "note": "v2"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert b"Version 2 uploaded" in r.data
    r = client.post(f"/documents/{doc_id}/delete", follow_redirects=True)
    assert b"moved to the trash" in r.data
    trash = client.get(f"/folders/{world.folders[('cardiff', 'provider')]}/trash")
    assert b"Restore" in trash.data
    r = client.post(f"/documents/{doc_id}/restore", follow_redirects=True)
    assert b"restored" in r.data


def test_reconcile_reports_and_fixes(app, client, auth, world, runner):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    keep = upload(client, editor, folder, "keep.pdf", files.pdf("keep")).get_json()
    lose = upload(client, editor, folder, "lose.pdf", files.pdf("lose")).get_json()
    change = upload(client, editor, folder, "change.pdf", files.pdf("change")).get_json()
    with app.app_context():
        storage = get_storage()
        storage.save("rooms/cardiff/provider/orphan/v1-0000", io.BytesIO(b"orphan"), "text/plain")
        lost_key = db.session.get(Document, lose["id"]).current.storage_key
        storage.delete(lost_key)
        changed_key = db.session.get(Document, change["id"]).current.storage_key
        storage.delete(changed_key)
        storage.save(changed_key, io.BytesIO(b"tampered"), "application/pdf")
        kept_key = db.session.get(Document, keep["id"]).current.storage_key
    report = runner.invoke(args=["storage", "reconcile", "--grace-minutes", "0"])
    assert report.exit_code == 2
    assert "orphan objects (no row): 1" in report.output
    assert lost_key in report.output and changed_key in report.output
    fixed = runner.invoke(args=["storage", "reconcile", "--grace-minutes", "0", "--fix"])
    assert "removed: 1" in fixed.output
    assert "rooms/cardiff/provider/orphan/v1-0000" not in objects(app)
    assert kept_key in objects(app)
    young = runner.invoke(args=["storage", "reconcile", "--no-verify"])
    assert "orphan objects (no row): 0" in young.output
    assert runner.invoke(args=["storage", "check"]).exit_code == 0


def test_database_failure_after_the_object_is_written_leaves_nothing(app, client, auth, world):
    """A real database refusal (a trigger) after the object is stored: no row, no object."""
    with app.app_context(), db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_versions BEFORE INSERT ON document_versions "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'disk full'; END; $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_versions BEFORE INSERT ON "
                    "document_versions FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    try:
        before_objects, before_rows = objects(app), counts(app)
        r = upload(
            client,
            auth.token("provider_editor"),
            world.folders[("cardiff", "provider")],
            "plan.pdf",
            files.pdf(),
        )
        assert r.status_code == 503
        assert r.get_json()["error"]["code"] == "database_error"
        assert objects(app) == before_objects
        assert counts(app) == before_rows
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(
                text(
                    "DROP TRIGGER refuse_versions"
                    + ("" if db.engine.dialect.name == "sqlite" else " ON document_versions")
                )
            )
            if db.engine.dialect.name != "sqlite":
                conn.execute(text("DROP FUNCTION refuse()"))


def test_web_move_between_folders_of_one_area(app, client, auth, world):
    auth.login("provider_editor")
    new = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=auth.token("provider_editor"),
        json={"name": "Council papers", "area": "provider"},
    ).get_json()
    doc_id = world.documents[("cardiff", "provider")]
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Move to another folder" in page and "Council papers" in page
    r = client.post(
        f"/documents/{doc_id}/move", data={"folder_id": str(new["id"])}, follow_redirects=True
    )
    assert "moved to Council papers" in r.get_data(as_text=True)
    refused = client.post(
        f"/documents/{doc_id}/move",
        data={"folder_id": str(world.folders[("cardiff", "inspectors")])},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert "Choose a folder" in refused.get_data(as_text=True)


def test_a_document_s_details_can_be_changed_and_the_change_is_audited(app, client, auth, world):
    """Title, category and description could not be changed after upload: the expected-
    documents checklist kept counting a paper under the category it was uploaded with."""
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    doc = upload(client, editor, folder, "scan_0001.pdf", files.pdf("Plan")).get_json()
    assert doc["title"] == "Scan 0001"  # readable: not the file's stem as it was
    url = f"/api/v1/documents/{doc['id']}"
    r = client.patch(
        url,
        headers=editor,
        json={"title": "Improvement plan 2027", "category": "improvement_plan"},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title"] == "Improvement plan 2027"
    assert r.get_json()["category"] == "improvement_plan"
    for bad in ({"title": ""}, {"category": "poster"}, {"description": "x" * 4001}):
        assert client.patch(url, headers=editor, json=bad).status_code == 422, bad
    assert (
        client.patch(url, headers=auth.token("provider_viewer"), json={"title": "x"}).status_code
        == 403
    )
    for role in ("partner", "admin"):
        assert client.patch(url, headers=auth.token(role), json={"title": "x"}).status_code == 404
    with app.app_context():
        edits = [
            e
            for e in db.session.query(AuditEvent).filter_by(object_id=str(doc["id"]))
            if e.action == "document.edit"
        ]
        assert len(edits) == 1 and edits[0].outcome == "allowed"
        assert "Scan 0001" in str(edits[0].detail) and "Improvement plan 2027" in str(
            edits[0].detail
        )
    # The web form, in Welsh.
    auth.login("provider_editor")
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert 'value="Improvement plan 2027"' in page
    r = client.post(
        f"/documents/{doc['id']}/details",
        data={
            "title": "Cynllun gwella 2027",
            "category": "improvement_plan",
            "description": "Fersiwn ddrafft",
        },
        follow_redirects=True,
    )
    assert "Cadwyd y manylion." in r.get_data(as_text=True)
    assert client.get(url, headers=editor).get_json()["title"] == "Cynllun gwella 2027"


@pytest.mark.parametrize(
    "filename,title",
    [
        ("improvement_plan_2027.docx", "Improvement plan 2027"),
        ("SER_2027.v2.pdf", "SER 2027 v2"),
        ("cynllun-gwella-pen-y-bont.pdf", "Cynllun-gwella-pen-y-bont"),
        ("Ysgol Gymraeg – adroddiad.pdf", "Ysgol Gymraeg – adroddiad"),
        ("noextension", "Noextension"),
    ],
)
def test_titles_default_to_a_readable_name(filename, title):
    from vir.documents.operations import title_from_filename

    assert title_from_filename(filename) == title


def test_a_folder_list_says_what_each_documents_own_answer_says(app, client, auth, world):
    """The list is read as rows (no ORM objects), apart from the document's own answer:
    every field must still agree, for the newest version, a failed index (its reason only
    to the uploader) and an uploader who has gone, and the trash stays out."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    plan = upload(client, editor, folder, "plan.txt", b"first plan", title="B plan").get_json()
    r = client.post(
        f"/api/v1/documents/{plan['id']}/versions",
        headers=editor,
        data={"file": (io.BytesIO(b"second plan"), "plan-2.txt"), "note": "rewritten"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    broken = upload(
        client, editor, folder, "broken.pdf", b"%PDF-1.4\n" + b"\x00junk" * 300, title="A scan"
    ).get_json()
    gone = upload(client, editor, folder, "gone.txt", b"trashed", title="C gone").get_json()
    assert client.delete(f"/api/v1/documents/{gone['id']}", headers=editor).status_code == 204
    with app.app_context():
        version = db.session.scalar(
            select(DocumentVersion).where(DocumentVersion.document_id == plan["id"])
        )
        version.uploaded_by_id = None  # an uploader whose account was removed
        from vir.search.models import DocumentText

        scan = db.session.scalar(
            select(DocumentVersion.id).where(DocumentVersion.document_id == broken["id"])
        )
        db.session.merge(
            DocumentText(version_id=scan, text="", status="failed", reason="unreadable")
        )
        db.session.commit()
    for who in (editor, auth.token("provider_viewer"), auth.token("inspector")):
        listing = client.get(f"/api/v1/folders/{folder}/documents", headers=who).get_json()
        assert gone["id"] not in [d["id"] for d in listing]
        assert [d["title"] for d in listing] == sorted(d["title"] for d in listing)
        for listed in listing:
            own = client.get(f"/api/v1/documents/{listed['id']}", headers=who).get_json()
            del own["versions"], own["forwarded"]
            assert listed == own
        by_id = {d["id"]: d for d in listing}
        assert by_id[plan["id"]]["version"] == 2 and by_id[plan["id"]]["filename"] == "plan-2.txt"
        assert by_id[broken["id"]]["index_status"] == "failed"
        assert (by_id[broken["id"]]["index_reason"] is not None) == (who is editor)


def test_a_page_far_past_the_end_is_empty_not_a_500(client, auth, world):
    """page=92233720368547760 made an offset past 2**63: OverflowError from the database
    driver, and a 500. Any page past the last is an empty one, with the total."""
    import json

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    upload(client, editor, folder, "one.txt", b"one paper")
    for page, size in (("92233720368547760", "100"), ("4611686018427387904", "500"), ("3", "1")):
        r = client.get(
            f"/api/v1/folders/{folder}/documents",
            headers=editor,
            query_string={"page": page, "page_size": size},
        )
        assert r.status_code == 200 and r.get_json() == [], (page, r.get_json())
        assert json.loads(r.headers["X-Pagination"])["total"] >= 1
