"""Sign-in, throttling, server-side sessions, second factor, tokens, CSRF and headers."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import PASSWORD
from vir.accounts.models import User
from vir.audit.models import AuditEvent
from vir.core.db import db, utcnow


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_sign_in_page_renders(client):
    r = client.get("/sign-in")
    assert r.status_code == 200
    assert b"Sign in to VIR" in r.data


def test_wrong_password_is_refused_and_audited(app, client, auth, world):
    r = auth.login("provider_editor", password="not the password at all")
    assert r.status_code == 200
    assert b"The email address or password is not right" in r.data
    assert client.get("/").status_code == 302
    failed = _events(app, "login.failed")
    assert failed and failed[0].outcome == "denied"
    assert failed[0].detail["email"] == world.email("provider_editor")


def test_unknown_email_gets_the_same_answer(client, auth, world):
    r = client.post("/sign-in", data={"email": "nobody@test.example", "password": "x" * 14})
    assert b"The email address or password is not right" in r.data


def test_throttling_grows_and_blocks_even_the_right_password(app, client, auth, world):
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(app.config["VIR_LOGIN_FREE_ATTEMPTS"]):
            auth.login("provider_viewer", password="wrong-password-123")
        r = auth.login("provider_viewer")  # right password, but locked
        assert r.status_code == 429
        assert b"Too many failed sign-in attempts" in r.data
        api = client.post(
            "/api/v1/tokens", json={"email": world.email("provider_viewer"), "password": PASSWORD}
        )
        assert api.status_code == 429
        assert api.get_json()["error"]["code"] == "rate_limited"
        assert int(api.headers["Retry-After"]) >= 1
        # The first lock is one second; the next failure doubles it.
        traveller.shift(timedelta(seconds=2))
        auth.login("provider_viewer", password="wrong-password-123")
        traveller.shift(timedelta(seconds=1))
        assert auth.login("provider_viewer").status_code == 429
        traveller.shift(timedelta(seconds=2))
        assert auth.login("provider_viewer").status_code == 302
    assert _events(app, "login.throttled")


def test_logout_invalidates_the_session_on_the_server(app, client, auth, world):
    auth.login("provider_editor")
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("vir_session").value
    auth.logout()
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("vir_session", stolen)
    r = replay.get("/")
    assert r.status_code == 302
    assert "/sign-in" in r.headers["Location"]


def test_disabling_a_user_ends_sessions_and_tokens(app, client, auth, world, runner):
    auth.login("provider_editor")
    headers = auth.token("provider_editor")
    assert client.get("/").status_code == 200
    result = runner.invoke(args=["users", "disable", world.email("provider_editor")])
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert auth.login("provider_editor").status_code == 200  # refused, form shown again


def test_idle_and_absolute_timeouts(app, client, auth, world):
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        auth.login("provider_editor")
        traveller.shift(timedelta(minutes=app.config["VIR_SESSION_IDLE_MINUTES"] - 1))
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=app.config["VIR_SESSION_IDLE_MINUTES"] + 1))
        assert client.get("/").status_code == 302
    with time_machine.travel(start, tick=False) as traveller:
        auth.login("provider_editor")
        for _ in range(app.config["VIR_SESSION_ABSOLUTE_HOURS"] * 4 + 1):
            traveller.shift(timedelta(minutes=15))
            client.get("/")
        assert client.get("/").status_code == 302


def test_open_redirect_is_refused(client, auth, world):
    r = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": world.email("provider_editor"), "password": PASSWORD},
    )
    assert r.headers["Location"] == "/"
    auth.logout()
    r = client.post(
        "/sign-in?next=//evil.example/",
        data={"email": world.email("provider_editor"), "password": PASSWORD},
    )
    assert r.headers["Location"] == "/"
    auth.logout()
    r = client.post(
        "/sign-in?next=/rooms/cardiff",
        data={"email": world.email("provider_editor"), "password": PASSWORD},
    )
    assert r.headers["Location"] == "/rooms/cardiff"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_is_required_on_forms(client, world, app_config):
    r = client.post(
        "/sign-in", data={"email": world.email("provider_editor"), "password": PASSWORD}
    )
    assert r.status_code == 400
    assert b"This form has expired" in r.data
    page = client.get("/sign-in")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
    r = client.post(
        "/sign-in",
        data={
            "email": world.email("provider_editor"),
            "password": PASSWORD,
            "csrf_token": token.decode(),
        },
    )
    assert r.status_code == 302
    # Sign-out without the token is refused, and the session survives.
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_api_ignores_cookies_so_csrf_cannot_apply(client, auth, world, app_config):
    page = client.get("/sign-in")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
    client.post(
        "/sign-in",
        data={
            "email": world.email("provider_editor"),
            "password": PASSWORD,
            "csrf_token": token.decode(),
        },
    )
    assert client.get("/").status_code == 200
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthenticated"


def test_no_state_changes_on_get(app):
    """Every route that changes state is POST/PATCH/DELETE; GET routes are listed here."""
    allowed_get_only = {
        "web.home",
        "web.health",
        "web.livez",
        "web.readyz",
        "rooms.room",
        "rooms.folder",
        "audit.index",
        "admin.index",
        "admin.user",
        "api_accounts.me",
        "api_rooms.providers",
        "api_rooms.folders",
        "api_audit.audit",
        "api_holidays.list_holidays",
        "api_admin.organisations",
        "api_admin.users",
        "api-docs.openapi_json",
        "api-docs.openapi_redoc",
        # Reading a document writes only its audit record (FOI needs it).
        "documents.document",
        "documents.download",
        "documents.preview",
        "documents.inline",
        "documents.trash",
        "api_documents.list_documents",
        "api_documents.list_trash",
        "api_documents.get_document",
        "api_documents.download",
        "activities.page",
        "api_activities.list_activities",
        "api_activities.get",
        "search.page",
        "api_search.search",
        "api_search.similar",
        # Reading forwarded evidence writes only its audit record.
        "forwards.index",
        "forwards.inbox",
        "forwards.page",
        "forwards.download",
        "forwards.inline",
        "forwards.preview",
        "api_forwards.list_forwards",
        "api_forwards.get_forward",
        "api_forwards.download",
        # Comparing versions, comments, and the pack read and write only audit records (and a
        # version's text, extracted once, if it never was).
        "changes.compare",
        "api_changes.compare",
        "api_comments.list_comments",
        "packs.pack",
        "api_packs.pack",
        # Records and letters: reading them; a stakeholder's download writes its audit record.
        "letters.page",
        "letters.released",
        "letters.download_release",
        "api_letters.list_letters",
        "api_letters.get_letter",
        "api_letters.released",
        "api_letters.download_release",
        # What's new: reading only.
        "notifications.page",
        "api_notifications.new",
        # The scraper's metrics: reading counters only (404 without its token).
        "prometheus_metrics",
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if methods == {"GET"}:
            assert rule.endpoint in allowed_get_only, f"new GET-only route {rule}: is it safe?"


def test_security_headers_and_cookie_flags(app, client, auth, world):
    r = client.get("/sign-in")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in r.headers
    secure = client.get("/sign-in", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    login = auth.login("provider_editor")
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_cookie_is_secure_by_default(client, world, app_config):
    r = client.post(
        "/sign-in",
        data={"email": world.email("provider_editor"), "password": PASSWORD},
        base_url="https://localhost",
    )
    assert "Secure" in r.headers["Set-Cookie"]


def test_secret_key_is_required_outside_debug_and_test(monkeypatch, tmp_path):
    from vir import create_app
    from vir.config import ConfigError

    monkeypatch.delenv("VIR_SECRET_KEY", raising=False)
    monkeypatch.delenv("VIR_DEBUG", raising=False)
    monkeypatch.setenv("VIR_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="VIR_SECRET_KEY"):
        create_app()


# --- second factor ---------------------------------------------------------------------------


def _enrol(client, app, role_email: str) -> str:
    r = client.get("/sign-in/code")
    assert r.status_code == 200
    assert b"Scan this code" in r.data
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == role_email))
        return user.totp_secret


@pytest.mark.parametrize("app_config", [{"VIR_REQUIRE_2FA": True}])
def test_second_factor_enrolment_and_use(app, client, auth, world, app_config):
    email = world.email("inspector")
    r = auth.login("inspector")
    assert r.headers["Location"].endswith("/sign-in/code")
    assert client.get("/").status_code == 302  # not signed in yet
    secret = _enrol(client, app, email)
    totp = pyotp.TOTP(secret)
    bad = client.post(
        "/sign-in/code", data={"code": "000000" if totp.now() != "000000" else "111111"}
    )
    assert b"That code is not right" in bad.data
    good = client.post("/sign-in/code", data={"code": totp.now()})
    assert good.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    # Next time: the code is asked for, and the same code cannot be replayed.
    auth.login("inspector")
    replay = client.post("/sign-in/code", data={"code": totp.now()})
    assert b"That code is not right" in replay.data
    # API: token needs the code too.
    r = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "otp_required"
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        r = client.post(
            "/api/v1/tokens", json={"email": email, "password": PASSWORD, "otp": totp.now()}
        )
        assert r.status_code == 201


@pytest.mark.parametrize("app_config", [{"VIR_REQUIRE_2FA": True}])
def test_second_factor_not_required_for_provider_users(client, auth, world, app_config):
    assert auth.login("provider_editor").headers["Location"] == "/"


@pytest.mark.parametrize("app_config", [{"VIR_REQUIRE_2FA": True}])
def test_api_refuses_required_but_unenrolled(client, world, app_config):
    r = client.post(
        "/api/v1/tokens", json={"email": world.email("coordinator"), "password": PASSWORD}
    )
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "second_factor_enrolment_required"


# --- tokens ----------------------------------------------------------------------------------


def test_token_lifecycle(client, auth, world):
    headers = auth.token("inspector")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    body = me.get_json()
    assert body["email"] == world.email("inspector")
    assert body["roles"] == ["inspector"]
    assert body["assignments"] == ["cardiff"]
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.get_json() == {"error": {"code": "unauthenticated", "message": "Sign in to continue."}}


def test_token_expires(app, client, auth, world):
    headers = auth.token("inspector")
    later = utcnow() + timedelta(hours=app.config["VIR_TOKEN_HOURS"], seconds=1)
    with time_machine.travel(later, tick=False):
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_garbage_tokens_and_bodies(client, world):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401
    r = client.post("/api/v1/tokens", data="not json", content_type="application/json")
    assert r.status_code in (400, 422)
    assert "error" in r.get_json()
    r = client.post("/api/v1/tokens", json={"email": "x"})
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_error" and "password" in err["details"]


def test_set_password_link_works_once(app, client, world, runner):
    result = runner.invoke(
        args=[
            "users",
            "add",
            "new@test.example",
            "--name",
            "New Person",
            "--org",
            "cardiff",
            "--role",
            "provider_viewer",
        ]
    )
    assert result.exit_code == 0, result.output
    link = result.output.split("valid 72 hours): ")[1].strip()
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    short = client.post(path, data={"new": "short"})
    assert b"Use at least 12 characters" in short.data
    assert client.post(path, data={"new": "a long enough password"}).status_code == 302
    assert client.get(path).status_code == 410
    r = client.post(
        "/sign-in", data={"email": "new@test.example", "password": "a long enough password"}
    )
    assert r.status_code == 302


def test_password_change_ends_other_sessions(app, client, auth, world):
    other = app.test_client()
    other.post("/sign-in", data={"email": world.email("provider_editor"), "password": PASSWORD})
    auth.login("provider_editor")
    r = client.post("/account", data={"current": PASSWORD, "new": "another long password"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
