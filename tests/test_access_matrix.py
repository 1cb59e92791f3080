"""Every registered route x every role x own/other provider x both areas: no unexpected success.

The expectations below are written out independently of vir.access, from the role table in
the foundation issue. A new route is covered without editing this file: its URL parameters are
filled from PARAMS, and what it should allow follows from those parameters (a room, a folder)
or from its blueprint (admin, audit). A new *kind* of parameter fails loudly until PARAMS
knows how to fill it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PASSWORD, World

ROLES = [
    "provider_editor",
    "provider_viewer",
    "partner",
    "inspector",
    "coordinator",
    "auditor",
    "stakeholder",
    "admin",
]
TARGETS = [
    ("own", "provider"),
    ("own", "inspectors"),
    ("other", "provider"),
    ("other", "inspectors"),
]

# (own|other, area) -> rights, from the foundation issue's role table.
RIGHTS: dict[str, dict[tuple[str, str], str]] = {
    "provider_editor": {("own", "provider"): "rw"},
    "provider_viewer": {("own", "provider"): "r"},
    "partner": {},
    "inspector": {("own", "provider"): "r", ("own", "inspectors"): "rw"},
    "coordinator": {
        ("own", "provider"): "r",
        ("own", "inspectors"): "rw",
        ("other", "provider"): "r",
        ("other", "inspectors"): "rw",
    },
    "auditor": {("own", "provider"): "r"},
    "stakeholder": {},  # never inside a room: only final letters released to them
    "admin": {},
}

# Endpoints anyone may reach without signing in.
PUBLIC = {
    "accounts.login",
    "accounts.second_factor",
    "accounts.set_password",
    "web.health",
    "web.livez",
    "web.readyz",
    "web.language",
    "api_accounts.create_token",
    "api-docs.openapi_json",
    "api-docs.openapi_redoc",
}
# Calls that end the caller's own session or token: sign in again afterwards.
SESSION_ENDING = {"accounts.logout", "api_accounts.revoke_current_token", "accounts.account"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def param_values(world: World, who: str, area: str) -> dict[str, Callable[[], Any]]:
    slug = world.own if who == "own" else world.other
    return {
        "slug": lambda: slug,
        "area": lambda: area,
        "folder_id": lambda: world.folders[(slug, area)],
        "document_id": lambda: world.documents[(slug, area)],
        "activity_id": lambda: world.activities[slug],
        "user_id": lambda: world.users["victim"],
        "forward_id": lambda: world.forwards[slug],
        # In the inspectors area: a draft never shared; in the provider area: a record
        # shared, answered, final and released to the stakeholder's organisation.
        "letter_id": lambda: world.letters[(slug, area)],
        "token": lambda: "not-a-real-token",
        "holiday_id": lambda: 999999,  # none: only who reaches the check matters here
    }


def classify(endpoint: str, arguments: set[str]) -> str:
    if endpoint in PUBLIC:
        return "public"
    if endpoint.startswith(("admin.", "api_admin.")):
        return "admin"
    if endpoint.startswith(("audit.", "api_audit.")):
        return "audit"
    if endpoint.startswith(("holidays.", "api_holidays.")):
        return "holidays"
    if endpoint.startswith(("forwards.", "api_forwards.")) and arguments & {"slug", "forward_id"}:
        return "forward"
    if "letter_id" in arguments:
        return "letter"
    if endpoint == "letters.released":
        return "stakeholder"
    if arguments & {"slug", "folder_id", "area", "document_id", "activity_id"}:
        return "room"
    return "signed_in"


def expected(
    kind: str,
    role: str | None,
    who: str,
    area: str,
    method: str,
    arguments: set[str],
    endpoint: str = "",
) -> bool:
    if kind == "public":
        return True
    if role is None:
        return False
    if kind == "admin":
        return role == "admin"
    if kind == "audit":  # administrators: the account and security events only
        return role in ("coordinator", "admin")
    if kind == "holidays":  # each authority's school holidays
        return role in ("coordinator", "admin")
    if kind == "signed_in":
        return True
    if kind == "forward":
        return forward_expected(role, who, method, endpoint)
    if kind == "stakeholder":
        return role == "stakeholder"
    if kind == "letter":
        return letter_expected(role, who, area, method, endpoint)
    if endpoint.endswith("trash") and method == "GET":
        method = "POST"  # seeing the trash is for those who can restore from it
    rights = RIGHTS[role]
    if ("activit" in endpoint or endpoint.endswith("letters.create")) and method in WRITE_METHODS:
        # Activities (and their records and letters) are managed by those who work in the
        # Link Inspectors area.
        area = "inspectors"
    if endpoint.endswith(("restore", "trash")) and role == "coordinator":
        return True  # co-ordinators manage the trash of every area they can read
    if endpoint.endswith(("add_comment", "add_note")) and method in WRITE_METHODS:
        # Comments and notes are written by those who work in the room's Link Inspectors
        # area and can read the document; the document's editors may reply to comments.
        inspector = "w" in rights.get((who, "inspectors"), "") and "r" in rights.get(
            (who, area), ""
        )
        if endpoint.endswith("add_note"):
            return inspector
        return inspector or "w" in rights.get((who, area), "")
    if method in WRITE_METHODS:
        return "w" in rights.get((who, area), "")
    if arguments & {"folder_id", "area", "document_id"}:
        return "r" in rights.get((who, area), "")
    # A room page or list shows every area the user may read.
    return any("r" in rights.get((who, a), "") for a in ("provider", "inspectors"))


# Forwarded evidence, from the forwarded-evidence issue: the partner's consortium serves the own
# provider only; the other provider's forward came from another partner.
FORWARD_READERS = {
    "provider_editor": {"own"},
    "provider_viewer": {"own"},
    "inspector": {"own"},
    "coordinator": {"own", "other"},
}


def forward_expected(role: str, who: str, method: str, endpoint: str) -> bool:
    if endpoint.endswith("withdraw") or endpoint == "api_forwards.create":
        return role == "partner" and who == "own"
    if method in WRITE_METHODS:  # accept, decline: the authority's editors
        return role == "provider_editor" and who == "own"
    if role == "partner":  # the sender sees its own forward, never the inbox
        return who == "own" and not endpoint.endswith("inbox")
    return who in FORWARD_READERS.get(role, set())


def letter_expected(role: str, who: str, area: str, method: str, endpoint: str) -> bool:
    """A draft (inspectors area) is read by the Link Inspectors area's readers; a shared
    record by the Provider Area's too. The provider's editors answer the check; those who
    write in the Link Inspectors area manage the rest; stakeholders only download what was
    released to them."""
    rights = RIGHTS[role]
    if endpoint.endswith("download_release"):
        return role == "stakeholder" and who == "own" and area == "provider"
    if endpoint.endswith("answer"):
        return area == "provider" and "w" in rights.get((who, "provider"), "")
    if method in WRITE_METHODS:
        return "w" in rights.get((who, "inspectors"), "")
    readers = ("inspectors",) if area == "inspectors" else ("provider", "inspectors")
    return any("r" in rights.get((who, a), "") for a in readers)


def body_for(endpoint: str, area: str) -> dict[str, Any]:
    """A plausible body, so an allowed call can succeed and a refused one is refused for access
    rather than for bad input."""
    return {"name": f"Matrix {endpoint} {area}", "area": area, "parent_id": 0, "description": ""}


def is_success(response: Any) -> bool:
    if 200 <= response.status_code < 300:
        return True
    if 300 <= response.status_code < 400:
        return "/sign-in" not in response.headers.get("Location", "")
    return False


def routes(app: Flask) -> list[tuple[str, str, str, set[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, rule.endpoint, method, set(rule.arguments)))
    return found


@pytest.fixture
def with_activities(app: Flask, world: World) -> World:
    """An improvement conference in each room, led by the inspector (assigned to Cardiff)."""
    from datetime import UTC, datetime

    from vir.accounts.models import User
    from vir.activities.operations import create_activity
    from vir.core.db import db
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import room_for

    with app.app_context():
        lead = db.session.get(User, world.users["inspector"])
        for slug in (world.own, world.other):
            activity = create_activity(
                room_for(by_slug(slug)),
                "improvement_conference",
                datetime(2031, 3, 10, 9, 30, tzinfo=UTC),
                None,
                lead_inspector=lead.email,
            )
            world.activities[slug] = activity.id
        db.session.commit()
        _forwards(world)
        _letters(world)
    return world


def _letters(world: World) -> None:
    """Two letters in each room, whose state no call of the matrix can change: a draft whose
    document is in the trash (so it cannot be shared), and a record that is final and
    released (so nothing more can be done to it but more releases)."""
    import io
    from datetime import date

    from tests import files
    from vir.accounts.models import User
    from vir.activities.models import Activity
    from vir.core.db import db
    from vir.documents.operations import trash
    from vir.letters import operations as ops
    from vir.orgs.operations import by_slug

    inspector = db.session.get(User, world.users["coordinator"])
    editor = db.session.get(User, world.users["provider_editor"])
    for slug in (world.own, world.other):
        activity = db.session.get(Activity, world.activities[slug])
        draft = ops.create_letter(
            activity, "outcome_letter", io.BytesIO(files.pdf("draft")), "d.pdf", user=inspector
        )
        trash(draft.draft_document, inspector)
        world.letters[(slug, "inspectors")] = draft.id
        record = ops.create_letter(
            activity, "conference_record", io.BytesIO(files.pdf("rec")), "r.pdf", user=inspector
        )
        ops.share(record, inspector)
        ops.answer_check(record, editor, "no_errors")
        ops.issue_final(record, inspector, date.today())
        ops.release(record, inspector, [by_slug("welsh-government")])
        world.letters[(slug, "provider")] = record.id
    db.session.commit()


def _forwards(world: World) -> None:
    """A forward to each provider: to the own one from the partner's consortium, to the other
    from a partner the test partner has nothing to do with."""
    import io

    from tests import files
    from vir.accounts import operations as account_ops
    from vir.accounts.models import User
    from vir.core.db import db
    from vir.forwards.operations import forward_file
    from vir.orgs.operations import by_slug

    stranger = account_ops.create_user(
        "stranger@test.example", "Stranger", by_slug("audit-wales"), ["partner"], password=PASSWORD
    )
    partner = db.session.get(User, world.users["partner"])
    for slug, user in ((world.own, partner), (world.other, stranger)):
        made = forward_file(
            by_slug(slug), io.BytesIO(files.pdf(slug)), f"{slug}.pdf", user=user, note="matrix"
        )
        world.forwards[slug] = made.id
    db.session.commit()


@pytest.fixture
def signed_in(app: Flask, world: World):  # type: ignore[no-untyped-def]
    """A web client and an API header for each role, renewed when a call ends them."""
    cache: dict[str, tuple[Any, dict[str, str]]] = {}

    def get(role: str, renew: bool = False) -> tuple[Any, dict[str, str]]:
        if renew or role not in cache:
            web = app.test_client()
            r = web.post("/sign-in", data={"email": world.email(role), "password": PASSWORD})
            assert r.status_code == 302, role
            api = app.test_client()
            t = api.post("/api/v1/tokens", json={"email": world.email(role), "password": PASSWORD})
            assert t.status_code == 201, (role, t.get_json())
            cache[role] = (web, {"Authorization": f"Bearer {t.get_json()['token']}"})
        return cache[role]

    return get


def test_every_route_every_role(app: Flask, with_activities: World, signed_in) -> None:
    world = with_activities  # type: ignore[no-untyped-def]
    problems: list[str] = []
    checked = 0
    for rule, endpoint, method, arguments in routes(app):
        kind = classify(endpoint, arguments)
        targets = TARGETS if kind == "room" else [("own", "provider")]
        for who, area in targets:
            values = param_values(world, who, area)
            missing = arguments - set(values)
            assert not missing, f"{rule}: teach the matrix how to fill {missing}"
            url = rule
            for name in arguments:
                url = url.replace(f"<{name}>", str(values[name]()))
                url = url.replace(f"<int:{name}>", str(values[name]()))
            for role in [None, *ROLES]:
                is_api = url.startswith("/api/")
                if role is None:
                    client, headers = app.test_client(), {}
                else:
                    client, headers = signed_in(role)
                    if is_api:
                        client = app.test_client()
                    else:
                        headers = {}
                body = body_for(endpoint, area) if method in WRITE_METHODS else None
                kwargs: dict[str, Any] = {"headers": headers}
                if body is not None:
                    kwargs["json" if is_api else "data"] = body
                response = client.open(url, method=method, **kwargs)
                checked += 1
                label = f"{method} {url} as {role or 'anonymous'} ({who} {area})"
                if response.status_code >= 500:
                    problems.append(f"{label}: {response.status_code}")
                allowed = expected(kind, role, who, area, method, arguments, endpoint)
                if is_success(response) and not allowed:
                    problems.append(f"{label}: unexpected {response.status_code}")
                if role is not None and endpoint in SESSION_ENDING:
                    signed_in(role, renew=True)
    assert checked > 200
    assert not problems, "\n".join(problems)


def test_matrix_knows_every_role() -> None:
    from vir.accounts.models import Role

    assert set(ROLES) == {r.value for r in Role}


def _without_per_request_tokens(html: bytes) -> bytes:
    return re.sub(rb'(nonce|value)="[^"]*"', rb'\1=""', html)


def test_inspectors_area_never_reaches_provider_users(client, auth, world) -> None:  # type: ignore[no-untyped-def]
    """The Link Inspectors area is invisible to provider users on every path, including
    existence: the same 404 as a folder that does not exist."""
    folder = world.folders[("cardiff", "inspectors")]
    for role in ("provider_editor", "provider_viewer", "partner", "auditor", "admin"):
        auth.login(role)
        page = client.get(f"/rooms/folders/{folder}")
        missing = client.get("/rooms/folders/999999")
        assert page.status_code == missing.status_code == 404
        assert _without_per_request_tokens(page.data) == _without_per_request_tokens(missing.data)
        room = client.get("/rooms/cardiff")
        assert b"Improvement conference" not in room.data or b"Link Inspectors" not in room.data
        auth.logout()
        headers = auth.token(role)
        listing = client.get("/api/v1/providers/cardiff/folders", headers=headers)
        if listing.status_code == 200:
            assert all(f["area"] == "provider" for f in listing.get_json())
        only = client.get("/api/v1/providers/cardiff/folders?area=inspectors", headers=headers)
        assert only.status_code == 404
        assert only.get_json()["error"]["code"] == "not_found"


def test_other_providers_room_is_404_not_403(client, auth, world) -> None:  # type: ignore[no-untyped-def]
    auth.login("provider_editor")
    assert client.get("/rooms/swansea").status_code == 404
    assert client.get("/rooms/no-such-place").status_code == 404
    headers = auth.token("provider_editor")
    r = client.get("/api/v1/providers/swansea/folders", headers=headers)
    assert r.status_code == 404


def test_revoked_assignment_takes_effect_on_next_request(app, client, auth, world) -> None:  # type: ignore[no-untyped-def]
    headers = auth.token("inspector")
    assert client.get("/api/v1/providers/cardiff/folders", headers=headers).status_code == 200
    admin = auth.token("admin")
    r = client.delete(
        f"/api/v1/users/{world.users['inspector']}/assignments/cardiff", headers=admin
    )
    assert r.status_code == 204
    assert client.get("/api/v1/providers/cardiff/folders", headers=headers).status_code == 404
    assert client.get("/api/v1/providers", headers=headers).get_json() == []


@pytest.mark.parametrize(
    "role,expected",
    [
        ("provider_editor", ["cardiff"]),
        ("provider_viewer", ["cardiff"]),
        ("partner", []),
        ("inspector", ["cardiff"]),
        ("coordinator", ["cardiff", "swansea"]),
        ("auditor", ["cardiff"]),
        ("admin", []),
    ],
)
def test_provider_list_shows_only_visible_rooms(client, auth, world, role, expected) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/providers", headers=auth.token(role))
    assert sorted(p["slug"] for p in r.get_json()) == expected
    areas = {p["slug"]: p["areas"] for p in r.get_json()}
    if role in ("inspector", "coordinator"):
        assert areas["cardiff"] == ["provider", "inspectors"]
    elif expected:
        assert areas["cardiff"] == ["provider"]
