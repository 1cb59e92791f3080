"""Real faults on the S3 path: the server unreachable before an upload, and the connection cut
in the middle of one. Nothing is recorded without its object, and nothing is left behind."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from tests import files
from tests.conftest import s3_client
from tests.services.ceph import free_port
from tests.services.faulty_proxy import cutting_proxy
from vir.core.db import db
from vir.documents.models import DocumentVersion


def _s3_config(server: Any, bucket: str, endpoint: str) -> dict[str, Any]:
    return {
        "VIR_STORAGE": "s3",
        "VIR_S3_ENDPOINT_URL": endpoint,
        "VIR_S3_BUCKET": bucket,
        "VIR_S3_ACCESS_KEY": server.access_key,
        "VIR_S3_SECRET_KEY": server.secret_key,
        "VIR_S3_MULTIPART_MB": 5,
    }


def _versions(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DocumentVersion))


def _upload(client: Any, headers: dict, folder: int, data: bytes, name: str = "big.txt") -> Any:
    # Encoded in memory: for large bodies the test client spools to a temporary file that it
    # never closes, which pytest (rightly) reports.
    stream, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename=name)}, use_tempfile=False
    )
    return client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def bucket(s3_server: Any) -> str:
    name = f"vir-fault-{free_port()}"
    s3_client(s3_server).create_bucket(Bucket=name)
    return name


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.get_closest_marker("pipelined"):
        return request.getfixturevalue("pipelined")
    return {}


def test_s3_unreachable_before_upload(database_url, tmp_path, s3_server, bucket, monkeypatch):
    from tests.conftest import _config
    from vir import create_app

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    app = create_app(
        _config(database_url, tmp_path / "data", **_s3_config(s3_server, bucket, dead))
    )
    _expect_503_and_nothing_recorded(app, monkeypatch, files.pdf(), "a.pdf")


def _editor_and_folder(app: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict, int]:
    """A room with one folder and an editor signed in to the API, on an app of its own."""
    from argon2 import PasswordHasher

    from tests.conftest import PASSWORD
    from vir.accounts import operations as account_ops
    from vir.orgs.operations import create_org
    from vir.rooms.operations import create_folder, room_for

    monkeypatch.setattr(
        account_ops, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    with app.app_context():
        org = create_org("cardiff", "Cardiff Council", "local_authority")
        account_ops.create_user(
            "editor@test.example", "Editor", org, ["provider_editor"], password=PASSWORD
        )
        folder = create_folder(room_for(org), "provider", "Papers").id
        db.session.commit()
    client = app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"email": "editor@test.example", "password": PASSWORD}
    ).get_json()["token"]
    return client, {"Authorization": f"Bearer {token}"}, folder


def _expect_503_and_nothing_recorded(
    app: Any, monkeypatch: pytest.MonkeyPatch, data: bytes, name: str
) -> None:
    client, headers, folder = _editor_and_folder(app, monkeypatch)
    r = _upload(client, headers, folder, data, name)
    assert r.status_code == 503, r.get_json()
    assert r.get_json()["error"]["code"] == "storage_unavailable"
    assert _versions(app) == 0
    with app.app_context():
        db.engine.dispose()


def test_connection_cut_during_upload(database_url, tmp_path, s3_server, bucket, monkeypatch):
    """A proxy in front of the real S3 server drops every connection after 3 MB: the 12 MB
    multipart upload fails, the row is never written, and no object or part is left."""
    from tests.conftest import _config
    from vir import create_app

    target = urlsplit(s3_server.endpoint)
    with cutting_proxy(target.hostname, target.port, cut_after=3 * 1024 * 1024) as port:
        app = create_app(
            _config(
                database_url,
                tmp_path / "data",
                **_s3_config(s3_server, bucket, f"http://127.0.0.1:{port}"),
            )
        )
        data = (b"Attendance figures for the conference.\n" * 330_000)[: 12 * 1024 * 1024]
        _expect_503_and_nothing_recorded(app, monkeypatch, data, "big.txt")
    client = s3_client(s3_server)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_large_upload_goes_multipart_and_hashes_right(
    app, client, auth, world, s3_server, bucket, monkeypatch
):
    """Through the real server, directly: 12 MB in 5 MB parts, hash computed on the way."""
    import hashlib

    from vir.storage.s3 import S3Storage

    storage = S3Storage(
        endpoint_url=s3_server.endpoint,
        bucket=bucket,
        region="us-east-1",
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        addressing_style="path",
        multipart_threshold=5 * 1024 * 1024,
    )
    data = bytes(range(256)) * (12 * 4096)
    stored = storage.save("rooms/x/provider/big/v1", io.BytesIO(data), "text/plain")
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    head = s3_client(s3_server).head_object(Bucket=bucket, Key="rooms/x/provider/big/v1")
    assert head["ETag"].strip('"').endswith("-3")  # three parts
    assert storage.sha256("rooms/x/provider/big/v1") == stored.sha256
    with pytest.raises(Exception, match="exists"):
        storage.save("rooms/x/provider/big/v1", io.BytesIO(b"again"), "text/plain")


@pytest.fixture
def pipelined(s3_server: Any, bucket: str) -> dict[str, Any]:
    """S3 with 5 MB parts, so a 12 MB upload is stored while it arrives."""
    return _s3_config(s3_server, bucket, s3_server.endpoint)


@pytest.mark.pipelined
def test_pipelined_upload_is_stored_while_it_arrives(app, client, auth, world, s3_server, bucket):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    data = (b"school,attendance\n" + b"Ysgol Gymraeg,93.5\n" * 700_000)[: 12 * 1024 * 1024]
    r = _upload(client, editor, folder, data, "figures.csv")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    import hashlib

    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    s3 = s3_client(s3_server)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    from vir.documents.models import Document

    with app.app_context():
        key = db.session.get(Document, body["id"]).current.storage_key
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # sent as three parts while arriving
    got = client.get(f"/api/v1/documents/{body['id']}/download", headers=editor)
    import urllib.request

    with urllib.request.urlopen(got.headers["Location"]) as resp:
        assert resp.read() == data
    # Refused after the parts were sent: the multipart upload is aborted, nothing stays.
    before = sorted(keys)
    bad = _upload(client, editor, folder, b"<html>" + data, "figures.pdf")
    assert bad.status_code == 415
    after = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert after == before
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # Someone who may not write there starts nothing at all.
    viewer = auth.token("provider_viewer")
    assert _upload(client, viewer, folder, data, "figures.csv").status_code == 403
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.pipelined
def test_an_upload_cut_off_part_way_keeps_nothing(app, client, auth, world, s3_server, bucket):
    """The connection drops after two parts were sent: the multipart upload is aborted, the
    spooled file removed, and no document recorded."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    data = (b"school,attendance\n" + b"Ysgol Gymraeg,93.5\n" * 900_000)[: 16 * 1024 * 1024]
    stream, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename="figures.csv")}, use_tempfile=False
    )
    whole = stream.read()
    before = _versions(app)
    s3 = s3_client(s3_server)
    objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        input_stream=io.BytesIO(whole[: 13 * 1024 * 1024]),
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    # The form is unreadable, so the file is missing (the client has gone by then anyway).
    assert r.status_code == 422 and r.get_json()["error"]["details"]["file"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == objects
    assert _versions(app) == before
    spool_dir = Path(app.config["VIR_DATA_DIR"]) / "tmp"
    assert not spool_dir.exists() or list(spool_dir.iterdir()) == []
