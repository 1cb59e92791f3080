"""/api/v1/organisations and /api/v1/users: administration for admins."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from vir.access import can_admin, require
from vir.accounts import operations as account_ops
from vir.accounts.links import set_password_url
from vir.accounts.models import User
from vir.admin.schemas import AssignIn, OrganisationIn, OrganisationOut, UserIn, UserOut, UserPatch
from vir.api.common import Blueprint, fail
from vir.audit.operations import record
from vir.core.db import db
from vir.notifications.operations import send_password_link, tell_coordinators_of_roles
from vir.orgs import operations as org_ops
from vir.orgs.models import Organisation

blp = Blueprint("api_admin", __name__, url_prefix="/api/v1", description="Administration")


@blp.before_request
@login_required
def _only_admins() -> None:
    require(can_admin(current_user), "admin.view")


def _org(slug: str | None, field: str) -> Organisation:
    org = org_ops.by_slug(slug or "")
    if org is None:
        msg = _("There is no organisation called %(slug)s.", slug=slug)
        fail(422, msg, **{field: [msg]})
    return org


@blp.get("/organisations")
@blp.response(200, OrganisationOut(many=True))
def organisations() -> Any:
    """Every organisation."""
    return db.session.scalars(select(Organisation).order_by(Organisation.slug)).all()


@blp.post("/organisations")
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationOut)
def create_organisation(args: dict[str, Any]) -> Organisation:
    """Add an organisation (local authorities get a room)."""
    consortium = _org(args["consortium"], "consortium") if args["consortium"] else None
    try:
        org = org_ops.create_org(
            args["slug"],
            args["name_en"],
            args["kind"],
            name_cy=args["name_cy"],
            consortium=consortium,
            with_room=args["room"],
        )
    except org_ops.OrgError as exc:
        fail(422, str(exc), slug=[str(exc)])
    db.session.commit()
    return org


@blp.get("/users")
@blp.response(200, UserOut(many=True))
def users() -> Any:
    """Every user."""
    return db.session.scalars(select(User).order_by(User.email)).all()


@blp.post("/users")
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(args: dict[str, Any]) -> Any:
    """Add a user; a one-time link to set a password is mailed to them (and never shown to
    the administrator); co-ordinators are told of any inspectorate role."""
    org = _org(args["org"], "org")
    providers = [_org(slug, "assign") for slug in args["assign"]]
    try:
        user = account_ops.create_user(
            args["email"], args["name"], org, args["roles"], assign=providers
        )
    except account_ops.AccountError as exc:
        fail(422, str(exc), email=[str(exc)])
    db.session.commit()
    user.password_link_sent = send_password_link(user, set_password_url(user))
    record(
        "user.password_link", object_type="user", object_id=user.id, sent=user.password_link_sent
    )
    db.session.commit()
    tell_coordinators_of_roles(user, sorted(user.roles), current_user)
    return user


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        fail(404, _("There is no such user."))
    return user


@blp.patch("/users/<int:user_id>")
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
def patch_user(args: dict[str, Any], user_id: int) -> User:
    """Disable (ending every session and token) or enable a user."""
    user = _user(user_id)
    if user.id == current_user.id and not args["active"]:
        fail(409, _("You cannot disable your own account."))
    account_ops.set_active(user, args["active"])
    db.session.commit()
    return user


@blp.post("/users/<int:user_id>/assignments")
@blp.arguments(AssignIn)
@blp.response(201, UserOut)
def assign(args: dict[str, Any], user_id: int) -> User:
    """Assign an inspector or auditor to a provider."""
    user = _user(user_id)
    provider = _org(args["provider"], "provider")
    try:
        account_ops.assign_provider(user, provider)
    except account_ops.AccountError as exc:
        fail(422, str(exc), provider=[str(exc)])
    db.session.commit()
    return user


@blp.delete("/users/<int:user_id>/assignments/<slug>")
@blp.response(204)
def unassign(user_id: int, slug: str) -> None:
    """Remove an assignment; it takes effect on the user's next request."""
    user = _user(user_id)
    account_ops.unassign_provider(user, _org(slug, "provider"))
    db.session.commit()
