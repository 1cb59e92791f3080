"""After the activity: records, letters and briefings from draft to factual-accuracy check,
final and release to stakeholders, on SQLite and PostgreSQL, with every date from
vir.calendar (bank holidays included) and each reader seeing only what is theirs."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests import files
from tests.conftest import PASSWORD

# Wednesday 24 March 2027; Good Friday (26th) and Easter Monday (29th) follow.
BEFORE_EASTER = datetime(2027, 3, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def app_config() -> dict[str, Any]:
    # These tests travel months ahead; sign-ins made today must still hold there.
    return {
        "VIR_TOKEN_HOURS": 24 * 365 * 10,
        "VIR_SESSION_IDLE_MINUTES": 60 * 24 * 365 * 10,
        "VIR_SESSION_ABSOLUTE_HOURS": 24 * 365 * 10,
    }


class People:
    def __init__(self, client: Any, auth: Any) -> None:
        self.client = client
        self.h = {
            role: auth.token(role)
            for role in (
                "inspector",
                "coordinator",
                "provider_editor",
                "provider_viewer",
                "auditor",
                "stakeholder",
                "partner",
                "admin",
            )
        }

    def get(self, role: str, url: str) -> Any:
        return self.client.get(url, headers=self.h[role])

    def post(self, role: str, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self.h[role], **kwargs)


@pytest.fixture
def people(client, auth, world) -> People:
    return People(client, auth)


def _activity(
    people: People, world: Any, kind: str = "improvement_conference", provider: str = "cardiff"
) -> dict:
    lead = world.email("inspector")
    body = {"kind": kind, "starts_at": "2027-03-10T09:30", "lead_inspector": lead}
    if kind == "consortium_follow_up_visit":
        body["ends_at"] = "2027-03-12T16:00"
    r = people.post("coordinator", f"/api/v1/providers/{provider}/activities", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _upload(text: str, name: str = "draft.pdf") -> tuple[io.BytesIO, str]:
    return io.BytesIO(files.pdf(text)), name


def _start(people: People, activity: dict, kind: str = "outcome_letter", text: str = "v1") -> dict:
    r = people.post(
        "inspector",
        f"/api/v1/activities/{activity['id']}/letters",
        data={"kind": kind, "file": _upload(text)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _no_errors(people: People, letter: dict) -> Any:
    return people.post(
        "provider_editor", f"/api/v1/letters/{letter['id']}/answer", data={"answer": "no_errors"}
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_whole_journey_draft_check_corrections_final_release(people, world):
    activity = _activity(people, world)
    letter = _start(people, activity, text="first draft: attendance")
    assert letter["stage"] == "draft"
    draft = letter["draft_document_id"]
    # A second draft inside the Link Inspectors area; the provider never sees the first.
    r = people.post(
        "inspector",
        f"/api/v1/documents/{draft}/versions",
        data={"file": _upload("second draft: attendance and leadership")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    second = people.get("inspector", f"/api/v1/documents/{draft}/download?version=2").data

    # Not yet shared: the provider, auditors and stakeholders learn nothing of it.
    for role in ("provider_editor", "provider_viewer", "auditor", "stakeholder", "partner"):
        assert people.get(role, f"/api/v1/letters/{letter['id']}").status_code == 404, role
    listing = people.get("provider_editor", f"/api/v1/activities/{activity['id']}/letters")
    assert listing.get_json() == []

    with time_machine.travel(BEFORE_EASTER, tick=False):
        r = people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        assert r.status_code == 200, r.get_json()
        shared = r.get_json()
        assert shared["stage"] == "checking"
        # Five working days in Wales, Good Friday and Easter Monday skipped.
        assert shared["check_due_on"] == "2027-04-02"
        # Only the version sent went across.
        doc = people.get("provider_editor", f"/api/v1/documents/{shared['shared_document_id']}")
        assert doc.status_code == 200
        assert [v["version"] for v in doc.get_json()["versions"]] == [1]
        assert doc.get_json()["versions"][0]["sha256"] == _sha(second)
        # The provider sees the letter, without the draft's id.
        seen = people.get("provider_viewer", f"/api/v1/letters/{letter['id']}").get_json()
        assert "draft_document_id" not in seen and "releases" not in seen
        assert seen["may_answer"] is False
        assert people.get("provider_viewer", f"/api/v1/documents/{draft}").status_code == 404
        # A viewer cannot answer; the shared copy cannot be changed or trashed by anyone.
        r = people.post(
            "provider_viewer",
            f"/api/v1/letters/{letter['id']}/answer",
            data={"answer": "no_errors"},
        )
        assert r.status_code == 403
        shared_doc = shared["shared_document_id"]
        assert (
            people.client.delete(
                f"/api/v1/documents/{shared_doc}", headers=people.h["provider_editor"]
            ).status_code
            == 403
        )
        assert (
            people.client.patch(
                f"/api/v1/documents/{shared_doc}",
                headers=people.h["provider_editor"],
                json={"title": "Changed"},
            ).status_code
            == 403
        )
        r = people.post(
            "provider_editor",
            f"/api/v1/documents/{shared_doc}/versions",
            data={"file": _upload("rewritten by the provider")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 403
        # Nor does anything else go into the letters folder by hand.
        folder = doc.get_json()["folder_id"]
        r = people.post(
            "provider_editor",
            f"/api/v1/folders/{folder}/documents",
            data={"file": _upload("smuggled")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 403
        # Final is refused while the check is open.
        r = people.post(
            "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": "2027-03-24"}
        )
        assert r.status_code == 409
        assert r.get_json()["error"]["code"] == "check_open"

    with time_machine.travel(datetime(2027, 3, 31, 10, 0, tzinfo=UTC), tick=False):
        # Corrections need something in them.
        r = people.post(
            "provider_editor",
            f"/api/v1/letters/{letter['id']}/answer",
            data={"answer": "corrections", "text": "  "},
        )
        assert r.status_code == 422
        r = people.post(
            "provider_editor",
            f"/api/v1/letters/{letter['id']}/answer",
            data={
                "answer": "corrections",
                "text": "Paragraph 3: the strategy was approved in May, not June.",
                "file": _upload("marked up draft", "marked-up.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 200, r.get_json()
        answered = r.get_json()
        assert answered["answer"] == "corrections" and answered["stage"] == "checked"
        assert answered["answer_document_id"]
        # Once only.
        r = people.post(
            "provider_editor",
            f"/api/v1/letters/{letter['id']}/answer",
            data={"answer": "no_errors"},
        )
        assert r.status_code == 409
        assert r.get_json()["error"]["code"] == "already_answered"
        # The marked-up file stays as it was sent.
        assert (
            people.client.delete(
                f"/api/v1/documents/{answered['answer_document_id']}",
                headers=people.h["provider_editor"],
            ).status_code
            == 403
        )

        # Nothing is released before the final.
        r = people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["welsh-government"]},
        )
        assert r.status_code == 409
        r = people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/final",
            data={"sent_on": "2027-03-31", "file": _upload("final letter", "final.pdf")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 200, r.get_json()
        final = r.get_json()
        assert final["stage"] == "final" and final["final_version"] == 2
        final_bytes = people.get(
            "inspector", f"/api/v1/documents/{shared_doc}/download?version=2"
        ).data

        # A stakeholder sees nothing until it is released to their organisation.
        assert people.get("stakeholder", "/api/v1/released").get_json() == []
        r = people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["no-such-org"]},
        )
        assert r.status_code == 422
        r = people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["cardiff"]},  # not a stakeholder body
        )
        assert r.status_code == 422
        r = people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["welsh-government", "wlga"]},
        )
        assert r.status_code == 200, r.get_json()
        assert {x["organisation"] for x in r.get_json()["releases"]} == {
            "welsh-government",
            "wlga",
        }

    released = people.get("stakeholder", "/api/v1/released").get_json()
    assert [x["id"] for x in released] == [letter["id"]]
    assert released[0]["sha256"] == _sha(final_bytes)
    assert set(released[0]) >= {"provider", "kind", "sent_on", "filename"}
    assert "answer_text" not in released[0]
    got = people.get("stakeholder", f"/api/v1/released/{letter['id']}/download")
    assert got.status_code == 200 and _sha(got.data) == _sha(final_bytes)
    # ...and nothing else: not the letter's workings, the documents, the rooms, search.
    for url in (
        f"/api/v1/letters/{letter['id']}",
        f"/api/v1/documents/{shared_doc}",
        f"/api/v1/documents/{shared_doc}/download?version=1",
        f"/api/v1/documents/{draft}",
        f"/api/v1/activities/{activity['id']}",
        f"/api/v1/activities/{activity['id']}/letters",
        "/api/v1/providers/cardiff/folders",
    ):
        assert people.get("stakeholder", url).status_code == 404, url
    assert people.get("stakeholder", "/api/v1/providers").get_json() == []
    found = people.get("stakeholder", "/api/v1/search?q=final").get_json()
    assert found["total"] == 0 and found["results"] == []


def test_release_follows_organisation_and_assignment(app, client, people, world):
    from vir.accounts import operations as account_ops
    from vir.core.db import db
    from vir.orgs.operations import by_slug

    activity = _activity(people, world)
    letter = _start(people, activity, kind="conference_record")
    with time_machine.travel(BEFORE_EASTER, tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        r = _no_errors(people, letter)
        assert r.status_code == 200
        r = people.post(
            "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": "2027-03-24"}
        )
        assert r.status_code == 200, r.get_json()
        # No file given: the draft's current version is the final, as a new version.
        assert r.get_json()["final_version"] == 2
        people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["welsh-government"]},
        )
    with app.app_context():
        # The same organisation, not assigned to Cardiff; another organisation, assigned.
        account_ops.create_user(
            "unassigned@gov.example",
            "Unassigned",
            by_slug("welsh-government"),
            ["stakeholder"],
            password=PASSWORD,
        )
        account_ops.create_user(
            "wlga@wlga.example",
            "WLGA officer",
            by_slug("wlga"),
            ["stakeholder"],
            password=PASSWORD,
            assign=[by_slug("cardiff")],
        )
        db.session.commit()
    for email in ("unassigned@gov.example", "wlga@wlga.example"):
        t = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).get_json()
        headers = {"Authorization": f"Bearer {t['token']}"}
        assert client.get("/api/v1/released", headers=headers).get_json() == []
        r = client.get(f"/api/v1/released/{letter['id']}/download", headers=headers)
        assert r.status_code == 404
    # Withdrawing the assignment withdraws what came with it.
    assert len(people.get("stakeholder", "/api/v1/released").get_json()) == 1
    admin = people.h["admin"]
    r = client.delete(
        f"/api/v1/users/{world.users['stakeholder']}/assignments/cardiff", headers=admin
    )
    assert r.status_code == 204
    assert people.get("stakeholder", "/api/v1/released").get_json() == []


def test_check_closes_at_its_due_date_and_says_no_answer_came(client, auth, people, world):
    activity = _activity(people, world)
    letter = _start(people, activity)
    with time_machine.travel(BEFORE_EASTER, tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
    # The due date itself still counts.
    with time_machine.travel(datetime(2027, 4, 2, 22, 0, tzinfo=UTC), tick=False):  # 23:00 BST
        assert people.get("provider_editor", f"/api/v1/letters/{letter['id']}").get_json()[
            "may_answer"
        ]
    with time_machine.travel(datetime(2027, 4, 2, 23, 30, tzinfo=UTC), tick=False):  # 3 April
        seen = people.get("provider_editor", f"/api/v1/letters/{letter['id']}").get_json()
        assert seen["stage"] == "checked" and not seen["may_answer"]
        r = _no_errors(people, letter)
        assert r.status_code == 409
        assert r.get_json()["error"]["code"] == "check_closed"
        # Overdue on the home page, for the provider and the inspectors.
        for role in ("provider_editor", "inspector"):
            auth.login(role)
            home = client.get("/").get_data(as_text=True)
            assert "Accuracy checks closed without an answer" in home, role
            auth.logout()
        auth.login("inspector")
        page = client.get(f"/letters/{letter['id']}").get_data(as_text=True)
        assert "No answer came before the check closed." in page
        # The final can now go.
        r = people.post(
            "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": "2027-04-03"}
        )
        assert r.status_code == 200, r.get_json()
        # A date in the future is refused.
        other = _start(people, activity, kind="conference_record")
        assert other["stage"] == "draft"


def test_final_date_must_lie_between_sharing_and_today(people, world):
    activity = _activity(people, world)
    letter = _start(people, activity)
    with time_machine.travel(BEFORE_EASTER, tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        _no_errors(people, letter)
        for bad in ("2027-03-25", "2027-03-01"):
            r = people.post(
                "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": bad}
            )
            assert r.status_code == 422, bad
            assert "sent_on" in r.get_json()["error"]["details"]


def test_one_of_each_kind_and_only_the_kinds_of_the_activity(people, world):
    activity = _activity(people, world)
    _start(people, activity, kind="outcome_letter")
    r = people.post(
        "inspector",
        f"/api/v1/activities/{activity['id']}/letters",
        data={"kind": "outcome_letter", "file": _upload("again")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 409
    r = people.post(
        "inspector",
        f"/api/v1/activities/{activity['id']}/letters",
        data={"kind": "visit_letter", "file": _upload("wrong kind")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    # Providers, auditors and stakeholders draft nothing.
    for role in ("provider_editor", "auditor", "stakeholder"):
        r = people.post(
            role,
            f"/api/v1/activities/{activity['id']}/letters",
            data={"kind": "conference_record", "file": _upload("x")},
            content_type="multipart/form-data",
        )
        assert r.status_code in (403, 404), role


def test_consortium_visit_milestones_are_met_and_flagged_late(app, people, world):
    from vir.accounts import operations as account_ops
    from vir.accounts.models import User
    from vir.core.db import db
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import open_room

    with app.app_context():
        csc = by_slug("csc")
        open_room(csc)
        account_ops.assign_provider(db.session.get(User, world.users["inspector"]), csc)
        account_ops.create_user(
            "editor@csc.example", "CSC editor", csc, ["provider_editor"], password=PASSWORD
        )
        db.session.commit()
    people.h["provider_editor"] = {
        "Authorization": "Bearer "
        + people.client.post(
            "/api/v1/tokens", json={"email": "editor@csc.example", "password": PASSWORD}
        ).get_json()["token"]
    }
    activity = _activity(people, world, "consortium_follow_up_visit", provider="csc")
    codes = {m["code"]: m for m in activity["milestones"]}
    # Last day Friday 12 March 2027: draft within 10 working days, which pass over Good
    # Friday and Easter Monday (26 and 29 March) to Tuesday 30 March.
    assert codes["draft_letter"]["due"] == "2027-03-30"
    letter = _start(people, activity, kind="visit_letter")
    with time_machine.travel(datetime(2027, 3, 31, 10, 0, tzinfo=UTC), tick=False):
        r = people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        # Consortium letters: five working days, whatever is configured for records.
        assert r.get_json()["check_due_on"] == "2027-04-07"
        got = people.get("provider_editor", f"/api/v1/activities/{activity['id']}").get_json()
        ms = {m["code"]: m for m in got["milestones"]}
        assert ms["draft_letter"]["done"] == "2027-03-31"
        assert ms["draft_letter"]["late"] is True
        assert ms["final_letter"]["done"] is None and ms["final_letter"]["late"] is False


def test_briefing_is_published_without_a_check(people, world):
    activity = _activity(people, world)
    letter = _start(people, activity, kind="briefing")
    with time_machine.travel(datetime(2027, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        r = people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        assert r.get_json()["stage"] == "published"
        assert r.get_json()["check_due_on"] is None
        got = people.get("provider_viewer", f"/api/v1/activities/{activity['id']}").get_json()
        ms = {m["code"]: m for m in got["milestones"]}
        assert ms["lead_inspector_briefing"]["done"] == "2027-03-02"
        assert ms["lead_inspector_briefing"]["late"] is False
        r = people.post(
            "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": "2027-03-02"}
        )
        assert r.status_code == 409


def test_two_editors_answering_at_once_only_one_wins(app, people, world):
    """The answer is written by a conditional update: a second writer who read the check
    open before the first committed is still refused."""
    from vir.accounts.models import User
    from vir.core.db import db
    from vir.core.errors import Refusal
    from vir.letters import operations as ops
    from vir.letters.models import Letter

    activity = _activity(people, world)
    letter = _start(people, activity)
    with time_machine.travel(BEFORE_EASTER, tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        with app.test_request_context():
            row = db.session.get(Letter, letter["id"])
            editor = db.session.get(User, world.users["provider_editor"])
            # Another session answers between this one's read and its write.
            with app.app_context():
                other = db.session.get(Letter, letter["id"])
                ops.answer_check(other, db.session.get(User, editor.id), "no_errors")
            assert row.answer is None  # this session's stale view
            with pytest.raises(Refusal) as refused:
                ops.answer_check(row, editor, "corrections", "Too late")
            assert refused.value.code == "already_answered"
            assert db.session.get(Letter, letter["id"]).answer == "no_errors"


def test_every_step_is_audited(app, people, world):
    from sqlalchemy import select

    from vir.audit.models import AuditEvent
    from vir.core.db import db

    activity = _activity(people, world)
    letter = _start(people, activity)
    with time_machine.travel(BEFORE_EASTER, tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        _no_errors(people, letter)
        people.post(
            "inspector", f"/api/v1/letters/{letter['id']}/final", data={"sent_on": "2027-03-24"}
        )
        people.post(
            "inspector",
            f"/api/v1/letters/{letter['id']}/releases",
            json={"organisations": ["welsh-government"]},
        )
    people.get("stakeholder", f"/api/v1/released/{letter['id']}/download")
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "letter")
                .where(AuditEvent.object_id == str(letter["id"]))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == [
        "letter.create",
        "letter.send_for_check",
        "letter.answer",
        "letter.final",
        "letter.release",
        "letter.download_release",
    ]


def test_web_journey_in_welsh(client, auth, people, world):
    """The same steps through the pages, in Welsh: start, send, answer, final, release."""
    activity = _activity(people, world)
    auth.login("inspector")
    client.post("/language", data={"locale": "cy"})
    page = client.get(f"/activities/{activity['id']}").get_data(as_text=True)
    assert 'id="letters"' in page
    r = client.post(
        f"/activities/{activity['id']}/letters",
        data={"lt-kind": "outcome_letter", "lt-file": _upload("drafft")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    letter_url = r.headers["Location"]
    assert letter_url.startswith("/letters/"), letter_url
    letter_id = int(letter_url.rsplit("/", 1)[1])
    with time_machine.travel(BEFORE_EASTER, tick=False):
        r = client.post(f"/letters/{letter_id}/share", follow_redirects=True)
        text = r.get_data(as_text=True)
        assert r.status_code == 200
        assert "2 Ebrill 2027" in text  # the due date, in Welsh
        auth.logout()
        auth.login("provider_editor")
        client.post("/language", data={"locale": "cy"})
        r = client.post(
            f"/letters/{letter_id}/answer",
            data={"an-answer": "no_errors"},
            follow_redirects=True,
        )
        assert r.status_code == 200
        auth.logout()
        auth.login("inspector")
        r = client.post(
            f"/letters/{letter_id}/final",
            data={"fn-sent_on": ["24", "3", "2027"]},  # GOV.UK's three boxes share a name
            follow_redirects=True,
        )
        assert r.status_code == 200
        page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
        assert "rl-organisations" in page
        r = client.post(
            f"/letters/{letter_id}/release",
            data={"rl-organisations": ["welsh-government"]},
            follow_redirects=True,
        )
        assert r.status_code == 200
    auth.logout()
    auth.login("stakeholder")
    client.post("/language", data={"locale": "cy"})
    listing = client.get("/released").get_data(as_text=True)
    assert f"/released/{letter_id}/download" in listing
    assert client.get(f"/released/{letter_id}/download").status_code == 200
    assert client.get(f"/letters/{letter_id}").status_code == 404
    assert client.get("/rooms/cardiff").status_code == 404


# --- downloads that say who took them ---------------------------------------------------------


def _text(pdf: bytes) -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _shared_draft(people: People, world: Any) -> tuple[dict, int]:
    activity = _activity(people, world)
    letter = _start(people, activity, text="The draft outcome letter")
    with time_machine.travel(BEFORE_EASTER, tick=False):
        shared = people.post("inspector", f"/api/v1/letters/{letter['id']}/share").get_json()
    return shared, shared["shared_document_id"]


def test_a_draft_under_check_carries_its_readers_name_on_every_page(app, client, people, world):
    from sqlalchemy import select

    from vir.accounts import operations as account_ops
    from vir.audit.models import AuditEvent
    from vir.core.db import db
    from vir.documents.models import Document
    from vir.orgs.operations import by_slug
    from vir.storage import get_storage

    _, doc_id = _shared_draft(people, world)
    with app.app_context():
        account_ops.create_user(
            "gwyneth@cardiff.example",
            "Gwŷneth Llŵyd",
            by_slug("cardiff"),
            ["provider_viewer"],
            password=PASSWORD,
        )
        db.session.commit()
    t = client.post(
        "/api/v1/tokens", json={"email": "gwyneth@cardiff.example", "password": PASSWORD}
    ).get_json()
    welsh = {"Authorization": f"Bearer {t['token']}", "Accept-Language": "cy"}
    got = client.get(f"/api/v1/documents/{doc_id}/download", headers=welsh)
    assert got.status_code == 200
    text = _text(got.data)
    assert "Gwŷneth Llŵyd (Cyngor Caerdydd)" in text  # every Welsh letter drawn
    assert "cyfrinachol" in text and "The draft outcome letter" in text
    english = _text(people.get("provider_editor", f"/api/v1/documents/{doc_id}/download").data)
    assert "Supplied to Provider_Editor (Cardiff Council) on" in english
    assert "Draft for factual-accuracy check: not for circulation" in english
    # The stored object is as it was; the audit says the copy was marked.
    with app.app_context():
        version = db.session.get(Document, doc_id).current
        assert get_storage().sha256(version.storage_key) == version.sha256
        assert _sha(got.data) != version.sha256
        marked = db.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "document.download",
                AuditEvent.object_id == str(doc_id),
            )
        ).all()
        assert marked and all(d["marked"] is True for d in marked)


def test_the_final_is_not_marked_by_default_and_the_draft_still_is(app, people, world):
    shared, doc_id = _shared_draft(people, world)
    with time_machine.travel(BEFORE_EASTER, tick=False):
        _no_errors(people, shared)
        people.post(
            "inspector",
            f"/api/v1/letters/{shared['id']}/final",
            data={"sent_on": "2027-03-24", "file": _upload("The final letter", "final.pdf")},
            content_type="multipart/form-data",
        )
    final = people.get("provider_editor", f"/api/v1/documents/{doc_id}/download?version=2")
    assert "Supplied to" not in _text(final.data)
    draft = people.get("provider_editor", f"/api/v1/documents/{doc_id}/download?version=1")
    assert "Supplied to" in _text(draft.data)


@pytest.mark.parametrize("mode", ["off", "all"])
def test_watermark_modes(app, people, world, mode):
    app.config["VIR_WATERMARK"] = mode
    _, doc_id = _shared_draft(people, world)
    ordinary = world.documents[("cardiff", "provider")]
    draft = _text(people.get("provider_editor", f"/api/v1/documents/{doc_id}/download").data)
    paper = _text(people.get("provider_editor", f"/api/v1/documents/{ordinary}/download").data)
    if mode == "off":
        assert "Supplied to" not in draft and "Supplied to" not in paper
    else:  # every PDF from a room, previews too
        assert "Supplied to" in draft and "Supplied to" in paper
        inline = people.get("provider_editor", f"/documents/{ordinary}/inline")
        if inline.status_code == 200:
            assert "Supplied to" in _text(inline.data)


def test_a_draft_that_cannot_be_marked_is_not_given_out(app, people, world):
    app.config["VIR_WATERMARK_FONT"] = "/nonexistent/font.ttf"
    _, doc_id = _shared_draft(people, world)
    r = people.get("provider_editor", f"/api/v1/documents/{doc_id}/download")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "watermark_failed"
    # An ordinary paper is still given out (unmarked) when only drafts must be marked.
    ordinary = world.documents[("cardiff", "provider")]
    assert (
        people.get("provider_editor", f"/api/v1/documents/{ordinary}/download").status_code == 200
    )


def test_the_pack_marks_a_draft_under_check_and_never_sends_it_unmarked(app, people, world):
    import zipfile

    activity = _activity(people, world)
    letter = _start(people, activity, text="The draft outcome letter")
    with time_machine.travel(datetime(2027, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
        folder = activity["folders"]["provider"]
        pack = people.get("provider_editor", f"/api/v1/folders/{folder}/pack")
        assert pack.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
        drafts = [n for n in names if n.endswith("draft.pdf")]
        assert len(drafts) == 1
        data = zipfile.ZipFile(io.BytesIO(pack.data)).read(drafts[0])
        assert "Supplied to Provider_Editor" in _text(data)
        app.config["VIR_WATERMARK_FONT"] = "/nonexistent/font.ttf"
        pack = people.get("provider_editor", f"/api/v1/folders/{folder}/pack")
        names = zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
        assert not [n for n in names if n.endswith("draft.pdf")]


def test_a_draft_is_checked_only_as_a_pdf_so_every_copy_carries_its_mark(app, people, world):
    """Found from outside: a Word draft was given out under check exactly as stored, since
    only a PDF can carry the reader's name. It must be a PDF (unless marking is off)."""
    activity = _activity(people, world)
    r = people.post(
        "inspector",
        f"/api/v1/activities/{activity['id']}/letters",
        data={"kind": "outcome_letter", "file": (io.BytesIO(files.docx("Draft")), "d.docx")},
        content_type="multipart/form-data",
    )
    letter = r.get_json()
    refused = people.post("inspector", f"/api/v1/letters/{letter['id']}/share")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "pdf_required"
    people.post(
        "inspector",
        f"/api/v1/documents/{letter['draft_document_id']}/versions",
        data={"file": _upload("Draft as PDF")},
        content_type="multipart/form-data",
    )
    assert people.post("inspector", f"/api/v1/letters/{letter['id']}/share").status_code == 200
    # A briefing is published, not checked: any format.
    briefing = people.post(
        "inspector",
        f"/api/v1/activities/{activity['id']}/letters",
        data={"kind": "briefing", "file": (io.BytesIO(files.docx("Briefing")), "b.docx")},
        content_type="multipart/form-data",
    ).get_json()
    assert people.post("inspector", f"/api/v1/letters/{briefing['id']}/share").status_code == 200
