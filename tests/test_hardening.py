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
    return client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_zip_bombs_are_refused_before_they_cost_the_request_seconds(app, client, auth, world):
    """A 1.7 KB DOCX of bzip2 zeros was decompressed in the request for 7-8 s and then
    accepted. Only stored and deflated members are read, and what a file may expand to is
    bounded by its own size, not only by VIR_ZIP_MAX_UNCOMPRESSED_MB."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        r = _upload(client, editor, folder, "plan.docx", files.docx_compressed(method))
        assert r.status_code == 422, r.get_json()
        assert "compressed in a way office programs do not use" in r.get_json()["error"]["message"]
    # Deflate: 100 MB of zeros in about 100 KB is far more than its size allows (1,000:1).
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(files.docx())) as good,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        for info in good.infolist():
            z.writestr(info.filename, good.read(info.filename))
        z.writestr("word/media/zeros.bin", b"\0" * (100 * 1024 * 1024))
    assert len(buf.getvalue()) < 200_000
    r = _upload(client, editor, folder, "ratio.docx", buf.getvalue())
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unsafe_archive"
    # An ordinary document still goes in.
    assert _upload(client, editor, folder, "plan.docx", files.docx()).status_code == 201


def _many_parts(n: int, boundary: str = "x" * 20) -> tuple[bytes, str]:
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"; '
        f'filename="f{i}.txt"\r\n\r\n\r\n'.encode()
        for i in range(n)
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _spooled(app: Any) -> list[str]:
    from pathlib import Path

    directory = Path(app.config["VIR_DATA_DIR"]) / "tmp"  # where uploads are spooled
    return sorted(p.name for p in directory.glob("*")) if directory.exists() else []


@pytest.mark.parametrize(
    "path",
    ["/sign-in", "/language", "/folders/1/upload", "/api/v1/folders/1/documents", "/api/v1/tokens"],
)
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
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.pdf"\r\n\r\n'.encode()
        + b"\0" * (3 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = client.post(
        "/sign-in",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        environ_overrides={"wsgi.input_terminated": True},
    )
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
    r = client.post(
        f"/api/v1/folders/{world.folders[('cardiff', 'provider')]}/documents",
        headers=headers,
        data={"file": (io.BytesIO(files.pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and made
    # Too many parts for an upload route: 413, and nothing kept.
    body, kind = _many_parts(1001)
    r = client.post(
        f"/api/v1/folders/{world.folders[('cardiff', 'provider')]}/documents",
        headers=headers,
        data=body,
        content_type=kind,
    )
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


@pytest.fixture
def totp_user(app: Any, world: Any) -> Any:
    """The inspector, with two-step verification on."""
    import pyotp

    from vir.accounts.models import User
    from vir.core.db import db

    with app.app_context():
        user = db.session.get(User, world.users["inspector"])
        user.totp_secret, user.totp_enabled = pyotp.random_base32(), True
        db.session.commit()
        return pyotp.TOTP(user.totp_secret)


def _other_code(totp: Any) -> str:
    return "000000" if totp.now() != "000000" else "111111"


def test_the_code_page_is_throttled(app, client, auth, world, totp_user):
    """60 wrong codes, then the right one, signed in."""
    assert auth.login("inspector").headers["Location"].endswith("/sign-in/code")
    statuses = [
        client.post("/sign-in/code", data={"code": _other_code(totp_user)}).status_code
        for _ in range(8)
    ]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429] * 4
    r = client.post("/sign-in/code", data={"code": totp_user.now()})
    assert r.status_code == 429 and "Too many wrong codes" in r.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not signed in
    # The API's code is the same account's, throttled the same way.
    from tests.conftest import PASSWORD

    r = client.post(
        "/api/v1/tokens",
        json={"email": world.email("inspector"), "password": PASSWORD, "otp": totp_user.now()},
    )
    assert r.status_code == 429 and r.headers["Retry-After"]


def test_a_code_is_accepted_once_even_by_concurrent_sign_ins(app, world, totp_user):
    """3 or 4 of 4 concurrent sign-ins succeeded with one code."""
    import threading

    from vir.accounts import operations as ops
    from vir.accounts.models import User
    from vir.core.db import db

    code, results = totp_user.now(), []
    barrier = threading.Barrier(4)

    def sign_in() -> None:
        with app.app_context():
            user = db.session.get(User, world.users["inspector"])
            barrier.wait()
            results.append(ops.verify_totp(user, code))
            db.session.remove()

    _together(sign_in, 4)
    assert sorted(results) == [False, False, False, True]


def _together(target: Any, n: int) -> None:
    """Run ``target`` in ``n`` threads at once and wait for them all."""
    import threading

    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_turning_two_step_off_needs_the_password_and_a_code(app, client, auth, world, totp_user):
    from tests.conftest import PASSWORD
    from vir.accounts.models import User
    from vir.core.db import db

    auth.login("inspector")
    client.post("/sign-in/code", data={"code": totp_user.now()})
    assert client.get("/account").status_code == 200

    def enabled() -> bool:
        with app.app_context():
            return db.session.get(User, world.users["inspector"]).totp_enabled

    assert client.post("/account/two-step/reset", data={}).status_code == 422
    assert (
        client.post(
            "/account/two-step/reset", data={"password": "wrong", "code": totp_user.now()}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/account/two-step/reset", data={"password": PASSWORD, "code": _other_code(totp_user)}
        ).status_code
        == 422
    )
    assert enabled()
    import time

    # The sign-in used this step's code; the next step's is within the allowed drift.
    r = client.post(
        "/account/two-step/reset",
        data={"password": PASSWORD, "code": totp_user.at(time.time() + 30)},
    )
    assert r.status_code == 302 and not enabled()


def test_anyone_may_turn_two_step_on(app, client, auth, world):
    import pyotp

    from tests.conftest import PASSWORD
    from vir.accounts.models import User
    from vir.core.db import db

    auth.login("provider_viewer")
    page = client.get("/account").get_data(as_text=True)
    assert "Set up two-step verification" in page
    assert client.get("/account/two-step/setup").status_code == 200
    with app.app_context():
        secret = db.session.get(User, world.users["provider_viewer"]).totp_secret
    totp = pyotp.TOTP(secret)
    bad = client.post("/account/two-step/setup", data={"password": "nope", "code": totp.now()})
    assert bad.status_code == 200 and "password is not right" in bad.get_data(as_text=True)
    ok = client.post("/account/two-step/setup", data={"password": PASSWORD, "code": totp.now()})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("provider_viewer").headers["Location"].endswith("/sign-in/code")


def test_a_stranger_behind_a_shared_address_locks_out_no_one_who_signed_in_there(
    app, client, auth, world
):
    """After 30 failures from one address at any time, every user behind it (a council's
    office behind one NAT) was locked out, and the count never decayed."""
    from datetime import timedelta

    import time_machine

    from tests.conftest import PASSWORD
    from vir.core.db import utcnow

    with time_machine.travel(utcnow(), tick=False) as traveller:
        assert auth.login("provider_editor").status_code == 302  # known at this address
        auth.logout()
        for n in range(app.config["VIR_LOGIN_FREE_ATTEMPTS_PER_IP"] + 5):
            client.post(
                "/sign-in",
                data={"email": f"stranger{n}@test.example", "password": "guess-guess-guess"},
            )
        assert auth.login("provider_editor").status_code == 302  # still signs in
        auth.logout()
        # Someone who never signed in from here waits, as a sprayer does...
        assert auth.login("provider_viewer").status_code == 429
        # ...until the failures have decayed.
        traveller.shift(
            timedelta(minutes=app.config["VIR_LOGIN_THROTTLE_WINDOW_MINUTES"], seconds=1000)
        )
        client.post("/sign-in", data={"email": "stranger@test.example", "password": "x" * 14})
        assert auth.login("provider_viewer").status_code == 302
        # The API is throttled the same way, per account and address.
        for _ in range(app.config["VIR_LOGIN_FREE_ATTEMPTS"]):
            client.post(
                "/api/v1/tokens",
                json={"email": world.email("auditor"), "password": "wrong-wrong-wrong"},
            )
        r = client.post(
            "/api/v1/tokens", json={"email": world.email("auditor"), "password": PASSWORD}
        )
        assert r.status_code == 429


def test_concurrent_failures_are_all_counted_without_an_error(app, world):
    """Concurrent failures raced on the counter's first insert (IntegrityError, a 500) and
    let more guesses through than allowed."""
    import threading

    from vir.accounts import operations as ops
    from vir.accounts.models import LoginThrottle
    from vir.core.db import db

    barrier, errors = threading.Barrier(6), []

    def fail() -> None:
        with app.test_request_context():
            try:
                barrier.wait()
                ops.throttle_fail("race@test.example", "192.0.2.7")
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    _together(fail, 6)
    assert errors == []
    with app.app_context():
        row = db.session.get(LoginThrottle, "acct-ip:race@test.example|192.0.2.7")
        assert row.failures == 6 and row.locked_until is not None


def test_a_database_outage_answers_503_not_500(tmp_path):
    """A PostgreSQL outage answered 500."""
    from tests.conftest import _config
    from tests.services.ceph import free_port
    from vir import create_app

    down = create_app(_config(f"postgresql+psycopg://vir@127.0.0.1:{free_port()}/vir", tmp_path))
    down.config["PROPAGATE_EXCEPTIONS"] = False
    client = down.test_client()
    r = client.post("/api/v1/tokens", json={"email": "a@test.example", "password": "x" * 14})
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.get_json()["error"]["code"] == "database_unavailable"
    page = client.post("/sign-in", data={"email": "a@test.example", "password": "x" * 14})
    assert page.status_code == 503
    assert "cannot reach its database" in page.get_data(as_text=True)
    cy = client.post(
        "/api/v1/tokens",
        json={"email": "a@test.example", "password": "x" * 14},
        headers={"Accept-Language": "cy"},
    )
    assert cy.status_code == 503 and "database" not in cy.get_json()["error"]["message"]


def test_no_one_is_shown_the_id_of_something_they_cannot_open(app, client, auth, world):
    """An activity answered its Link Inspectors folder id to provider users; partners saw
    Provider Area folder ids in accepted_into."""
    coordinator, editor = auth.token("coordinator"), auth.token("provider_editor")
    activity = client.post(
        "/api/v1/providers/cardiff/activities",
        headers=coordinator,
        json={"kind": "improvement_conference", "starts_at": "2027-03-10T09:30"},
    ).get_json()
    assert activity["folders"]["inspectors"] is not None  # the co-ordinator opens it
    for role in ("provider_editor", "provider_viewer", "auditor"):
        seen = client.get(
            f"/api/v1/activities/{activity['id']}", headers=auth.token(role)
        ).get_json()
        assert seen["folders"]["inspectors"] is None, role
        assert seen["folders"]["provider"] == activity["folders"]["provider"]
    partner = auth.token("partner")
    forward = client.post(
        "/api/v1/providers/cardiff/forwards",
        headers=partner,
        data={"file": (io.BytesIO(files.pdf("evidence")), "e.pdf")},
        content_type="multipart/form-data",
    ).get_json()
    accepted = client.post(
        f"/api/v1/forwards/{forward['id']}/accept",
        headers=editor,
        json={"folder_id": world.folders[("cardiff", "provider")]},
    )
    assert accepted.get_json()["accepted_into"]["folder_id"]  # the authority sees where
    sent = client.get(f"/api/v1/forwards/{forward['id']}", headers=partner).get_json()
    assert sent["status"] == "accepted" and sent["accepted_into"]["folder"]  # its name only
    listed = client.get("/api/v1/forwards?direction=sent", headers=partner).get_json()
    for f in [sent, *listed]:
        assert f["accepted_into"]["folder_id"] is None
        assert f["accepted_into"]["document_id"] is None


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped_and_empty_ones_stay_empty():
    from vir.audit.queries import csv_cell

    for text in ("=SUM(A1)", "+1", "-1", "@x", "\tcmd", "\rcmd"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("") == "" and csv_cell(None) == "" and csv_cell("plain") == "plain"


def test_a_denial_with_a_long_object_id_is_still_audited(app, client, auth, world):
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    # A number too large for a row id names nothing: 404, not an overflow in the driver.
    r = client.get(f"/api/v1/documents/{'9' * 70}", headers=auth.token("provider_viewer"))
    assert r.status_code == 404
    from vir.audit.operations import record_now

    long_id = "crafted-" + "x" * 70
    with app.test_request_context():
        record_now("document.view", object_type="document", object_id=long_id)
    with app.app_context():
        events = db.session.query(AuditEvent).filter(AuditEvent.outcome == "denied").all()
        found = [e for e in events if (e.detail or {}).get("object_id_full") == long_id]
        assert found and len(found[0].object_id) <= 64


def test_refused_uploads_are_audited(app, client, auth, world):
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    assert (
        _upload(client, editor, folder, "page.html", b"<html><script>x</script></html>").status_code
        == 415
    )
    assert (
        _upload(
            client, editor, folder, "bomb.docx", files.docx_compressed(zipfile.ZIP_BZIP2)
        ).status_code
        == 422
    )
    with app.app_context():
        refused = (
            db.session.query(AuditEvent)
            .filter(AuditEvent.action == "document.upload.refused")
            .all()
        )
    assert {e.detail["filename"] for e in refused} == {"page.html", "bomb.docx"}
    assert all(
        e.outcome == "denied" and e.actor == world.email("provider_editor") and e.detail["code"]
        for e in refused
    )


def test_vir_serve_caps_what_waitress_takes_in_at_the_upload_limit(app, runner, monkeypatch):
    """waitress buffered an unauthenticated 150 MB body before VIR saw it, with a cap (its
    default, 1 GB) below VIR_MAX_UPLOAD_MB."""
    import waitress

    seen = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: seen.update(kwargs))
    app.config["MAX_CONTENT_LENGTH"] = 2048 * 1024 * 1024
    result = runner.invoke(args=["serve", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert seen["max_request_body_size"] == 2049 * 1024 * 1024


def _pdf_with(extra: bytes) -> bytes:
    pdf = files.pdf("Active")
    return pdf.replace(
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>"
    )


def test_unscanned_and_active_pdfs_are_marked_and_active_ones_never_previewed(
    app, client, auth, world
):
    """With no scanner, uploads were accepted with no sign; a PDF with JavaScript or an
    OpenAction was previewed inline like any other."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    active = _upload(
        client,
        editor,
        folder,
        "active.pdf",
        _pdf_with(b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>"),
    ).get_json()
    plain = _upload(client, editor, folder, "plain.pdf", files.pdf("Plain")).get_json()
    assert active["active_content"] == ["javascript", "openaction"]
    assert plain["active_content"] == [] and plain["scanned"] is False
    auth.login("provider_viewer")
    page = client.get(f"/documents/{active['id']}").get_data(as_text=True)
    assert "contains active content" in page and "Show a preview" not in page
    assert client.get(f"/documents/{active['id']}/preview").status_code == 404
    assert client.get(f"/documents/{active['id']}/inline").status_code == 404
    assert client.get(f"/documents/{plain['id']}/inline").status_code in (200, 302)
    assert "Show a preview" in client.get(f"/documents/{plain['id']}").get_data(as_text=True)
    listing = client.get(f"/rooms/folders/{folder}").get_data(as_text=True)
    assert "Active content" in listing and "Not scanned" in listing
    assert "Not scanned for viruses" in client.get(f"/documents/{plain['id']}").get_data(
        as_text=True
    )


