"""Follow-up activities through the API and pages, and the one-week rule on every upload path."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests import files
from vir.calendar import local_instant, papers_deadline

START = "2027-03-10T09:30"
DEADLINE = papers_deadline(local_instant(datetime.fromisoformat(START)))  # 3 March, 09:30 GMT


def _create(client: Any, headers: dict, **body: Any) -> Any:
    return client.post(
        "/api/v1/providers/cardiff/activities",
        headers=headers,
        json={"kind": "improvement_conference", "starts_at": START, **body},
    )


def _upload(client: Any, headers: dict, folder: int, name: str = "plan.pdf", **fields: str) -> Any:
    return client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        data={"file": (io.BytesIO(files.pdf(name)), name), **fields},
        content_type="multipart/form-data",
    )


@pytest.fixture
def app_config() -> dict[str, Any]:
    # These tests travel years ahead; sign-ins made today must still hold there.
    return {
        "VIR_TOKEN_HOURS": 24 * 365 * 10,
        "VIR_SESSION_IDLE_MINUTES": 60 * 24 * 365 * 10,
        "VIR_SESSION_ABSOLUTE_HOURS": 24 * 365 * 10,
    }


@pytest.fixture
def activity(client, auth, world) -> dict:
    r = _create(client, auth.token("coordinator"), lead_inspector=world.email("inspector"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_create_makes_folders_and_milestones(client, auth, world, activity):
    assert activity["starts_at"] == "2027-03-10T09:30:00+00:00"
    assert activity["papers_deadline"] == "2027-03-03T09:30:00+00:00"
    assert activity["lead_inspector"] == world.email("inspector")
    codes = [m["code"] for m in activity["milestones"]]
    assert codes[:4] == [
        "formal_notification",
        "papers_deadline",
        "lead_inspector_briefing",
        "outcome_letter",
    ]
    assert all(m["rule"] for m in activity["milestones"])
    folders = activity["folders"]
    editor = auth.token("provider_editor")
    listing = client.get("/api/v1/providers/cardiff/folders", headers=editor).get_json()
    ids = {f["id"] for f in listing}
    assert folders["provider"] in ids and folders["post_conference"] in ids
    assert folders["inspectors"] not in ids  # the Link Inspectors area stays invisible
    assert client.get(f"/api/v1/activities/{activity['id']}", headers=editor).status_code == 200
    assert (
        client.get("/api/v1/providers/cardiff/activities", headers=editor).get_json()[0]["id"]
        == activity["id"]
    )


def test_who_may_record_activities(client, auth, world):
    for role in ("provider_editor", "auditor"):
        assert _create(client, auth.token(role)).status_code == 403
    assert _create(client, auth.token("partner")).status_code == 404
    assert _create(client, auth.token("inspector")).status_code == 201  # assigned to Cardiff
    bad = _create(client, auth.token("coordinator"), kind="picnic")
    assert bad.status_code == 422
    too_long = _create(
        client,
        auth.token("coordinator"),
        kind="consortium_follow_up_visit",
        ends_at="2027-03-20T16:00",
    )
    assert too_long.status_code == 422


def test_editing_dates_recomputes_and_is_audited(client, auth, world, activity):
    coordinator = auth.token("coordinator")
    r = client.patch(
        f"/api/v1/activities/{activity['id']}",
        headers=coordinator,
        json={"starts_at": "2027-03-17T10:00"},
    )
    assert r.status_code == 200
    assert r.get_json()["papers_deadline"] == "2027-03-10T10:00:00+00:00"
    events = client.get("/api/v1/audit?action=activity.update", headers=coordinator).get_json()[
        "results"
    ]
    assert events and "2027-03-10" in events[0]["detail"]["before"]["starts_at"]


def test_deadline_edges_on_the_api(client, auth, world, activity):
    editor = auth.token("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(DEADLINE - timedelta(seconds=1), tick=False):
        assert _upload(client, editor, folder, "early.pdf").status_code == 201
    with time_machine.travel(DEADLINE, tick=False):
        r = _upload(client, editor, folder, "exact.pdf")
        assert r.status_code == 201 and r.get_json()["late"] is False
    with time_machine.travel(DEADLINE + timedelta(seconds=1), tick=False):
        r = _upload(client, editor, folder, "late.pdf")
        assert r.status_code == 409
        err = r.get_json()["error"]
        assert err["code"] == "paper_deadline_passed"
        assert "Wednesday 3 March 2027, 09:30" in err["message"]
        assert "less than a week old" in err["message"]


def test_late_exception(client, auth, world, activity):
    editor = auth.token("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(datetime(2027, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        old = _upload(
            client, editor, folder, information_date="2027-02-20", late_reason="old figures"
        )
        assert old.status_code == 409
        assert old.get_json()["error"]["code"] == "late_declaration_invalid"
        future = _upload(
            client, editor, folder, information_date="2027-03-06", late_reason="tomorrow"
        )
        assert future.status_code == 409
        no_reason = _upload(client, editor, folder, information_date="2027-03-04")
        assert no_reason.get_json()["error"]["code"] == "late_declaration_invalid"
        ok = _upload(
            client,
            editor,
            folder,
            "cabinet.pdf",
            information_date="2027-03-04",
            late_reason="Cabinet decision on 4 March",
        )
        assert ok.status_code == 201, ok.get_json()
        assert ok.get_json()["late"] is True
    # Everyone who can see the paper sees it is late.
    for role in ("provider_viewer", "inspector", "auditor"):
        docs = client.get(
            f"/api/v1/folders/{folder}/documents", headers=auth.token(role)
        ).get_json()
        late = next(d for d in docs if d["filename"] == "cabinet.pdf")
        assert late["late"] and late["late_reason"] == "Cabinet decision on 4 March"


def test_closed_once_started_and_post_conference_folder_open(client, auth, world, activity):
    editor = auth.token("provider_editor")
    with time_machine.travel(datetime(2027, 3, 10, 9, 30, tzinfo=UTC), tick=False):
        r = _upload(
            client,
            editor,
            activity["folders"]["provider"],
            information_date="2027-03-09",
            late_reason="yesterday's report",
        )
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "papers_closed"
        post = _upload(client, editor, activity["folders"]["post_conference"], "updated.pdf")
        assert post.status_code == 201 and post.get_json()["late"] is False


def test_inspectors_area_is_never_subject_to_the_deadline(client, auth, world, activity):
    with time_machine.travel(datetime(2027, 3, 11, tzinfo=UTC), tick=False):
        r = _upload(client, auth.token("inspector"), activity["folders"]["inspectors"], "notes.pdf")
        assert r.status_code == 201


def test_new_version_after_the_deadline_follows_the_rule(client, auth, world, activity):
    editor = auth.token("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(DEADLINE - timedelta(days=1), tick=False):
        doc = _upload(client, editor, folder, "plan.pdf").get_json()
    with time_machine.travel(DEADLINE + timedelta(hours=2), tick=False):
        r = client.post(
            f"/api/v1/documents/{doc['id']}/versions",
            headers=editor,
            data={"file": (io.BytesIO(files.pdf("v2")), "plan.pdf")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 409
        assert r.get_json()["error"]["code"] == "paper_deadline_passed"
        r = client.post(
            f"/api/v1/documents/{doc['id']}/versions",
            headers=editor,
            data={
                "file": (io.BytesIO(files.pdf("v2")), "plan.pdf"),
                "information_date": "2027-03-03",
                "late_reason": "new data",
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 201 and r.get_json()["late"] is True


def test_web_form_path(client, auth, world, activity):
    auth.login("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(DEADLINE + timedelta(days=1), tick=False):
        page = client.get(f"/rooms/folders/{folder}")
        assert b"has passed" in page.data and b"Date of the information" in page.data
        r = client.post(
            f"/folders/{folder}/upload",
            data={"files": [(io.BytesIO(files.pdf()), "late.pdf")], "category": "other"},
            content_type="multipart/form-data",
        )
        assert r.status_code == 422 and b"less than a week old" in r.data
        r = client.post(
            f"/folders/{folder}/upload",
            data={
                "files": [(io.BytesIO(files.pdf()), "late.pdf")],
                "category": "other",
                "information_date": ["4", "3", "2027"],
                "late_reason": "Cabinet, 4 March",
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 200 and b"Accepted" in r.data
        assert b"Late" in client.get(f"/rooms/folders/{folder}").data


def test_the_decision_is_taken_when_the_row_is_written(
    app, client, auth, world, activity, monkeypatch
):
    """An upload that starts before the deadline but whose row is written after it is judged
    at the moment of writing, by the server clock: two uploads straddling the deadline."""
    from vir.storage import get_storage

    editor = auth.token("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(DEADLINE - timedelta(seconds=2), tick=False) as traveller:
        with app.app_context():
            storage_cls = type(get_storage())
        original = storage_cls.save_file

        def slow_save(self, *args, **kwargs):  # the transfer takes three seconds
            traveller.shift(timedelta(seconds=3))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(storage_cls, "save_file", slow_save)
        slow = _upload(client, editor, folder, "slow.pdf")
        assert slow.status_code == 409
        monkeypatch.setattr(storage_cls, "save_file", original)
        traveller.move_to(DEADLINE - timedelta(seconds=1))
        quick = _upload(client, editor, folder, "quick.pdf")
        assert quick.status_code == 201
    names = [
        d["filename"]
        for d in client.get(f"/api/v1/folders/{folder}/documents", headers=editor).get_json()
    ]
    assert names == ["quick.pdf"]


def test_extension_by_lead_or_coordinator_only(client, auth, world, activity):
    url = f"/api/v1/activities/{activity['id']}/extension"
    body = {"until": "2027-03-08T17:00", "reason": "Council meeting moved"}
    assert client.post(url, headers=auth.token("provider_editor"), json=body).status_code == 403
    r = client.post(url, headers=auth.token("inspector"), json=body)  # the lead inspector
    assert r.status_code == 200
    assert r.get_json()["papers_deadline"] == "2027-03-08T17:00:00+00:00"
    assert r.get_json()["deadline_extended"] is True
    with time_machine.travel(datetime(2027, 3, 5, tzinfo=UTC), tick=False):
        ok = _upload(client, auth.token("provider_editor"), activity["folders"]["provider"])
        assert ok.status_code == 201 and ok.get_json()["late"] is False
    no_reason = client.post(
        url, headers=auth.token("coordinator"), json={"until": "2027-03-08T17:00", "reason": ""}
    )
    assert no_reason.status_code == 422
    after_start = client.post(
        url, headers=auth.token("coordinator"), json={"until": "2027-03-11T17:00", "reason": "x"}
    )
    assert after_start.status_code == 422


def test_outcome_letter_sets_updated_plans_due(client, auth, world, activity):
    url = f"/api/v1/activities/{activity['id']}/outcome-letter"
    headers = auth.token("inspector")
    # Not received yet: a date after today is refused.
    future = client.post(url, headers=headers, json={"received_on": "2027-03-22"})
    assert future.status_code == 422 and "after today" in future.get_data(as_text=True)
    with time_machine.travel(datetime(2027, 3, 23, 9, tzinfo=UTC), tick=False):
        r = client.post(url, headers=headers, json={"received_on": "2027-03-22"})
    assert r.status_code == 200
    due = {m["code"]: m for m in r.get_json()["milestones"]}["updated_plans"]["due"]
    assert due == "2027-04-21"


def test_activity_page_in_both_languages(client, auth, world, activity):
    auth.login("provider_editor")
    with time_machine.travel(datetime(2027, 2, 28, 9, 30, tzinfo=UTC), tick=False):
        page = client.get(f"/activities/{activity['id']}").get_data(as_text=True)
        assert "Papers due in 3 days, by Wednesday 3 March 2027, 09:30" in page
        assert "Four working weeks (20 working days) before." in page
        client.post("/language", data={"locale": "cy", "next": "/"})
        page = client.get(f"/activities/{activity['id']}").get_data(as_text=True)
        # Mid-sentence, the weekday is written lower-case in Welsh; at a line's start, not.
        assert "erbyn dydd Mercher 3 Mawrth 2027, 09:30" in page
        assert "erbyn Dydd" not in page
        assert ">Dydd Mercher 10 Mawrth 2027, 09:30<" in page  # the page's own line
        room = client.get("/rooms/cardiff").get_data(as_text=True)
        assert f"/activities/{activity['id']}" in room


def test_checklist_and_overpopulation(app, client, auth, world, activity):
    editor = auth.token("provider_editor")
    folder = activity["folders"]["provider"]
    with time_machine.travel(datetime(2027, 2, 1, tzinfo=UTC), tick=False):
        _upload(client, editor, folder, "plan.pdf", category="improvement_plan")
        auth.login("provider_editor")
        page = client.get(f"/rooms/folders/{folder}").get_data(as_text=True)
        assert "Expected documents" in page and "Missing" in page and "Shared" in page
        app.config["VIR_FOLDER_SOFT_LIMIT"] = 0
        assert "over-populate" in client.get(f"/rooms/folders/{folder}").get_data(as_text=True)


def test_moving_a_document_into_the_papers_folder_follows_the_rule(client, auth, world, activity):
    editor = auth.token("provider_editor")
    other = world.folders[("cardiff", "provider")]
    papers = activity["folders"]["provider"]
    doc = world.documents[("cardiff", "provider")]
    url = f"/api/v1/documents/{doc}/move"
    with time_machine.travel(DEADLINE + timedelta(hours=1), tick=False):
        r = client.post(url, headers=editor, json={"folder_id": papers})
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "paper_deadline_passed"
        r = client.post(
            url,
            headers=editor,
            json={
                "folder_id": papers,
                "information_date": "2027-03-03",
                "late_reason": "Scrutiny report",
            },
        )
        assert r.status_code == 200
        assert r.get_json()["folder_id"] == papers and r.get_json()["late"] is True
    # Never across areas: the Link Inspectors area must not leak, nor receive provider papers.
    inspectors = auth.token("coordinator")
    r = client.post(url, headers=inspectors, json={"folder_id": activity["folders"]["inspectors"]})
    assert r.status_code in (403, 404)
    r = client.post(url, headers=editor, json={"folder_id": world.folders[("swansea", "provider")]})
    assert r.status_code == 404
    back = client.post(url, headers=editor, json={"folder_id": other})
    assert back.status_code == 200


def test_updated_plans_after_their_due_date_are_shown_late_not_refused(
    client, auth, world, activity
):
    with time_machine.travel(datetime(2027, 3, 22, 15, 0, tzinfo=UTC), tick=False):
        r = client.post(
            f"/api/v1/activities/{activity['id']}/outcome-letter",
            headers=auth.token("coordinator"),
            json={"received_on": "2027-03-22"},
        )
        assert r.status_code == 200
    editor = auth.token("provider_editor")
    post = activity["folders"]["post_conference"]
    with time_machine.travel(datetime(2027, 4, 21, 12, 0, tzinfo=UTC), tick=False):
        on_time = _upload(client, editor, post, "plan-v2.pdf")
        assert on_time.status_code == 201 and on_time.get_json()["late"] is False
    with time_machine.travel(datetime(2027, 4, 22, 12, 0, tzinfo=UTC), tick=False):
        late = _upload(client, editor, post, "plan-v3.pdf")
        assert late.status_code == 201
        assert late.get_json()["late"] is True
        assert "21 April 2027" in late.get_json()["late_reason"]


def test_an_extension_that_ends_in_the_past_is_refused(client, auth, world, activity):
    url = f"/api/v1/activities/{activity['id']}/extension"
    with time_machine.travel(datetime(2027, 3, 6, 12, tzinfo=UTC), tick=False):
        r = client.post(
            url,
            headers=auth.token("coordinator"),
            json={"until": "2027-03-06T11:00", "reason": "until an hour ago"},
        )
        assert r.status_code == 422
        assert "future" in str(r.get_json()["error"])


def test_subfolders_of_the_papers_folder_keep_the_one_week_rule(client, auth, world, activity):
    """A subfolder made inside the papers folder let uploads, moves and accepted forwards in
    after the deadline, not marked late and missing from the inspectors' digest."""
    editor = auth.token("provider_editor")
    papers = activity["folders"]["provider"]
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Appendices", "area": "provider", "parent_id": papers},
    )
    assert r.status_code == 201, r.get_json()
    sub = r.get_json()["id"]
    other = world.folders[("cardiff", "provider")]
    early = _upload(client, editor, other, "early.pdf").get_json()["id"]
    partner = auth.token("partner")
    forward = client.post(
        "/api/v1/providers/cardiff/forwards",
        headers=partner,
        data={"file": (io.BytesIO(files.pdf("forwarded")), "f.pdf")},
        content_type="multipart/form-data",
    ).get_json()["id"]
    after_deadline = DEADLINE + timedelta(days=1)
    with time_machine.travel(after_deadline, tick=False):
        upload = _upload(client, editor, sub, "late.pdf")
        assert upload.status_code == 409
        assert upload.get_json()["error"]["code"] == "paper_deadline_passed"
        move = client.post(
            f"/api/v1/documents/{early}/move", headers=editor, json={"folder_id": sub}
        )
        assert move.status_code == 409, move.get_json()
        accept = client.post(
            f"/api/v1/forwards/{forward}/accept", headers=editor, json={"folder_id": sub}
        )
        assert accept.status_code == 409, accept.get_json()
        declared = _upload(
            client,
            editor,
            sub,
            "declared.pdf",
            information_date=after_deadline.date().isoformat(),
            late_reason="Council minutes of this week",
        )
        assert declared.status_code == 201 and declared.get_json()["late"] is True
    with time_machine.travel(
        local_instant(datetime.fromisoformat(START)) + timedelta(hours=1), tick=False
    ):
        closed = _upload(client, editor, sub, "during.pdf")
        assert closed.status_code == 409
        assert closed.get_json()["error"]["code"] == "papers_closed"


