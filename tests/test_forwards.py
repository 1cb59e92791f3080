"""Evidence forwarded by consortia and partners, accepted or declined by the authority.

The partner in the test world works for Central South Consortium, which serves Cardiff (the
own provider) and not Swansea. Mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests import files
from tests.conftest import PASSWORD, s3_config
from tests.test_mail import inbox  # noqa: F401  (the SMTP fixture)

LONG = {
    "VIR_TOKEN_HOURS": 24 * 365 * 10,
    "VIR_SESSION_IDLE_MINUTES": 60 * 24 * 365 * 10,
    "VIR_SESSION_ABSOLUTE_HOURS": 24 * 365 * 10,
}


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A directory by default; tests marked for both back ends get real S3 too."""
    if getattr(request, "param", "fs") == "s3":
        return s3_config(request.getfixturevalue("s3_server"))
    return {"VIR_STORAGE": "fs"}


@pytest.fixture
def app_config(inbox, storage) -> dict[str, Any]:  # noqa: F811
    return {
        "VIR_SMTP_HOST": "127.0.0.1",
        "VIR_SMTP_PORT": inbox[1],
        "VIR_MAIL_FROM": "VIR <vir@test.example>",
        **LONG,
        **storage,
    }


def _forward(
    client, headers, slug="cardiff", content=None, name="consortium-review.pdf", **fields
) -> Any:
    data = {
        "file": (io.BytesIO(content if content is not None else files.pdf("Review")), name),
        **fields,
    }
    return client.post(
        f"/api/v1/providers/{slug}/forwards",
        headers=headers,
        data=data,
        content_type="multipart/form-data",
    )


@pytest.fixture
def partner(auth) -> dict[str, str]:
    return auth.token("partner")


@pytest.fixture
def editor(auth) -> dict[str, str]:
    return auth.token("provider_editor")


@pytest.fixture
def forward(client, partner) -> dict:
    r = _forward(client, partner, note="Attendance review, autumn term")
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _objects(app, prefix: str) -> list[str]:
    from vir.storage import get_storage

    with app.app_context():
        return [o.key for o in get_storage().list(prefix)]


def _user(app, email: str, org: str, role: str) -> None:
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import by_slug

    with app.app_context():
        account_ops.create_user(email, email.split("@")[0], by_slug(org), [role], password=PASSWORD)
        db.session.commit()


def _token(client, email: str) -> dict[str, str]:
    r = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


# --- forwarding -------------------------------------------------------------------------------


def test_partner_forwards_to_an_authority_it_serves(app, client, partner, forward):
    assert forward["status"] == "pending"
    assert forward["provider"] == "cardiff"
    assert forward["from_organisation"] == "csc"
    assert forward["filename"] == "consortium-review.pdf"
    assert forward["media_type"] == "application/pdf"
    assert forward["note"] == "Attendance review, autumn term"
    assert forward["direction"] == "sent" and not forward["stale"]
    # Stored outside every room until the authority decides.
    assert _objects(app, "forwards/cardiff/") and not _objects(app, "rooms/cardiff/provider/x")
    sent = client.get("/api/v1/forwards?direction=sent", headers=partner).get_json()
    assert [f["id"] for f in sent] == [forward["id"]]


def test_forwarding_to_an_authority_not_served_is_refused(app, client, partner, auth):
    r = _forward(client, partner, slug="swansea")
    assert r.status_code == 404
    assert _forward(client, partner, slug="nowhere").status_code == 404
    for role in ("provider_editor", "inspector", "coordinator", "auditor", "admin"):
        assert _forward(client, auth.token(role)).status_code == 404, role
    assert _objects(app, "forwards/") == []


def test_a_partner_assigned_to_an_authority_may_forward_to_it(app, client, partner, world, auth):
    admin = auth.token("admin")
    r = client.post(
        f"/api/v1/users/{world.users['partner']}/assignments",
        headers=admin,
        json={"provider": "swansea"},
    )
    assert r.status_code in (200, 201), r.get_json()
    assert _forward(client, partner, slug="swansea").status_code == 201
    client.delete(f"/api/v1/users/{world.users['partner']}/assignments/swansea", headers=admin)
    assert _forward(client, partner, slug="swansea").status_code == 404


@pytest.mark.parametrize("name", sorted(files.BAD))
def test_forwards_pass_the_same_upload_checks(app, client, partner, name):
    make, code = files.BAD[name]
    r = _forward(client, partner, content=make(), name=name)
    assert r.status_code in (413, 415, 422), r.get_json()
    assert r.get_json()["error"]["code"] == code
    assert _objects(app, "forwards/") == []
    assert client.get("/api/v1/forwards", headers=partner).get_json() == []


