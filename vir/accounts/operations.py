"""Account writes: users, passwords, sessions, tokens, throttling and the second factor."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from vir.accounts.models import ApiToken, LoginThrottle, Role, User, UserRole, UserSession
from vir.audit.operations import record, record_now
from vir.core.db import db, utcnow
from vir.orgs.models import Assignment, Organisation, OrgKind

_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 12

# Which organisation kinds each role may belong to (DOMAIN.md, "Who uses it").
ROLE_ORG_KINDS: dict[str, set[str]] = {
    Role.PROVIDER_EDITOR: {OrgKind.LOCAL_AUTHORITY, OrgKind.CONSORTIUM},
    Role.PROVIDER_VIEWER: {OrgKind.LOCAL_AUTHORITY, OrgKind.CONSORTIUM},
    Role.PARTNER: {OrgKind.CONSORTIUM, OrgKind.PARTNER},
    Role.INSPECTOR: {OrgKind.INSPECTORATE},
    Role.COORDINATOR: {OrgKind.INSPECTORATE},
    Role.AUDITOR: {OrgKind.PARTNER},
    Role.STAKEHOLDER: {OrgKind.PARTNER},
    Role.ADMIN: set(OrgKind),
}
# Partners are assigned the authorities they forward evidence to (consortia serve members).
ASSIGNABLE_ROLES = {Role.INSPECTOR, Role.AUDITOR, Role.PARTNER, Role.STAKEHOLDER}
SECOND_FACTOR_ROLES = {Role.INSPECTOR, Role.COORDINATOR, Role.ADMIN}


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- users -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password must be at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        if user is None or not user.password_hash:
            _hasher.verify(_DUMMY_HASH, password)
            return False
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def create_user(
    email: str,
    name: str,
    org: Organisation,
    roles: list[str],
    password: str | None = None,
    assign: list[Organisation] | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(_("%(email)s is not an email address.", email=email))
    if db.session.scalar(select(User).where(User.email == email)):
        raise AccountError(
            _("A user with the email address %(email)s already exists.", email=email)
        )
    if not roles:
        raise AccountError(_("Give the user at least one role."))
    for role in roles:
        if role not in set(Role):
            raise AccountError(_("Unknown role: %(role)s.", role=role))
        if org.kind not in ROLE_ORG_KINDS[role]:
            raise AccountError(
                _("People in %(org)s cannot have the role %(role)s.", org=org.name_en, role=role)
            )
    user = User(
        email=email,
        name=name.strip(),
        org_id=org.id,
        organisation=org,
        password_hash=hash_password(password) if password else None,
    )
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    for provider in assign or []:
        assign_provider(user, provider)
    record(
        "user.create",
        object_type="user",
        object_id=user.id,
        email=email,
        roles=",".join(sorted(set(roles))),
    )
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    revoke_all(user)  # a new password ends every other sign-in
    record("user.password", object_type="user", object_id=user.id)


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        revoke_all(user)
    record("user.enable" if active else "user.disable", object_type="user", object_id=user.id)


def assign_provider(user: User, provider: Organisation) -> Assignment:
    from vir.rooms.operations import room_for

    if not user.roles & ASSIGNABLE_ROLES:
        raise AccountError(
            _("Only inspectors, auditors, partners and stakeholders are assigned to providers.")
        )
    if room_for(provider) is None:
        raise AccountError(_("%(name)s has no room to be assigned to.", name=provider.name_en))
    existing = next((a for a in user.assignments if a.provider_id == provider.id), None)
    if existing:
        return existing
    assignment = Assignment(user_id=user.id, provider_id=provider.id, provider=provider)
    user.assignments.append(assignment)
    record("assignment.create", object_type="user", object_id=user.id, provider_id=provider.id)
    return assignment


def unassign_provider(user: User, provider: Organisation) -> None:
    user.assignments = [a for a in user.assignments if a.provider_id != provider.id]
    record("assignment.delete", object_type="user", object_id=user.id, provider_id=provider.id)


# --- throttling ------------------------------------------------------------------------------


@dataclass
class Throttled:
    retry_after: int  # seconds


KNOWN_ADDRESS_DAYS = 90


def _throttle_keys(email: str, ip: str) -> list[tuple[str, int]]:
    """What a failed sign-in counts against: the account from this address (a person who
    mistypes, or a guesser); the account from anywhere (guessing spread over addresses, with
    more room); and the address for every account (spraying one password over many), except
    for accounts that have signed in from this address before, so a stranger failing behind
    a council's shared address never locks out its staff."""
    cfg = current_app.config
    email = normalise_email(email)
    keys = [
        (f"acct-ip:{email}|{ip}", cfg["VIR_LOGIN_FREE_ATTEMPTS"]),
        (f"email:{email}", cfg["VIR_LOGIN_FREE_ATTEMPTS_PER_ACCOUNT"]),
    ]
    if not _known_address(email, ip):
        keys.append((f"ip:{ip}", cfg["VIR_LOGIN_FREE_ATTEMPTS_PER_IP"]))
    return keys


