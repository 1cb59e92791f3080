"""School holidays per local authority (issue 15): co-ordinators and administrators record
them; the consortium-visit notice rule counts a consortium's as the union of its authorities';
VIR_SCHOOL_HOLIDAYS stays the default for an authority that has recorded none."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vir.core.db import db


@pytest.fixture
def visit(app, client, auth, world) -> dict:
    """A consortium follow-up visit for CSC (Cardiff is its member, Swansea is not)."""
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import open_room

    with app.app_context():
        open_room(by_slug("csc"))
        db.session.commit()
    r = client.post(
        "/api/v1/providers/csc/activities",
        headers=auth.token("coordinator"),
        json={"kind": "consortium_follow_up_visit", "starts_at": "2027-06-14T09:30"},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _notice(client: Any, headers: dict, activity: dict) -> str:
    found = client.get(f"/api/v1/activities/{activity['id']}", headers=headers).get_json()
    return {m["code"]: m for m in found["milestones"]}["visit_notification"]["due"]


def _add(client: Any, headers: dict, slug: str, first: str, last: str) -> Any:
    return client.post(
        f"/api/v1/providers/{slug}/school-holidays",
        headers=headers,
        json={"starts_on": first, "ends_on": last},
    )


def test_an_authoritys_holidays_move_its_consortiums_notice(app, client, auth, world, visit):
    coordinator = auth.token("coordinator")
    assert _notice(client, coordinator, visit) == "2027-05-17"  # 28 days, none discounted
    # Swansea is not in CSC: its half term changes nothing for CSC.
    assert _add(client, coordinator, "swansea", "2027-05-31", "2027-06-04").status_code == 201
    assert _notice(client, coordinator, visit) == "2027-05-17"
    # Cardiff's half term (five days) is not counted: notice five days earlier.
    made = _add(client, coordinator, "cardiff", "2027-05-31", "2027-06-04")
    assert made.status_code == 201, made.get_json()
    assert _notice(client, coordinator, visit) == "2027-05-12"
    listed = client.get("/api/v1/providers/csc/school-holidays", headers=coordinator).get_json()
    assert listed["source"] == "members"
    assert listed["holidays"] == [{"id": None, "starts_on": "2027-05-31", "ends_on": "2027-06-04"}]
    own = client.get("/api/v1/providers/cardiff/school-holidays", headers=coordinator).get_json()
    assert own["source"] == "own" and own["holidays"][0]["id"] == made.get_json()["id"]
    # Removed again: back to 28 days; audited under the organisation.
    gone = client.delete(
        f"/api/v1/providers/cardiff/school-holidays/{made.get_json()['id']}", headers=coordinator
    )
    assert gone.status_code == 204
    assert _notice(client, coordinator, visit) == "2027-05-17"
    audit = client.get("/api/v1/audit?action=org", headers=coordinator).get_json()
    assert {e["action"] for e in audit["results"]} >= {
        "org.school_holiday_add",
        "org.school_holiday_remove",
    }


def test_the_default_holds_until_an_authority_records_its_own(app, client, auth, world, visit):
    app.config["VIR_SCHOOL_HOLIDAYS"] = "2027-05-24:2027-05-28"
    coordinator = auth.token("coordinator")
    assert _notice(client, coordinator, visit) == "2027-05-12"
    listed = client.get("/api/v1/providers/cardiff/school-holidays", headers=coordinator)
    assert listed.get_json()["source"] == "default"
    # Cardiff's own dates replace the default for Cardiff (and so for CSC).
    assert _add(client, coordinator, "cardiff", "2027-06-07", "2027-06-08").status_code == 201
    assert _notice(client, coordinator, visit) == "2027-05-15"


def test_bad_ranges_are_refused_with_reasons(client, auth, world):
    admin = auth.token("admin")  # administrators keep the organisations: they may too
    cases = [
        ("cardiff", "2027-06-04", "2027-05-31", "after the first day"),
        ("cardiff", "2027-01-01", "2027-12-31", "at most 120 days"),
        ("csc", "2027-05-31", "2027-06-04", "for each local authority"),
    ]
    for slug, first, last, reason in cases:
        r = _add(client, admin, slug, first, last)
        assert r.status_code == 422 and reason in r.get_data(as_text=True), (slug, r.get_json())
    assert _add(client, admin, "cardiff", "2027-05-31", "2027-06-04").status_code == 201
    again = _add(client, admin, "cardiff", "2027-05-31", "2027-06-04")
    assert again.status_code == 422 and "already recorded" in again.get_data(as_text=True)
    welsh = _add(client, {**admin, "Accept-Language": "cy"}, "cardiff", "2027-06-04", "2027-05-31")
    assert welsh.get_json()["error"]["message"].startswith("Rhaid i’r diwrnod olaf")
    assert _add(client, admin, "estyn", "2027-05-31", "2027-06-04").status_code == 404


def test_only_coordinators_and_administrators_record_them(client, auth, world):
    for role in ("provider_editor", "provider_viewer", "inspector", "auditor", "partner"):
        headers = auth.token(role)
        r = client.get("/api/v1/providers/cardiff/school-holidays", headers=headers)
        assert r.status_code == 403, role
        assert _add(client, headers, "cardiff", "2027-05-31", "2027-06-04").status_code == 403


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_page_adds_and_removes_in_both_languages(client, auth, world, language):
    auth.login("coordinator")
    if language == "cy":
        client.post("/language", data={"locale": "cy", "next": "/"})
    room = client.get("/rooms/cardiff").get_data(as_text=True)
    assert "/school-holidays/cardiff" in room
    page = client.get("/school-holidays/cardiff").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "starts_on": ["31", "5", "2027"], "ends_on": ["4", "6", "2027"]}
    r = client.post("/school-holidays/cardiff", data=form)
    assert r.status_code == 302
    page = client.get("/school-holidays/cardiff").get_data(as_text=True)
    assert ("Monday 31 May 2027" if language == "en" else "Dydd Llun 31 Mai 2027") in page
    bad = {**form, "ends_on": ["30", "5", "2027"]}
    r = client.post("/school-holidays/cardiff", data=bad)
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert ("after the first day" if language == "en" else "Rhaid i’r diwrnod olaf") in text
    remove = re.search(r'action="(/school-holidays/cardiff/\d+/delete)"', page).group(1)
    assert client.post(remove, data={"csrf_token": token}).status_code == 302
    page = client.get("/school-holidays/cardiff").get_data(as_text=True)
    assert "31 May 2027" not in page and "31 Mai 2027" not in page