def _active(tmp_path: Any, data: bytes) -> str:
    from vir.documents.validation import pdf_active_content

    path = tmp_path / "probe.pdf"
    path.write_bytes(data)
    return pdf_active_content(path)


def test_active_content_inside_compressed_object_streams_is_found(
    app, client, auth, world, tmp_path
):
    """A catalog's /OpenAction and a /JavaScript action inside a compressed object stream (as
    Word and qpdf write PDFs) were invisible to a scan of the file's bytes."""
    import pypdfium2

    hidden = files.pdf_object_stream()
    assert len(pypdfium2.PdfDocument(hidden)) == 1  # a PDF a reader opens
    assert b"OpenAction" not in hidden and b"JavaScript" not in hidden
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    found = _upload(client, editor, folder, "objstm.pdf", hidden).get_json()
    assert found["active_content"] == ["javascript", "openaction"]
    auth.login("provider_viewer")
    assert client.get(f"/documents/{found['id']}/inline").status_code == 404
    page = client.get(f"/documents/{found['id']}").get_data(as_text=True)
    assert "(JavaScript, an action when it is opened)" in page
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get(f"/documents/{found['id']}").get_data(as_text=True)
    assert "(JavaScript, gweithred pan gaiff ei agor)" in page
    escaped = files.pdf_object_stream(b"/Open#41ction 5 0 R").replace(
        b"/JavaScript", b"/Jav#61Script"
    )
    assert _active(tmp_path, escaped) == "javascript,openaction"


