"""/api/v1/providers/{slug}/school-holidays: what the consortium-visit notice rule counts."""

from __future__ import annotations

from typing import Any

from flask_login import current_user, login_required

from vir.api.common import Blueprint, fail
from vir.core.db import db
from vir.holidays import operations as ops
from vir.holidays.models import SchoolHoliday
from vir.holidays.queries import shown
from vir.holidays.schemas import HolidayIn, HolidayOut, HolidaysOut
from vir.holidays.views import load_holiday, load_org

blp = Blueprint("api_holidays", __name__, url_prefix="/api/v1", description="School holidays")


@blp.get("/providers/<slug>/school-holidays")
@login_required
@blp.response(200, HolidaysOut)
def list_holidays(slug: str) -> dict[str, Any]:
    """A provider's school holidays (co-ordinators and administrators)."""
    org = load_org(slug)
    source, ranges = shown(org)
    return {
        "provider": org.slug,
        "source": source,
        "holidays": [{"id": i, "starts_on": a, "ends_on": b} for i, a, b in ranges],
    }


@blp.post("/providers/<slug>/school-holidays")
@login_required
@blp.arguments(HolidayIn)
@blp.response(201, HolidayOut)
def add_holiday(args: dict[str, Any], slug: str) -> SchoolHoliday:
    """Record a school-holiday range of a local authority."""
    org = load_org(slug)
    try:
        holiday = ops.add_holiday(org, args["starts_on"], args["ends_on"], current_user)
    except ops.HolidayError as exc:
        fail(422, str(exc), **{exc.field: [str(exc)]})
    db.session.commit()
    return holiday


@blp.delete("/providers/<slug>/school-holidays/<int:holiday_id>")
@login_required
@blp.response(204)
def remove_holiday(slug: str, holiday_id: int) -> None:
    """Remove one of a local authority's school-holiday ranges."""
    ops.remove_holiday(load_holiday(load_org(slug), holiday_id), current_user)
    db.session.commit()
