"""School holidays of a provider: co-ordinators and administrators record them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import can_manage_school_holidays, require
from vir.core.db import db
from vir.holidays import operations as ops
from vir.holidays.forms import HolidayForm
from vir.holidays.models import SchoolHoliday
from vir.holidays.queries import shown
from vir.orgs.models import Organisation, OrgKind
from vir.orgs.operations import by_slug

bp = Blueprint("holidays", __name__, url_prefix="/school-holidays")


def load_org(slug: str) -> Organisation:
    require(can_manage_school_holidays(current_user), "holidays.view")
    org = by_slug(slug)
    if org is None or org.kind not in (OrgKind.LOCAL_AUTHORITY, OrgKind.CONSORTIUM):
        abort(404)
    return org


def load_holiday(org: Organisation, holiday_id: int) -> SchoolHoliday:
    """One of this organisation's ranges, or 404."""
    holiday = db.session.get(SchoolHoliday, holiday_id)
    if holiday is None or holiday.org_id != org.id:
        abort(404)
    return holiday


@bp.route("/<slug>", methods=["GET", "POST"])
@login_required
def page(slug: str) -> Any:
    org = load_org(slug)
    form = HolidayForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.add_holiday(org, form.starts_on.data, form.ends_on.data, current_user)
        except ops.HolidayError as exc:
            getattr(form, exc.field).errors = [str(exc)]
            status = 422
        else:
            db.session.commit()
            flash(_("School holiday added."), "success")
            return redirect(url_for("holidays.page", slug=org.slug))
    elif form.is_submitted():
        status = 422
    source, ranges = shown(org)
    html = render_template("holidays/page.html", org=org, form=form, source=source, ranges=ranges)
    return html, status


@bp.post("/<slug>/<int:holiday_id>/delete")
@login_required
def remove(slug: str, holiday_id: int) -> Any:
    org = load_org(slug)
    ops.remove_holiday(load_holiday(org, holiday_id), current_user)
    db.session.commit()
    flash(_("School holiday removed."), "success")
    return redirect(url_for("holidays.page", slug=org.slug))