def _known_address(email: str, ip: str) -> bool:
    row = db.session.get(LoginThrottle, f"known:{email}|{ip}")
    return bool(row and row.locked_until and row.locked_until > utcnow())


def remember_address(email: str, ip: str) -> None:
    """A successful sign-in: this address is known for the account (a row of its own in the
    throttle table, ``locked_until`` being when that knowledge lapses)."""
    key = f"known:{normalise_email(email)}|{ip}"
    until = utcnow() + timedelta(days=KNOWN_ADDRESS_DAYS)
    insert = (pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(LoginThrottle)
    db.session.execute(
        insert.values(key=key, failures=0, locked_until=until).on_conflict_do_update(
            index_elements=[LoginThrottle.key], set_={"locked_until": until}
        )
    )


def throttle_check(email: str, ip: str) -> Throttled | None:
    return _locked([key for key, _free in _throttle_keys(email, ip)])


def _locked(keys: list[str]) -> Throttled | None:
    now = utcnow()
    waits = []
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is not None:
            db.session.refresh(row)  # another request may have counted a failure since
        if row and row.locked_until and row.locked_until > now:
            waits.append(math.ceil((row.locked_until - now).total_seconds()))
    return Throttled(max(waits)) if waits else None


def throttle_fail(email: str, ip: str) -> None:
    """Count a failure; past the free attempts each further one doubles the wait."""
    for key, free in _throttle_keys(email, ip):
        _count_failure(key, free)


def _count_failure(key: str, free: int) -> None:
    """One more failure for a key, counted by the database in one statement (an insert that
    becomes an update), so concurrent failures neither collide on the first row nor lose a
    count; past ``free`` failures each further one doubles the wait."""
    now = utcnow()
    cfg = current_app.config
    cap = cfg["VIR_LOGIN_MAX_DELAY_SECONDS"]
    # Failures decay: after a quiet spell the count starts again.
    quiet = now - timedelta(minutes=cfg["VIR_LOGIN_THROTTLE_WINDOW_MINUTES"])
    insert = (pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(LoginThrottle)
    stmt = (
        insert.values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case(
                    (LoginThrottle.last_failure_at < quiet, 1), else_=LoginThrottle.failures + 1
                ),
                "last_failure_at": now,
            },
        )
        .returning(LoginThrottle.failures)
    )
    failures = db.session.execute(stmt).scalar_one()
    if failures >= free:
        delay = min(cap, 2 ** (failures - free))
        db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(locked_until=now + timedelta(seconds=delay))
        )
    db.session.commit()


