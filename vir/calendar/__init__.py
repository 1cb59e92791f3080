"""Every date rule in VIR lives in this package: local time in Europe/London, day boundaries,
and (with the follow-up activities) working days and deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_midnight(day: date) -> datetime:
    """The instant a local calendar day starts in Wales (clock changes happen at 01:00/02:00)."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def local_day_range(
    first: date | None, last: date | None
) -> tuple[datetime | None, datetime | None]:
    """[start of ``first``, start of the day after ``last``) as UTC instants."""
    start = local_midnight(first) if first else None
    end = local_midnight(last + timedelta(days=1)) if last else None
    return start, end


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(LONDON)
