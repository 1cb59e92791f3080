"""Admin pages: organisations, users, assignments. Admins see no document content."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from vir.access import can_admin, require
from vir.accounts import operations as account_ops
from vir.accounts.forms import EmptyForm
from vir.accounts.links import set_password_url
from vir.accounts.models import Role, User
from vir.admin.forms import AssignForm, OrganisationForm, UserForm
from vir.audit.operations import record
from vir.core.db import db
from vir.core.forms import options
from vir.core.i18n import by_name, locale
from vir.core.labels import ROLE_LABELS
from vir.notifications.operations import send_password_link, tell_coordinators_of_roles
from vir.orgs import operations as org_ops
from vir.orgs.models import Organisation, OrgKind
from vir.rooms.models import Room

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _only_admins() -> None:
    require(can_admin(current_user), "admin.view")


def _orgs() -> list[Organisation]:
    return by_name(db.session.scalars(select(Organisation)))


def _providers() -> list[Organisation]:
    return by_name(
        db.session.scalars(select(Organisation).join(Room, Room.provider_id == Organisation.id))
    )


@bp.get("/")
def index() -> str:
    return render_template("admin/index.html")


@bp.route("/organisations", methods=["GET", "POST"])
def organisations() -> Any:
    form = OrganisationForm()
    loc = locale()
    form.consortium.choices = options(
        [("", _("None"))] + [(o.slug, o.name(loc)) for o in _orgs() if o.kind == OrgKind.CONSORTIUM]
    )
    if form.validate_on_submit():
        consortium = org_ops.by_slug(form.consortium.data) if form.consortium.data else None
        try:
            org = org_ops.create_org(
                form.slug.data or "",
                form.name_en.data or "",
                form.kind.data or "",
                name_cy=form.name_cy.data,
                consortium=consortium,
            )
        except org_ops.OrgError as exc:
            form.slug.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=org.name(loc)), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", form=form, orgs=_orgs())


@bp.route("/users", methods=["GET", "POST"])
def users() -> Any:
    form = UserForm()
    loc = locale()
    form.org.choices = options(
        [("", _("Choose an organisation"))] + [(o.slug, o.name(loc)) for o in _orgs()]
    )
    form.roles.choices = options([(r.value, ROLE_LABELS[r.value]) for r in Role])
    if form.validate_on_submit():
        org = org_ops.by_slug(form.org.data or "")
        try:
            if org is None:
                raise account_ops.AccountError(_("Choose an organisation"))
            user = account_ops.create_user(
                form.email.data or "", form.name.data or "", org, list(form.roles.data or [])
            )
        except account_ops.AccountError as exc:
            form.email.errors = [str(exc)]
        else:
            db.session.commit()
            tell_coordinators_of_roles(user, sorted(user.roles), current_user)
            return _send_link(user)
    all_users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", form=form, users=all_users)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> str:
    u = _user(user_id)
    form = AssignForm()
    loc = locale()
    form.provider.choices = options(
        [("", _("Choose a provider"))] + [(o.slug, o.name(loc)) for o in _providers()]
    )
    return render_template(
        "admin/user.html",
        user=u,
        form=form,
        empty=EmptyForm(),
        assignable=bool(u.roles & account_ops.ASSIGNABLE_ROLES),
    )


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int) -> Any:
    u = _user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if u.id == current_user.id and not active:
        flash(_("You cannot disable your own account."), "error")
    else:
        account_ops.set_active(u, active)
        db.session.commit()
        flash(
            _("Account enabled.") if active else _("Account disabled; its sessions ended."),
            "success",
        )
    return redirect(url_for("admin.user", user_id=u.id))


@bp.post("/users/<int:user_id>/assignments")
def assign(user_id: int) -> Any:
    u = _user(user_id)
    form = AssignForm()
    form.provider.choices = options([(o.slug, o.slug) for o in _providers()])
    if form.validate_on_submit():
        provider = org_ops.by_slug(form.provider.data or "")
        try:
            if provider is None:
                raise account_ops.AccountError(_("Choose a provider"))
            account_ops.assign_provider(u, provider)
        except account_ops.AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Assigned to %(name)s.", name=provider.name(locale())), "success")
    else:
        flash(_("Choose a provider"), "error")
    return redirect(url_for("admin.user", user_id=u.id))


@bp.post("/users/<int:user_id>/assignments/<slug>/delete")
def unassign(user_id: int, slug: str) -> Any:
    u = _user(user_id)
    provider = org_ops.by_slug(slug)
    if provider is None or not EmptyForm().validate_on_submit():
        abort(404 if provider is None else 400)
    account_ops.unassign_provider(u, provider)
    db.session.commit()
    flash(_("Assignment removed."), "success")
    return redirect(url_for("admin.user", user_id=u.id))


@bp.post("/users/<int:user_id>/password-link")
def password_link(user_id: int) -> str:
    u = _user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _send_link(u)


def _send_link(user: User) -> str:
    """Mail the set-password link to the account holder; the page says only whether it went
    (an administrator holding the link would hold the account)."""
    sent = send_password_link(user, set_password_url(user))
    record("user.password_link", object_type="user", object_id=user.id, sent=sent)
    db.session.commit()
    return render_template("admin/password_link.html", user=user, sent=sent)