def test_activity_must_be_the_authoritys(client, partner, auth):
    r = client.post(
        "/api/v1/providers/swansea/activities",
        headers=auth.token("coordinator"),
        json={"kind": "improvement_conference", "starts_at": "2027-03-10T09:30"},
    )
    assert r.status_code == 201
    bad = _forward(client, partner, activity_id=str(r.get_json()["id"]))
    assert bad.status_code == 422
    assert "activity_id" in bad.get_json()["error"]["details"]


# --- who sees what -----------------------------------------------------------------------------


def test_inbox_readers_and_strangers(app, client, forward, world, auth):
    url = f"/api/v1/forwards/{forward['id']}"
    _user(app, "editor@swansea.example", "swansea", "provider_editor")
    _user(app, "officer@audit-wales.example", "audit-wales", "partner")
    readers = {
        r: auth.token(r)
        for r in ("provider_editor", "provider_viewer", "inspector", "coordinator", "partner")
    }
    for role, headers in readers.items():
        assert client.get(url, headers=headers).status_code == 200, role
        listed = client.get("/api/v1/forwards", headers=headers).get_json()
        assert [f["id"] for f in listed] == [forward["id"]], role
        assert client.get(url + "/download", headers=headers).status_code == 200, role
    strangers = {
        "auditor": auth.token("auditor"),
        "admin": auth.token("admin"),
        "swansea": _token(client, "editor@swansea.example"),
        "other partner": _token(client, "officer@audit-wales.example"),
    }
    for who, headers in strangers.items():
        assert client.get(url, headers=headers).status_code == 404, who
        assert client.get(url + "/download", headers=headers).status_code == 404, who
        assert client.get("/api/v1/forwards", headers=headers).get_json() == [], who
    # Only the authority's editors decide; inspectors look, read-only.
    for role in ("provider_viewer", "inspector", "coordinator", "partner"):
        r = client.post(url + "/decline", headers=readers[role], json={"reason": "no"})
        assert r.status_code == 403, role
    # The forwarder sees nothing else in the room.
    folder = world.folders[("cardiff", "provider")]
    assert (
        client.get(f"/api/v1/folders/{folder}/documents", headers=readers["partner"]).status_code
        == 404
    )


def test_web_inbox_count_and_read_only_view(app, client, auth, forward):
    auth.login("provider_editor")
    room = client.get("/rooms/cardiff")
    assert b"1 waiting for a decision" in room.data
    home = client.get("/")
    assert b"Forwarded evidence waiting for a decision" in home.data
    inbox_page = client.get("/rooms/cardiff/forwards")
    assert b"consortium-review.pdf" in inbox_page.data
    page = client.get(f"/forwards/{forward['id']}")
    assert b"Accept it into a folder" in page.data and b"Or decline it" in page.data
    auth.logout()
    auth.login("inspector")
    page = client.get(f"/forwards/{forward['id']}")
    assert page.status_code == 200 and b"Accept it into a folder" not in page.data
    assert client.get("/rooms/cardiff/forwards").status_code == 200
    auth.logout()
    auth.login("auditor")
    assert client.get("/rooms/cardiff/forwards").status_code == 404
    assert client.get(f"/forwards/{forward['id']}").status_code == 404


# --- accepting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["fs", "s3"], indirect=True)
def test_accept_copies_the_object_into_the_room(app, client, partner, editor, forward, world):
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/api/v1/forwards/{forward['id']}/accept",
        headers=editor,
        json={"folder_id": folder, "title": "CSC attendance review", "category": "data"},
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "accepted"
    document_id = body["accepted_into"]["document_id"]
    assert body["accepted_into"]["folder_id"] == folder
    doc = client.get(f"/api/v1/documents/{document_id}", headers=editor).get_json()
    assert doc["title"] == "CSC attendance review" and doc["category"] == "data"
    assert doc["sha256"] == forward["sha256"] and doc["area"] == "provider"
    assert doc["forwarded"]["organisation"] == "csc"
    assert doc["forwarded"]["forward_id"] == forward["id"]
    assert doc["description"] == "Attendance review, autumn term"
    from vir.core.db import db
    from vir.documents.models import Document
    from vir.storage import get_storage

    with app.app_context():
        key = db.session.get(Document, document_id).current.storage_key
        assert key.startswith("rooms/cardiff/provider/")
        assert get_storage().sha256(key) == forward["sha256"]
    downloaded = client.get(f"/api/v1/documents/{document_id}/download", headers=editor)
    assert downloaded.status_code in (200, 302)
    # The sender sees where it went, and nothing more.
    seen = client.get(f"/api/v1/forwards/{forward['id']}", headers=partner).get_json()
    assert seen["status"] == "accepted" and seen["accepted_into"]["folder"]
    assert client.get(f"/api/v1/documents/{document_id}", headers=partner).status_code == 404


