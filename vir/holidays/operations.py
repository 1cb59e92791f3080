"""Recording and removing an authority's school-holiday ranges (audited)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from vir.audit.operations import record
from vir.core.db import db
from vir.holidays.models import SchoolHoliday
from vir.orgs.models import Organisation, OrgKind

LONGEST = timedelta(days=120)  # a summer break is about six weeks; a year is a typing slip


class HolidayError(ValueError):
    def __init__(self, message: str, field: str = "starts_on") -> None:
        super().__init__(message)
        self.field = field


def add_holiday(org: Organisation, starts_on: date, ends_on: date, user: Any) -> SchoolHoliday:
    if org.kind != OrgKind.LOCAL_AUTHORITY:
        raise HolidayError(
            _(
                "School holidays are recorded for each local authority; a consortium’s are "
                "those of its authorities."
            )
        )
    if ends_on < starts_on:
        raise HolidayError(_("The last day must be the same as or after the first day."), "ends_on")
    if ends_on - starts_on > LONGEST:
        raise HolidayError(
            _("A school holiday is at most %(n)d days long: check the dates.", n=LONGEST.days),
            "ends_on",
        )
    same = db.session.scalar(
        select(SchoolHoliday.id).where(
            SchoolHoliday.org_id == org.id,
            SchoolHoliday.starts_on == starts_on,
            SchoolHoliday.ends_on == ends_on,
        )
    )
    if same is not None:
        raise HolidayError(_("These dates are already recorded."))
    holiday = SchoolHoliday(
        org_id=org.id, starts_on=starts_on, ends_on=ends_on, created_by_id=getattr(user, "id", None)
    )
    db.session.add(holiday)
    db.session.flush()
    record(
        "org.school_holiday_add",
        object_type="organisation",
        object_id=org.slug,
        provider_id=org.id,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    return holiday


def remove_holiday(holiday: SchoolHoliday, user: Any) -> None:
    record(
        "org.school_holiday_remove",
        object_type="organisation",
        object_id=holiday.org.slug,
        provider_id=holiday.org_id,
        starts_on=holiday.starts_on.isoformat(),
        ends_on=holiday.ends_on.isoformat(),
    )
    db.session.delete(holiday)
