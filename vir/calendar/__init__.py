"""Every date rule in VIR lives here: local time in Europe/London, working days in Wales, the
follow-up activities' milestones, and the one-week rule for papers.

Instants are stored in UTC and compared as instants; local wall-clock arithmetic (a week
before 09:30 is 09:30, whatever the clocks did in between) is done on naive local times and
converted once. Python ignores ``fold`` when comparing two aware times in the same zone, so
nothing here compares local times.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
PAPERS_NOTICE = timedelta(days=7)
DEFAULT_START = time(9, 30)


# --- local time ------------------------------------------------------------------------------


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


def local_instant(value: datetime) -> datetime:
    """An ISO time as given: with an offset it is that instant; without one it is Europe/London
    wall-clock time. Returned in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(UTC)


def local_today(now: datetime) -> date:
    return to_local(now).date()


# --- working days ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # Without subdiv="WLS", Easter Monday and the summer bank holiday would be missing.
    return frozenset(holidays.UnitedKingdom(subdiv="WLS", years=year))


def bank_holidays(first: date, last: date) -> list[date]:
    return sorted(
        d for y in range(first.year, last.year + 1) for d in _bank_holidays(y) if first <= d <= last
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The working day ``n`` working days after (n > 0) or before (n < 0) ``day``."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


@dataclass(frozen=True)
class SchoolHolidays:
    ranges: tuple[tuple[date, date], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> SchoolHolidays:
        """ "2026-12-21:2027-01-01,2027-02-15:2027-02-19" (inclusive ranges)."""
        ranges = []
        for part in (text or "").split(","):
            if not part.strip():
                continue
            first, _, last = part.strip().partition(":")
            start, end = date.fromisoformat(first), date.fromisoformat(last or first)
            if end < start:
                raise ValueError(f"school holiday range ends before it starts: {part}")
            ranges.append((start, end))
        return cls(tuple(sorted(ranges)))

    def __contains__(self, day: object) -> bool:
        return any(a <= day <= b for a, b in self.ranges)  # type: ignore[operator]


def days_before_discounting(day: date, n: int, school: SchoolHolidays) -> date:
    """The date ``n`` calendar days before ``day``, not counting school-holiday days."""
    current, counted = day, 0
    while counted < n:
        current -= timedelta(days=1)
        if current not in school:
            counted += 1
    return current


# --- the one-week rule -----------------------------------------------------------------------


def papers_deadline(starts_at: datetime) -> datetime:
    """The conference's start as local wall-clock time, minus seven calendar days: a clock
    change in the week between does not move it by an hour."""
    local = to_local(starts_at).replace(tzinfo=None) - PAPERS_NOTICE
    return datetime.combine(local.date(), local.time(), tzinfo=LONDON).astimezone(UTC)


class PaperDecision:
    ON_TIME = "on_time"
    LATE = "late"  # accepted with the declared exception
    REFUSED_DEADLINE = "paper_deadline_passed"
    REFUSED_CLOSED = "papers_closed"
    REFUSED_DECLARATION = "late_declaration_invalid"


def decide_paper(
    now: datetime, deadline: datetime, starts_at: datetime, information_date: date | None
) -> str:
    """The one-week rule for a paper arriving at ``now`` (an instant, from the server clock).

    On time up to and including the deadline. After it, only information itself less than a
    week old may be tabled: dated on or after the deadline's day, and not in the future. Once
    the activity has started the papers folder is closed."""
    if now >= starts_at:
        return PaperDecision.REFUSED_CLOSED
    if now <= deadline:
        return PaperDecision.ON_TIME
    if information_date is None:
        return PaperDecision.REFUSED_DEADLINE
    # The deadline's own day counts: information dated that day is not older than the week.
    if not (local_today(deadline) <= information_date <= local_today(now)):
        return PaperDecision.REFUSED_DECLARATION
    return PaperDecision.LATE


# --- milestones ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    code: str
    due: date | None  # a date, or None when it depends on something not yet known
    due_until: date | None = None  # for ranges ("12 to 18 months after")
    at: datetime | None = None  # an exact instant, when the rule gives one


def _months_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


MAX_VISIT = timedelta(days=7)  # a consortium follow-up visit is at most one week long
DAY_ENDS = time(16, 0)


def default_end(starts_at: datetime, *, conference: bool) -> datetime:
    """A conference takes its day; a visit, unless told otherwise, the week from its start."""
    local = to_local(starts_at).date()
    last = local if conference else local + timedelta(days=4)
    return datetime.combine(last, DAY_ENDS, tzinfo=LONDON).astimezone(UTC)


def visit_too_long(starts_at: datetime, ends_at: datetime) -> bool:
    return ends_at - starts_at > MAX_VISIT


def extension_ends_in_past(until: datetime, now: datetime) -> bool:
    """An extended papers deadline must still be ahead: one that has already passed would
    only relabel late papers as on time."""
    return until <= now


def starts_in_past(starts_at: datetime, now: datetime) -> bool:
    """An activity recorded now must lie ahead: one already begun has no papers deadline,
    notice or countdown left to keep."""
    return starts_at <= now


def notice_date_passed(notice_due: date | None, now: datetime) -> bool:
    """The date by which the provider should have been told of an activity is already past
    (it is recorded anyway: the warning says the notice will be short)."""
    return notice_due is not None and notice_due < local_today(now)


def letter_in_future(received_on: date, now: datetime) -> bool:
    """A letter cannot have been received after today (UK time)."""
    return received_on > local_today(now)


def letter_before_activity(received_on: date, ends_at: datetime) -> bool:
    return received_on < local_today(ends_at)


def updated_plans_due(letter_received: date) -> date:
    """Updated plan(s): no later than four working weeks from receipt of the outcome letter."""
    return add_working_days(letter_received, 20)


def conference_milestones(
    starts_at: datetime,
    ends_at: datetime,
    deadline: datetime,
    letter_received: date | None,
    kind: str,
) -> list[Milestone]:
    start, end = local_today(starts_at), local_today(ends_at)
    items = [
        Milestone("formal_notification", add_working_days(start, -20)),
        Milestone("papers_deadline", local_today(deadline), at=deadline),
        Milestone("lead_inspector_briefing", start - timedelta(days=7)),
        Milestone("outcome_letter", end + timedelta(days=14)),
        Milestone("updated_plans", updated_plans_due(letter_received) if letter_received else None),
    ]
    if kind == "improvement_conference":
        items.append(
            Milestone("next_progress_conference", _months_after(end, 12), _months_after(end, 18))
        )
    else:
        items.append(Milestone("next_monitoring_visit", _months_after(end, 12)))
    return items


def visit_milestones(
    starts_at: datetime, ends_at: datetime, school: SchoolHolidays, kind: str
) -> list[Milestone]:
    start, last = local_today(starts_at), local_today(ends_at)
    if kind == "consortium_follow_up_visit":
        draft = add_working_days(last, 10)
        return [
            Milestone("visit_notification", days_before_discounting(start, 28, school)),
            Milestone("draft_letter", draft),
            Milestone("factual_accuracy", add_working_days(draft, 5)),
            Milestone("final_letter", add_working_days(last, 20)),
        ]
    return [
        Milestone("formal_notification", add_working_days(start, -20)),
        Milestone("monitoring_report", add_working_days(last, 20)),
    ]


def countdown(now: datetime, until: datetime) -> tuple[int, int]:
    """Whole days and hours from ``now`` to ``until`` (negative when past)."""
    seconds = int((until - now).total_seconds())
    sign = -1 if seconds < 0 else 1
    days, rest = divmod(abs(seconds), 86400)
    return sign * days, sign * (rest // 3600)


def forward_waiting_too_long(created_at: datetime, now: datetime, working_days: int) -> bool:
    """Forwarded evidence not acted on within this many working days (of Wales) is flagged."""
    return local_today(now) > add_working_days(local_today(created_at), working_days)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """What is older than this has passed its retention period (the trash, decided
    forwards' files) and is purged."""
    return now - timedelta(days=retention_days)


# --- after the activity: accuracy checks and letter milestones --------------------------------


def accuracy_check_due(sent: datetime, working_days: int) -> date:
    """A draft sent for a factual-accuracy check is answered within this many working days
    of the day it was sent (consortium letters: five, per the guidance)."""
    return add_working_days(local_today(sent), working_days)


def check_open(due_on: date, now: datetime) -> bool:
    """A check may be answered up to and including its due date (UK time)."""
    return check_open_on(due_on, local_today(now))


def check_open_on(due_on: date, today: date) -> bool:
    return today <= due_on


def check_reminder_due(due_on: date, now: datetime, working_days_before: int) -> bool:
    return check_open(due_on, now) and local_today(now) >= add_working_days(
        due_on, -working_days_before
    )


def sent_late(due: date | None, done: date | None, now: datetime) -> bool:
    """A milestone is late when it was met after its date, or is still unmet after it."""
    if due is None:
        return False
    return (done or local_today(now)) > due


def sent_date_invalid(sent_on: date, now: datetime, earliest: datetime) -> bool:
    """A letter's sending date lies between its activity's start and today."""
    return sent_on > local_today(now) or sent_on < local_today(earliest)


def days_until(day: date, now: datetime) -> int:
    """Whole days from today (UK time) to ``day``: 0 on the day, negative after it."""
    return (day - local_today(now)).days