def throttle_clear(key: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
    db.session.commit()


def throttle_reset(email: str, ip: str | None = None) -> None:
    """A successful sign-in clears the account's counts (the address's count only decays,
    or a guesser's own account could clear it) and remembers the address."""
    email = normalise_email(email)
    keys = [f"email:{email}"] + ([f"acct-ip:{email}|{ip}"] if ip is not None else [])
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    if ip is not None:
        remember_address(email, ip)


# --- authentication --------------------------------------------------------------------------


class SignInResult:
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    THROTTLED = "throttled"
    OTP_REQUIRED = "otp_required"
    OTP_INVALID = "otp_invalid"
    ENROL_REQUIRED = "enrol_required"


@dataclass
class SignIn:
    result: str
    user: User | None = None
    retry_after: int = 0


def second_factor_required(user: User) -> bool:
    return bool(current_app.config["VIR_REQUIRE_2FA"] and user.roles & SECOND_FACTOR_ROLES)


def authenticate(email: str, password: str, ip: str) -> SignIn:
    """Check email and password (not the second factor), with throttling and auditing."""
    email = normalise_email(email)
    throttled = throttle_check(email, ip)
    if throttled:
        record_now("login.throttled", email=email)
        return SignIn(SignInResult.THROTTLED, retry_after=throttled.retry_after)
    user = db.session.scalar(select(User).where(User.email == email))
    if not check_password(user, password) or user is None or not user.active:
        throttle_fail(email, ip)
        record_now("login.failed", outcome="denied", email=email)
        return SignIn(SignInResult.BAD_CREDENTIALS)
    return SignIn(SignInResult.OK, user=user)


def verify_totp(user: User, code: str) -> bool:
    """Accept a current code once: the step it belongs to is claimed in one conditional
    UPDATE, so concurrent sign-ins with the same code cannot both succeed, and a code of the
    same or an earlier step is never accepted again. Failures are throttled per account
    (`otp_throttled`), so the code cannot be guessed either."""
    if not user.totp_secret or otp_throttled(user):
        return False
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    for offset in (0, -1, 1):  # one step of clock drift either way
        at = now + timedelta(seconds=30 * offset)
        step = totp.timecode(at)
        if step > user.totp_last_step and secrets.compare_digest(totp.at(at), code):
            claimed = db.session.execute(
                update(User)
                .where(User.id == user.id, User.totp_last_step < step)
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()  # the claim stands even if what follows fails
            if claimed.rowcount != 1:
                return False  # another sign-in took this code a moment ago
            user.totp_last_step = step
            throttle_clear(f"otp:{user.id}")
            return True
    _count_failure(f"otp:{user.id}", current_app.config["VIR_OTP_FREE_ATTEMPTS"])
    return False


def otp_throttled(user: User) -> Throttled | None:
    """Too many wrong codes for this account lately: none is checked until the wait ends."""
    return _locked([f"otp:{user.id}"])


def new_totp_secret(user: User) -> str:
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    return user.totp_secret


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(
        name=user.email, issuer_name="VIR (Estyn)"
    )


def enable_totp(user: User, code: str) -> bool:
    if verify_totp(user, code):
        user.totp_enabled = True
        record("user.totp_enabled", object_type="user", object_id=user.id, user=user)
        return True
    return False


def disable_totp(user: User) -> None:
    user.totp_enabled = False
    user.totp_secret = None
    record("user.totp_disabled", object_type="user", object_id=user.id)


# --- sessions and tokens ---------------------------------------------------------------------


def open_session(user: User, ip: str, user_agent: str) -> str:
    """Start a server-side session; returns the key for the cookie (only its hash is stored)."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(key_hash=_digest(key), user_id=user.id, ip=ip, user_agent=user_agent[:255])
    )
    throttle_reset(user.email, ip)
    record("login", object_type="user", object_id=user.id, user=user)
    user.session_key = key
    return key


def _row_and_user(model: Any, digest_column: Any, secret: str) -> Any:
    """The session or token row whose digest is this secret's, with its user, their roles and
    assignments: every signed-in request reads all four, in one statement rather than four."""
    user = joinedload(model.user)
    return (
        db.session.scalars(
            select(model)
            .where(digest_column == _digest(secret))
            .options(user, user.joinedload(User.role_rows), user.joinedload(User.assignments))
        )
        .unique()
        .first()
    )


def resume_session(key: str) -> User | None:
    """The user of a live session, or None if it was revoked, idle or too old."""
    row = _row_and_user(UserSession, UserSession.key_hash, key)
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    cfg = current_app.config
    idle = timedelta(minutes=cfg["VIR_SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=cfg["VIR_SESSION_ABSOLUTE_HOURS"])
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.revoked_at = now
        db.session.commit()
        return None
    # Writing last_seen on every request would serialise SQLite; a minute's precision is enough.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        db.session.commit()
    row.user.session_key = key
    return row.user


def close_session(key: str | None) -> None:
    if not key:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.key_hash == _digest(key), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all(user: User) -> None:
    now = utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def issue_token(user: User, ip: str | None = None) -> tuple[str, ApiToken]:
    token = "vir_" + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=_digest(token),
        user_id=user.id,
        expires_at=utcnow() + timedelta(hours=current_app.config["VIR_TOKEN_HOURS"]),
    )
    db.session.add(row)
    throttle_reset(user.email, ip)
    record("token.create", object_type="user", object_id=user.id, user=user)
    return token, row


def resolve_token(token: str) -> tuple[User, ApiToken] | None:
    row = _row_and_user(ApiToken, ApiToken.token_hash, token)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.active:
        return None
    return row.user, row


def revoke_token(row: ApiToken) -> None:
    row.revoked_at = utcnow()
    record("token.revoke", object_type="user", object_id=row.user_id)


def purge_expired(before: datetime | None = None) -> int:
    """Delete sessions and tokens that can no longer be used; returns how many went."""
    now = before or utcnow()
    cfg = current_app.config
    cutoff = now - timedelta(hours=cfg["VIR_SESSION_ABSOLUTE_HOURS"])
    n = db.session.execute(
        delete(UserSession).where(
            (UserSession.revoked_at.is_not(None)) | (UserSession.created_at < cutoff)
        )
    ).rowcount
    n += db.session.execute(
        delete(ApiToken).where((ApiToken.revoked_at.is_not(None)) | (ApiToken.expires_at < now))
    ).rowcount
    db.session.commit()
    return n or 0