def test_activities_must_lie_ahead_and_fit_the_provider(app, client, auth, world):
    """An activity in the past, an improvement conference for a consortium, or a consortium
    visit for a local authority were all accepted."""
    from vir.core.db import db
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import open_room

    with app.app_context():
        open_room(by_slug("csc"))  # the consortium's room
        db.session.commit()
    headers = auth.token("coordinator")

    def create(slug: str, kind: str, starts: str) -> Any:
        return client.post(
            f"/api/v1/providers/{slug}/activities",
            headers=headers,
            json={"kind": kind, "starts_at": starts},
        )

    past = create("cardiff", "improvement_conference", "2026-01-10T09:30")
    assert past.status_code == 422 and "future" in past.get_data(as_text=True)
    wrong = create("csc", "improvement_conference", "2027-06-10T09:30")
    assert wrong.status_code == 422 and "local authority" in wrong.get_data(as_text=True)
    wrong = create("cardiff", "consortium_follow_up_visit", "2027-06-14T09:30")
    assert wrong.status_code == 422 and "regional consortium" in wrong.get_data(as_text=True)
    assert create("csc", "consortium_follow_up_visit", "2027-06-14T09:30").status_code == 201
    assert create("cardiff", "monitoring_visit", "2027-06-14T09:30").status_code == 201