def test_object_streams_that_cannot_be_read_count_as_active(tmp_path):
    """Another filter, a predictor, encryption or a stream past the bounds: not inspected,
    so never previewed inline."""
    from vir.documents import validation

    good = files.pdf_object_stream(b"")
    assert _active(tmp_path, good) == "javascript"  # the action object is named
    predicted = good.replace(
        b"/Filter /FlateDecode", b"/Filter /FlateDecode /DecodeParms << /Predictor 12 >>"
    )
    assert _active(tmp_path, predicted) == "uninspected"
    stream = good.index(b"stream\n") + len(b"stream\n")
    garbled = (
        good[:stream] + bytes(b ^ 0x5A for b in good[stream : stream + 40]) + good[stream + 40 :]
    )
    assert "uninspected" in _active(tmp_path, garbled)  # as an encrypted stream reads
    plain = files.pdf_object_stream(b"/OpenAction 5 0 R", compress=False)
    assert _active(tmp_path, plain) == "javascript,openaction"
    big = validation.OBJSTM_MAX_TOTAL
    try:
        validation.OBJSTM_MAX_TOTAL = 16
        assert "uninspected" in _active(tmp_path, good)
    finally:
        validation.OBJSTM_MAX_TOTAL = big


def test_a_pdf_that_opens_at_a_page_is_not_active(tmp_path):
    """LibreOffice writes `/OpenAction [1 0 R /XYZ null null 0]` (open at page 1) into every
    PDF: a destination, not an action, so its PDFs keep their preview. An action (a
    dictionary, or a reference to anything but a destination) is still flagged."""
    from pathlib import Path

    real = Path(__file__).parent / "fixtures" / "real" / "pdf-text.pdf"
    assert b"/OpenAction[" in real.read_bytes().replace(b"/OpenAction [", b"/OpenAction[")
    assert _active(tmp_path, real.read_bytes()) == ""
    assert _active(tmp_path, _pdf_with(b"/OpenAction [3 0 R /Fit]")) == ""
    assert (
        _active(tmp_path, _pdf_with(b"/OpenAction << /S /GoToR /F (\\\\host\\x) >>"))
        == "openaction"
    )
    to_object = _pdf_with(b"/OpenAction 9 0 R").replace(
        b"%%EOF", b"9 0 obj\n[3 0 R /Fit]\nendobj\n%%EOF"
    )
    assert _active(tmp_path, to_object) == ""
    redefined = to_object + b"9 0 obj\n<< /S /URI /URI (http://x.example/) >>\nendobj\n"
    assert _active(tmp_path, redefined) == "openaction"  # an incremental update may redefine it


