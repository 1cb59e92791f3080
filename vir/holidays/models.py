from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.core.db import UTCDateTime, db, utcnow
from vir.orgs.models import Organisation


class SchoolHoliday(db.Model):
    """One school-holiday range of a local authority, first and last day included."""

    __tablename__ = "school_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    org: Mapped[Organisation] = relationship()
