"""The restore drill: documents and data in → backup → wipe → restore → reconcile clean,
reindex, and every document's SHA-256 and every search answer as before (SQLite and
PostgreSQL; the store on disk and on S3, Ceph RGW)."""

from __future__ import annotations

import hashlib
import io
import shutil
from typing import Any

import pytest

from tests import files
from tests.conftest import _config, _truncate_pg


@pytest.fixture
def app_config(storage_config: dict[str, Any]) -> dict[str, Any]:
    return {"VIR_SEARCH_ENABLED": True, **storage_config}


class _Server:
    """The S3 server's address and keys, as s3_client wants them, from the app's settings."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.endpoint = cfg["VIR_S3_ENDPOINT_URL"]
        self.access_key = cfg["VIR_S3_ACCESS_KEY"]
        self.secret_key = cfg["VIR_S3_SECRET_KEY"]


QUERIES = ["attendance", "cardiff", "leadership OR strategy", '"improvement plan"']


def _state(client: Any, headers: dict[str, str], world: Any) -> dict[str, Any]:
    docs = {}
    for key, document_id in sorted(world.documents.items()):
        got = client.get(f"/api/v1/documents/{document_id}/download", headers=headers)
        if got.status_code == 302:  # S3: a short-lived link on the store itself
            import urllib.request

            with urllib.request.urlopen(got.headers["Location"], timeout=60) as r:
                data = r.read()
        else:
            assert got.status_code == 200, key
            data = got.data
        docs[document_id] = hashlib.sha256(data).hexdigest()
    answers = {}
    for q in QUERIES:
        body = client.get("/api/v1/search", query_string={"q": q}, headers=headers).get_json()
        answers[q] = (body["total"], sorted(h["document_id"] for h in body["results"]))
    return {"documents": docs, "search": answers}


def test_backup_wipe_restore_gives_back_everything(
    app, client, auth, world, runner, tmp_path, database_url, sqlite_template, storage_config
):
    from vir import create_app

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for name, text in (
        ("attendance.docx", files.docx("Attendance strategy for Cardiff schools")),
        ("leadership.pdf", files.pdf("Leadership and improvement plan")),
    ):
        r = client.post(
            f"/api/v1/folders/{folder}/documents",
            headers=editor,
            data={"file": (io.BytesIO(text), name)},
            content_type="multipart/form-data",
        )
        assert r.status_code == 201, r.get_json()
        world.documents[("cardiff", name)] = r.get_json()["id"]
    coordinator = auth.token("coordinator")
    before = _state(client, coordinator, world)
    assert before["search"]["attendance"][0] >= 1

    archive = tmp_path / "vir.backup"
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "objects" in made.output and archive.exists()

    # Wipe: a new, empty database (SQLite: a new file; PostgreSQL: every table emptied) and a
    # new data directory, so nothing of the old store or index is left to help.
    with app.app_context():
        from vir.core.db import db

        db.session.remove()
        db.engine.dispose()
    if database_url.startswith("sqlite"):
        fresh = tmp_path / "restored.sqlite3"
        shutil.copy(sqlite_template, fresh)
        url = f"sqlite:///{fresh}"
    else:
        _truncate_pg(database_url)
        url = database_url
    # The store: a new directory, or a new, empty bucket on the same S3 server.
    store = dict(storage_config)
    if store["VIR_STORAGE"] == "s3":
        from tests.conftest import s3_client

        store["VIR_S3_BUCKET"] = store["VIR_S3_BUCKET"] + "-restored"
        s3_client(_Server(store)).create_bucket(Bucket=store["VIR_S3_BUCKET"])
    restored = create_app(
        _config(url, tmp_path / "restored-data", VIR_SEARCH_ENABLED=True, **store)
    )
    cli = restored.test_cli_runner()
    done = cli.invoke(args=["restore", str(archive)])
    assert done.exit_code == 0, done.output
    again = cli.invoke(args=["restore", str(archive)])
    assert again.exit_code == 1 and "not empty" in again.output
    reconcile = cli.invoke(args=["storage", "reconcile", "--grace-minutes", "0"])
    assert reconcile.exit_code == 0, reconcile.output
    assert "orphan objects (no row): 0" in reconcile.output
    assert cli.invoke(args=["search", "reindex"]).exit_code == 0
    # The same token works: tokens and sessions came back with everything else.
    after = _state(restored.test_client(), coordinator, world)
    assert after == before
    # New rows continue after the restored ids (PostgreSQL's sequences were moved on).
    r = restored.test_client().post(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("after the restore")), "after.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and r.get_json()["id"] > max(before["documents"])
    with restored.app_context():
        from vir.core.db import db

        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_what_is_not_a_backup(runner, tmp_path):
    import tarfile

    bogus = tmp_path / "bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        tar.add(__file__, arcname="something.py")
    out = runner.invoke(args=["restore", str(bogus)])
    assert out.exit_code == 1 and "is not a VIR backup" in out.output