def test_the_production_entry_point_needs_a_scanner_or_a_deliberate_off(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "VIR_DATA_DIR": str(tmp_path), "VIR_SECRET_KEY": "k" * 40}
    for name in ("VIR_CLAMD", "VIR_CLAMD_SOCKET", "VIR_CLAMD_HOST", "VIR_DATABASE_URL"):
        env.pop(name, None)
    refused = subprocess.run(
        [sys.executable, "-c", "import vir.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "without a virus scanner" in refused.stderr
    env["VIR_CLAMD"] = "off"
    started = subprocess.run(
        [sys.executable, "-c", "import vir.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr


def _statements(app: Any, call: Any) -> int:
    import sqlalchemy as sa

    from vir.core.db import db

    count = [0]

    def counted(*args: Any) -> None:
        count[0] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counted)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", counted)
    return count[0]


def test_folder_lists_cost_the_same_statements_however_many_documents(app, client, auth, world):
    """1,000 documents in one folder: 1,010 SQL statements for the API list (a stored-text
    load per document just for its index status), unpaged."""
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    auth.login("provider_viewer")

    def listing() -> None:
        assert client.get(f"/api/v1/folders/{folder}/documents", headers=editor).status_code == 200

    def page() -> None:
        assert client.get(f"/rooms/folders/{folder}").status_code == 200

    for n in range(3):
        _upload(client, editor, folder, f"a{n}.txt", f"paper {n}".encode())
    few = (_statements(app, listing), _statements(app, page))
    for n in range(3, 30):
        _upload(client, editor, folder, f"b{n}.txt", f"paper {n}".encode())
    many = (_statements(app, listing), _statements(app, page))
    assert many == few, (few, many)
    # The API list is paged, with the total in the X-Pagination header.
    import json

    r = client.get(
        f"/api/v1/folders/{folder}/documents",
        headers=editor,
        query_string={"page": 2, "page_size": 10},
    )
    assert len(r.get_json()) == 10
    assert json.loads(r.headers["X-Pagination"])["total"] == 31  # and the world's PDF


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_search_upload_and_token_routes_are_rate_limited(
    database_url, app_config, request, storage
):
    """Coarse limits per account and address on search, uploads and tokens: 429 with
    Retry-After, counted in Redis when configured (shared by every worker and node)."""
    from vir.core.limits import limiter

    app_config.update(
        {
            "VIR_RATE_LIMITS": True,
            "VIR_RATE_SEARCH": "3/minute",
            "VIR_RATE_UPLOAD": "2/minute",
            "VIR_RATE_TOKENS": "4/minute",
            "VIR_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/15"
            if storage == "redis"
            else "memory://",
        }
    )
    app = request.getfixturevalue("app")
    with app.app_context():
        limiter.reset()  # counts of an earlier test's app, in the same store
    client, auth, world = (request.getfixturevalue(n) for n in ("client", "auth", "world"))
    editor = auth.token("provider_editor")  # the first token
    seen = [
        client.get("/api/v1/search", headers=editor, query_string={"q": "plan"}).status_code
        for _ in range(5)
    ]
    assert seen[:3] == [200] * 3 and seen[3:] == [429] * 2
    r = client.get("/api/v1/search", headers=editor, query_string={"q": "plan"})
    assert r.get_json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0
    # Per account: another account is not held back by this one.
    assert (
        client.get(
            "/api/v1/search", headers=auth.token("provider_viewer"), query_string={"q": "plan"}
        ).status_code
        == 200
    )
    folder = world.folders[("cardiff", "provider")]
    ups = [_upload(client, editor, folder, f"p{n}.pdf", files.pdf()).status_code for n in range(3)]
    assert ups == [201, 201, 429]
    # Tokens, per address: two made above, two more allowed, then refused.
    tokens = [
        client.post(
            "/api/v1/tokens",
            json={"email": world.email("auditor"), "password": "wrong-wrong-wrong"},
        ).status_code
        for _ in range(3)
    ]
    assert tokens[:2] == [401, 401] and tokens[2] == 429


def _record(app: Any, folder_id: int, n: int, category: str = "data") -> None:
    """``n`` documents in a folder, written as rows (no files): enough to page through."""
    import secrets

    from vir.core.db import db
    from vir.documents.models import Document, DocumentVersion

    with app.app_context():
        for i in range(n):
            doc = Document(
                uid=secrets.token_hex(16),
                folder_id=folder_id,
                title=f"Paper {i:04d}",
                category=category if i == n - 1 else "data",
            )
            db.session.add(doc)
            db.session.add(
                DocumentVersion(
                    document=doc,
                    version=1,
                    filename=f"paper-{i}.txt",
                    media_type="text/plain",
                    size=10,
                    sha256="0" * 64,
                    storage_backend="fs",
                    storage_key=f"test/{secrets.token_hex(8)}",
                )
            )
        db.session.commit()


def test_the_folder_page_shows_a_page_of_documents_at_a_time(app, client, auth, world):
    """1,000 documents: the folder page rendered every one (563 KB, p95 262 ms). It shows 100
    a page, by title, with numbered pages in the reader's language."""
    import re

    folder = world.folders[("cardiff", "provider")]
    _record(app, folder, 204)  # and the world's PDF: 205
    auth.login("provider_viewer")

    def rows(html: str) -> list[str]:
        # The papers, and the world's own PDF ("Cardiff-provider", first by title).
        return re.findall(r">(Paper \d{4}|Cardiff-provider)<", html)

    first = client.get(f"/rooms/folders/{folder}").get_data(as_text=True)
    assert len(rows(first)) == 100 and "Documents 1 to 100 of 205, by title." in first
    assert rows(first)[0] == "Cardiff-provider"
    assert 'aria-label="Pages of documents"' in first and "?page=2" in first
    last = client.get(f"/rooms/folders/{folder}", query_string={"page": 3}).get_data(as_text=True)
    assert "Documents 201 to 205 of 205" in last and len(rows(last)) == 5
    assert "Paper 0203" in last and "Paper 0203" not in first
    for odd in ("99", "0", "-1", "abc"):  # out of range or not a number: the nearest page
        r = client.get(f"/rooms/folders/{folder}", query_string={"page": odd})
        assert r.status_code == 200
    assert "Documents 201 to 205" in client.get(f"/rooms/folders/{folder}?page=99").get_data(
        as_text=True
    )
    client.post("/language", data={"locale": "cy", "next": "/"})
    welsh = client.get(f"/rooms/folders/{folder}").get_data(as_text=True)
    assert "Dogfennau 1 i 100 o 205" in welsh and "Pages of documents" not in welsh
    # Statements do not grow with the page or the folder.
    few = _statements(app, lambda: client.get(f"/rooms/folders/{folder}?page=2"))
    _record(app, folder, 300)
    assert _statements(app, lambda: client.get(f"/rooms/folders/{folder}?page=2")) == few