def test_a_consortium_visit_has_its_expected_documents_too(app, client, auth, world):
    """The guidance's consortium visit asks for an up-to-date SER and the latest data."""
    from vir.core.db import db
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import open_room

    with app.app_context():
        open_room(by_slug("csc"))
        db.session.commit()
    made = client.post(
        "/api/v1/providers/csc/activities",
        headers=auth.token("coordinator"),
        json={"kind": "consortium_follow_up_visit", "starts_at": "2027-06-14T09:30"},
    ).get_json()
    auth.login("coordinator")
    page = client.get(f"/rooms/folders/{made['folders']['provider']}").get_data(as_text=True)
    assert "Expected documents" in page
    assert "Self-evaluation report" in page and "Data" in page
    assert "Improvement plan" not in page.split("Expected documents")[1].split("</ul>")[0]


def test_updated_plans_folder_counts_down_to_its_due_date(client, auth, world, activity):
    post = activity["folders"]["post_conference"]
    auth.login("provider_editor")
    with time_machine.travel(datetime(2027, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/rooms/folders/{post}").get_data(as_text=True)
        assert "the date shows here once the letter is recorded" in page
    with time_machine.travel(datetime(2027, 3, 22, 15, 0, tzinfo=UTC), tick=False):
        client.post(
            f"/api/v1/activities/{activity['id']}/outcome-letter",
            headers=auth.token("coordinator"),
            json={"received_on": "2027-03-22"},
        )
    # Four working weeks: Good Friday and Easter Monday pass, so Wednesday 21 April.
    with time_machine.travel(datetime(2027, 4, 19, 12, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/rooms/folders/{post}").get_data(as_text=True)
        assert "Updated plans due in 2 days, by Wednesday 21 April 2027" in page
    with time_machine.travel(datetime(2027, 4, 21, 12, 0, tzinfo=UTC), tick=False):
        assert "due today" in client.get(f"/rooms/folders/{post}").get_data(as_text=True)
    with time_machine.travel(datetime(2027, 4, 22, 12, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/rooms/folders/{post}").get_data(as_text=True)
        assert "were due by Wednesday 21 April 2027" in page and "marked late" in page
        client.post("/language", data={"locale": "cy"})
        page = client.get(f"/rooms/folders/{post}").get_data(as_text=True)
        assert "21 Ebrill 2027" in page


def test_a_notification_date_already_passed_is_warned_of(client, auth, world):
    headers = auth.token("coordinator")
    with time_machine.travel(datetime(2027, 2, 24, 9, tzinfo=UTC), tick=False):
        # Twelve days ahead: four working weeks' notice was due on Monday 8 February.
        soon = _create(client, headers, starts_at="2027-03-08T09:30")
        assert soon.status_code == 201, soon.get_json()
        warning = soon.get_json()["warnings"][0]
        assert "8 February 2027" in warning and "has passed" in warning
        later = _create(client, headers, starts_at="2027-06-08T09:30")
        assert later.get_json()["warnings"] == []
        auth.login("coordinator")
        page = client.post(
            "/rooms/cardiff/activities/new",
            data={
                "kind": "progress_conference",
                "start_date": ["10", "3", "2027"],
                "start_time": "09:30",
            },
            follow_redirects=True,
        )
        assert "The provider should have been notified by" in page.get_data(as_text=True)


def test_an_activitys_folders_are_named_in_each_language(client, auth, world, activity):
    """Issue 15: one name per language, each shown in its own; never "English / Cymraeg"."""
    editor = auth.token("provider_editor")
    folders = activity["folders"]

    def listed(language: str) -> dict[int, dict]:
        headers = {**editor, "Accept-Language": language}
        found = client.get("/api/v1/providers/cardiff/folders", headers=headers).get_json()
        return {f["id"]: f for f in found}

    en, cy = listed("en"), listed("cy")
    papers = en[folders["provider"]]
    assert papers["name"] == papers["name_en"] == "Improvement conference 2027-03-10"
    assert papers["name_cy"] == "Cynhadledd gwella 2027-03-10"
    assert cy[folders["provider"]]["name"] == "Cynhadledd gwella 2027-03-10"
    assert cy[folders["post_conference"]]["name"] == "Cynlluniau wedi’u diweddaru"

    auth.login("provider_editor")
    page = client.get(f"/rooms/folders/{folders['provider']}").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Improvement conference 2027-03-10</h1>' in page
    client.post("/language", data={"locale": "cy", "next": "/"})
    for url in (f"/rooms/folders/{folders['provider']}", "/rooms/cardiff",
                f"/activities/{activity['id']}"):  # fmt: skip
        page = client.get(url).get_data(as_text=True)
        assert "Cynhadledd gwella 2027-03-10" in page, url
        assert " / Cynhadledd" not in page, url
        shown = re.sub(r'value="[^"]*"', "", page)  # the rename form holds both names
        assert "Improvement conference 2027" not in shown, url
