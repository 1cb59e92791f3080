"""What an attacker from outside found (issue 13), each as a regression test."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests import files


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"VIR_ZIP_MAX_UNCOMPRESSED_MB": 1024}


def _upload(client: Any, headers: dict, folder: int, name: str, data: bytes) -> Any:
    return client.post(f"/api/v1/folders/{folder}/documents", headers=headers,
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_zip_bombs_are_refused_before_they_cost_the_request_seconds(app, client, auth, world):
    """A 1.7 KB DOCX of bzip2 zeros was decompressed in the request for 7-8 s and then
    accepted. Only stored and deflated members are read, and what a file may expand to is
    bounded by its own size, not only by VIR_ZIP_MAX_UNCOMPRESSED_MB."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        r = _upload(client, editor, folder, "plan.docx", files.docx_compressed(method))
        assert r.status_code == 422, r.get_json()
        assert "compressed in a way office programs do not use" in r.get_json()["error"][
            "message"]
    # Deflate: 100 MB of zeros in about 100 KB is far more than its size allows (1,000:1).
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(files.docx())) as good, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            z.writestr(info.filename, good.read(info.filename))
        z.writestr("word/media/zeros.bin", b"\0" * (100 * 1024 * 1024))
    assert len(buf.getvalue()) < 200_000
    r = _upload(client, editor, folder, "ratio.docx", buf.getvalue())
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unsafe_archive"
    # An ordinary document still goes in.
    assert _upload(client, editor, folder, "plan.docx", files.docx()).status_code == 201


def _many_parts(n: int, boundary: str = "x" * 20) -> tuple[bytes, str]:
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"; '
                    f'filename="f{i}.txt"\r\n\r\n\r\n'.encode() for i in range(n))
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _spooled(app: Any) -> list[str]:
    from pathlib import Path

    directory = Path(app.config["VIR_DATA_DIR"]) / "tmp"  # where uploads are spooled
    return sorted(p.name for p in directory.glob("*")) if directory.exists() else []


@pytest.mark.parametrize("path", ["/sign-in", "/language", "/folders/1/upload",
                                  "/api/v1/folders/1/documents", "/api/v1/tokens"])
def test_unauthenticated_bodies_leave_nothing_on_disk(app, client, world, path):
    """1,001 empty file parts answered 413 but left 1,000 files in VIR_DATA_DIR/tmp."""
    body, kind = _many_parts(1001)
    assert len(body) < 1024 * 1024
    r = client.post(path, data=body, content_type=kind)
    assert r.status_code in (302, 400, 401, 403, 404, 413, 415, 422), r.status_code
    body, kind = _many_parts(50)
    client.post(path, data=body, content_type=kind)
    assert _spooled(app) == []


def test_a_chunked_body_past_the_limit_leaves_nothing(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    boundary = "y" * 20
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.pdf"\r\n\r\n'.encode() + b"\0" * (3 * 1024 * 1024)
            + f"\r\n--{boundary}--\r\n".encode())
    r = client.post("/sign-in", input_stream=io.BytesIO(body),
                    content_type=f"multipart/form-data; boundary={boundary}",
                    environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code in (400, 413)
    assert _spooled(app) == []


def test_signed_in_but_the_route_takes_no_files(app, client, auth, world, monkeypatch):
    """File parts sent to a route that takes none are read and dropped, never written."""
    from vir.core import uploads

    made = []
    real = uploads.HashingSpool

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            made.append(True)
            super().__init__(*args)

    monkeypatch.setattr(uploads, "HashingSpool", Watched)
    headers = auth.token("provider_editor")
    body, kind = _many_parts(20)
    client.post("/api/v1/tokens", data=body, content_type=kind, headers=headers)
    auth.login("provider_editor")
    client.post("/language", data=body, content_type=kind)
    assert made == [] and _spooled(app) == []
    # A route that takes files still spools them for a signed-in caller.
    r = client.post(f"/api/v1/folders/{world.folders[('cardiff', 'provider')]}/documents",
                    headers=headers, data={"file": (io.BytesIO(files.pdf()), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 201 and made
    # Too many parts for an upload route: 413, and nothing kept.
    body, kind = _many_parts(1001)
    r = client.post(f"/api/v1/folders/{world.folders[('cardiff', 'provider')]}/documents",
                    headers=headers, data=body, content_type=kind)
    assert r.status_code == 413
    assert _spooled(app) == []


def test_stale_spool_files_are_reported_and_swept(app, runner, world):
    import os
    import time

    from vir.core.uploads import spool_dir, sweep_spools

    with app.app_context():
        directory = spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    old, young = directory / "upload-old", directory / "upload-young"
    old.write_bytes(b"x" * 1000)
    young.write_bytes(b"y")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    report = runner.invoke(args=["storage", "check"])
    assert "stale upload spool files" in report.output and ": 1 (1000 bytes)" in report.output
    with app.app_context():
        assert sweep_spools() == 1
    assert not old.exists() and young.exists()  # a live upload's spool is left alone