def test_double_acceptance_and_late_withdrawal_are_refused(
    app, client, partner, editor, forward, world
):
    folder = world.folders[("cardiff", "provider")]
    url = f"/api/v1/forwards/{forward['id']}"
    assert (
        client.post(url + "/accept", headers=editor, json={"folder_id": folder}).status_code == 201
    )
    again = client.post(url + "/accept", headers=editor, json={"folder_id": folder})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_accepted"
    withdrawn = client.post(url + "/withdraw", headers=partner)
    assert withdrawn.status_code == 409
    assert (
        client.post(
            url + "/decline", headers=editor, json={"reason": "changed my mind"}
        ).status_code
        == 409
    )
    listed = client.get(f"/api/v1/folders/{folder}/documents", headers=editor).get_json()
    assert sum(d["sha256"] == forward["sha256"] for d in listed) == 1
    assert len(_objects(app, "rooms/cardiff/provider/")) == 2  # the world's document + this


def test_acceptance_outside_the_provider_area_is_refused(app, client, editor, forward, world, auth):
    url = f"/api/v1/forwards/{forward['id']}/accept"
    for folder in (
        world.folders[("cardiff", "inspectors")],
        world.folders[("swansea", "provider")],
        999999,
    ):
        r = client.post(url, headers=editor, json={"folder_id": folder})
        assert r.status_code == 422, folder
        assert "folder_id" in r.get_json()["error"]["details"]
    # A co-ordinator can read both areas but is not the authority: refused outright.
    r = client.post(
        url,
        headers=auth.token("coordinator"),
        json={"folder_id": world.folders[("cardiff", "inspectors")]},
    )
    assert r.status_code == 403
    assert (
        client.get(f"/api/v1/forwards/{forward['id']}", headers=editor).get_json()["status"]
        == "pending"
    )
    assert len(_objects(app, "rooms/")) == 4  # the world's four documents, nothing copied


