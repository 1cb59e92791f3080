"""The school holidays that count for a provider, as vir.calendar's SchoolHolidays."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from vir.calendar import SchoolHolidays
from vir.core.db import db
from vir.holidays.models import SchoolHoliday
from vir.orgs.models import Organisation, OrgKind


def recorded(org: Organisation) -> list[SchoolHoliday]:
    """The ranges recorded for one authority, earliest first."""
    return list(
        db.session.scalars(
            select(SchoolHoliday)
            .where(SchoolHoliday.org_id == org.id)
            .order_by(SchoolHoliday.starts_on, SchoolHoliday.ends_on)
        )
    )


def default() -> SchoolHolidays:
    """VIR_SCHOOL_HOLIDAYS: the ranges of an authority that has recorded none of its own."""
    return SchoolHolidays.parse(current_app.config.get("VIR_SCHOOL_HOLIDAYS"))


def school_holidays_for(org: Organisation) -> SchoolHolidays:
    """An authority's own ranges (VIR_SCHOOL_HOLIDAYS while it has none); a consortium's are
    every day that is a holiday in any of its authorities."""
    if org.kind == OrgKind.CONSORTIUM:
        members = list(org.members)
        if not members:
            return default()
        ranges = [r for m in members for r in school_holidays_for(m).ranges]
        return SchoolHolidays(tuple(sorted(set(ranges))))
    own = recorded(org)
    if not own:
        return default()
    return SchoolHolidays(tuple((h.starts_on, h.ends_on) for h in own))


def shown(org: Organisation) -> tuple[str, list[tuple[int | None, date, date]]]:
    """What a provider's page and the API show: where its ranges come from ("own",
    "default" or "members") and the ranges, with the id of each it may remove."""
    if org.kind == OrgKind.CONSORTIUM and list(org.members):
        return "members", [(None, a, b) for a, b in school_holidays_for(org).ranges]
    own = recorded(org)
    if own:
        return "own", [(h.id, h.starts_on, h.ends_on) for h in own]
    return "default", [(None, a, b) for a, b in default().ranges]