def test_acceptance_after_the_papers_deadline(app, client, partner, editor, auth):
    r = client.post(
        "/api/v1/providers/cardiff/activities",
        headers=auth.token("coordinator"),
        json={"kind": "improvement_conference", "starts_at": "2027-03-10T09:30"},
    )
    activity = r.get_json()
    papers = activity["folders"]["provider"]
    made = _forward(client, partner, activity_id=str(activity["id"])).get_json()
    url = f"/api/v1/forwards/{made['id']}/accept"
    with time_machine.travel(datetime(2027, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        refused = client.post(url, headers=editor, json={"folder_id": papers})
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "paper_deadline_passed"
        stale_info = client.post(
            url,
            headers=editor,
            json={"folder_id": papers, "information_date": "2027-02-20", "late_reason": "x"},
        )
        assert stale_info.status_code == 409  # the information itself is over a week old
        assert (
            client.get(f"/api/v1/forwards/{made['id']}", headers=editor).get_json()["status"]
            == "pending"
        )
        late = client.post(
            url,
            headers=editor,
            json={
                "folder_id": papers,
                "information_date": "2027-03-04",
                "late_reason": "Attendance figures published on 4 March",
            },
        )
        assert late.status_code == 201, late.get_json()
        document_id = late.get_json()["accepted_into"]["document_id"]
        doc = client.get(f"/api/v1/documents/{document_id}", headers=editor).get_json()
        assert doc["late"] and doc["late_reason"] == "Attendance figures published on 4 March"
    # Only the accepted copy reached the room: nothing left from the refused attempts.
    assert len(_objects(app, "rooms/cardiff/provider/")) == 2


def test_web_accept_defaults_to_the_activity_folder_and_shows_provenance(
    app, client, auth, partner
):
    r = client.post(
        "/api/v1/providers/cardiff/activities",
        headers=auth.token("coordinator"),
        json={"kind": "improvement_conference", "starts_at": "2027-03-10T09:30"},
    )
    activity = r.get_json()
    made = _forward(client, partner, activity_id=str(activity["id"])).get_json()
    auth.login("provider_editor")
    page = client.get(f"/forwards/{made['id']}")
    assert f'value="{activity["folders"]["provider"]}" selected'.encode() in page.data
    missing = client.post(f"/forwards/{made['id']}/accept", data={"folder_id": "0"})
    assert missing.status_code == 422 and b"Choose a folder" in missing.data
    done = client.post(
        f"/forwards/{made['id']}/accept",
        data={"folder_id": activity["folders"]["provider"], "title": "", "category": "data"},
    )
    assert done.status_code == 302 and "/documents/" in done.headers["Location"]
    doc_page = client.get(done.headers["Location"])
    assert b"Forwarded by Central South Consortium" in doc_page.data


# --- declining and withdrawing -----------------------------------------------------------------


def test_decline_with_a_reason_the_sender_sees(app, client, partner, editor, forward, auth):
    url = f"/api/v1/forwards/{forward['id']}"
    assert client.post(url + "/decline", headers=editor, json={"reason": ""}).status_code == 422
    assert client.post(url + "/decline", headers=editor, json={}).status_code == 422
    r = client.post(
        url + "/decline",
        headers=editor,
        json={"reason": "Already shared as part of the council paper"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    seen = client.get(url, headers=partner).get_json()
    assert seen["decline_reason"] == "Already shared as part of the council paper"
    assert seen["decided_by"] == "Provider_Editor"
    declined = client.get(
        "/api/v1/forwards?status=declined", headers=auth.token("inspector")
    ).get_json()
    assert [f["id"] for f in declined] == [forward["id"]]
    assert client.get("/api/v1/forwards?status=pending", headers=partner).get_json() == []


def test_web_decline_needs_a_reason(client, auth, forward):
    auth.login("provider_editor")
    r = client.post(f"/forwards/{forward['id']}/decline", data={"reason": ""})
    assert r.status_code == 422 and b"Say why you are declining it" in r.data
    r = client.post(f"/forwards/{forward['id']}/decline", data={"reason": "Not relevant"})
    assert r.status_code == 302


def test_withdrawal(app, client, partner, editor, forward, world, auth):
    url = f"/api/v1/forwards/{forward['id']}"
    assert client.post(url + "/withdraw", headers=editor).status_code == 403
    r = client.post(url + "/withdraw", headers=partner)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    late = client.post(
        url + "/accept", headers=editor, json={"folder_id": world.folders[("cardiff", "provider")]}
    )
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "already_withdrawn"
    auth.login("partner")
    page = client.get(f"/forwards/{forward['id']}")
    assert b"Withdrawn" in page.data and b">Withdraw<" not in page.data


# --- mail, staleness, retention, consistency, audit -------------------------------------------


def _send(app: Any) -> int:
    from vir.core.tasks import send_due_mail

    with app.app_context():
        return send_due_mail.call_local()


def test_mail_arrivals_batched_and_decisions(app, client, partner, editor, world, inbox):  # noqa: F811
    box = inbox[0]
    first = _forward(client, partner, name="one.pdf").get_json()
    _forward(client, partner, name="two.pdf")
    assert box.to(world.email("provider_editor")) == []  # batched: nothing yet
    _send(app)
    arrivals = box.to(world.email("provider_editor"))
    assert len(arrivals) == 1
    text = arrivals[0].get_content()
    assert "one.pdf" in text and "two.pdf" in text and "/rooms/cardiff/forwards" in text
    assert box.to(world.email("provider_viewer")) == []  # editors decide; they are told
    _send(app)
    assert len(box.to(world.email("provider_editor"))) == 1  # never twice
    client.post(
        f"/api/v1/forwards/{first['id']}/decline", headers=editor, json={"reason": "Out of date"}
    )
    told = box.to(world.email("partner"))
    assert len(told) == 1 and "declined" in told[0]["Subject"]
    assert "Out of date" in told[0].get_content()
    _send(app)
    assert len(box.to(world.email("partner"))) == 1


def test_pending_forwards_are_flagged_after_working_days(app, client, partner, editor, auth):
    with time_machine.travel(datetime(2027, 1, 8, 10, 0, tzinfo=UTC), tick=False):  # a Friday
        made = _forward(client, partner).get_json()
    url = f"/api/v1/forwards/{made['id']}"
    with time_machine.travel(datetime(2027, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        assert client.get(url, headers=editor).get_json()["stale"] is False  # 5 working days
    with time_machine.travel(datetime(2027, 1, 18, 10, 0, tzinfo=UTC), tick=False):
        assert client.get(url, headers=editor).get_json()["stale"] is True
        auth.login("provider_editor")
        assert b"Waiting too long" in client.get("/rooms/cardiff/forwards").data


def test_decided_files_are_purged_after_retention(app, client, partner, editor, runner, world):
    declined = _forward(client, partner, name="declined.pdf").get_json()
    withdrawn = _forward(client, partner, name="withdrawn.pdf").get_json()
    pending = _forward(client, partner, name="pending.pdf").get_json()
    accepted = _forward(client, partner, name="accepted.pdf").get_json()
    client.post(f"/api/v1/forwards/{declined['id']}/decline", headers=editor, json={"reason": "No"})
    client.post(f"/api/v1/forwards/{withdrawn['id']}/withdraw", headers=partner)
    r = client.post(
        f"/api/v1/forwards/{accepted['id']}/accept",
        headers=editor,
        json={"folder_id": world.folders[("cardiff", "provider")]},
    )
    document_id = r.get_json()["accepted_into"]["document_id"]
    assert len(_objects(app, "forwards/")) == 4
    result = runner.invoke(args=["documents", "purge"])
    assert "files of 0 forwarded" in result.output  # not yet past retention
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        result = runner.invoke(args=["documents", "purge"])
    assert result.exit_code == 0 and "files of 3 forwarded" in result.output, result.output
    assert len(_objects(app, "forwards/")) == 1  # only the pending one
    for made in (declined, withdrawn):
        seen = client.get(f"/api/v1/forwards/{made['id']}", headers=partner).get_json()
        assert seen["file_available"] is False
        gone = client.get(f"/api/v1/forwards/{made['id']}/download", headers=partner)
        assert gone.status_code == 410
    assert (
        client.get(f"/api/v1/forwards/{pending['id']}/download", headers=editor).status_code == 200
    )
    # The accepted document has its own copy in the room.
    assert (
        client.get(f"/api/v1/documents/{document_id}/download", headers=editor).status_code == 200
    )


def test_reconcile_knows_forwarded_files(app, client, partner, runner):
    _forward(client, partner)
    result = runner.invoke(args=["storage", "reconcile", "--grace-minutes", "0"])
    assert result.exit_code == 0, result.output
    assert "orphan objects (no row): 0" in result.output
    assert "recent objects without rows (left alone): 0" in result.output


def test_the_flow_is_audited(app, client, partner, editor, world):
    one = _forward(client, partner).get_json()
    two = _forward(client, partner, name="b.pdf").get_json()
    three = _forward(client, partner, name="c.pdf").get_json()
    client.get(f"/api/v1/forwards/{one['id']}/download", headers=editor)
    client.post(
        f"/api/v1/forwards/{one['id']}/accept",
        headers=editor,
        json={"folder_id": world.folders[("cardiff", "provider")]},
    )
    client.post(f"/api/v1/forwards/{two['id']}/decline", headers=editor, json={"reason": "No"})
    client.post(f"/api/v1/forwards/{three['id']}/withdraw", headers=partner)
    from sqlalchemy import select

    from vir.audit.models import AuditEvent
    from vir.core.db import db

    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "forward.create",
        "forward.download",
        "forward.accept",
        "forward.decline",
        "forward.withdraw",
        "document.upload",
    } <= actions


def test_web_forward_several_files_one_refused(app, client, auth):
    auth.login("partner")
    page = client.get("/forwards/new")
    assert page.status_code == 200 and b"Cardiff Council" in page.data
    assert b"City and County of Swansea" not in page.data
    r = client.post(
        "/forwards/new",
        data={
            "provider": "cardiff",
            "activity_id": "0",
            "note": "From the consortium",
            "files": [
                (io.BytesIO(files.pdf("A")), "a.pdf"),
                (io.BytesIO(b"<html></html>"), "b.html"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    assert b"Forwarded" in r.data and b"Refused" in r.data
    listing = client.get("/forwards")
    assert b"a.pdf" in listing.data and b"b.html" not in listing.data
    bad = client.post(
        "/forwards/new",
        data={
            "provider": "swansea",
            "activity_id": "0",
            "files": [(io.BytesIO(files.pdf()), "a.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code in (404, 422)
    auth.logout()
    auth.login("provider_editor")
    assert client.get("/forwards/new").status_code == 404


def test_information_date_is_a_date(client, editor, forward, world):
    r = client.post(
        f"/api/v1/forwards/{forward['id']}/accept",
        headers=editor,
        json={"folder_id": world.folders[("cardiff", "provider")], "information_date": "yesterday"},
    )
    assert r.status_code == 422


def test_a_partner_serving_no_one_is_told_so(app, client, auth):
    _user(app, "officer@audit-wales.example", "audit-wales", "partner")
    client.post("/sign-in", data={"email": "officer@audit-wales.example", "password": PASSWORD})
    page = client.get("/forwards/new")
    assert page.status_code == 200
    assert b"There is no authority you can forward evidence to yet" in page.data
    assert b'name="files"' not in page.data
