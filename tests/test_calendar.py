"""The calendar: Welsh bank holidays, working days, the papers deadline across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from vir.calendar import (
    LONDON,
    PaperDecision,
    SchoolHolidays,
    add_working_days,
    bank_holidays,
    conference_milestones,
    days_before_discounting,
    decide_paper,
    is_working_day,
    local_instant,
    papers_deadline,
    visit_milestones,
)

# Bank holidays in Wales, 2022-2027, as published (gov.uk/bank-holidays), including the one-off
# days and the substitute days.
PUBLISHED = {
    2022: [
        "01-03",
        "04-15",
        "04-18",
        "05-02",
        "06-02",
        "06-03",
        "08-29",
        "09-19",
        "12-26",
        "12-27",
    ],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_welsh_bank_holidays_match_the_published_list(year):
    expected = {date.fromisoformat(f"{year}-{md}") for md in PUBLISHED[year]}
    weekdays = {d for d in bank_holidays(date(year, 1, 1), date(year, 12, 31)) if d.weekday() < 5}
    assert weekdays == expected
    for d in expected:
        assert not is_working_day(d)


def test_one_off_and_substitute_days():
    for d in (date(2022, 9, 19), date(2023, 5, 8), date(2026, 12, 28)):
        assert not is_working_day(d)
    assert is_working_day(date(2026, 12, 29))


def test_working_days():
    # Friday 24 Dec 2026 + 1 working day skips the weekend and 25 and 28 December.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # 20 working days before a Wednesday conference after Easter 2027.
    assert add_working_days(date(2027, 4, 21), -20) == date(2027, 3, 22)
    assert add_working_days(date(2027, 3, 10), 0) == date(2027, 3, 10)


def test_school_holidays_are_discounted_for_consortium_notice():
    school = SchoolHolidays.parse("2027-02-15:2027-02-19")
    # 28 days before 8 March 2027 is 8 February; with half-term discounted, 5 days earlier.
    assert days_before_discounting(date(2027, 3, 8), 28, SchoolHolidays()) == date(2027, 2, 8)
    assert days_before_discounting(date(2027, 3, 8), 28, school) == date(2027, 2, 3)
    with pytest.raises(ValueError):
        SchoolHolidays.parse("2027-02-19:2027-02-15")


def _at(text: str) -> datetime:
    return local_instant(datetime.fromisoformat(text))


def test_deadline_is_seven_days_of_wall_clock_across_the_spring_change():
    # Clocks go forward on 29 March 2026: a 09:30 BST start has a 09:30 GMT deadline.
    start = _at("2026-04-01T09:30")
    deadline = papers_deadline(start)
    assert deadline.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 25, 9, 30)
    assert deadline == datetime(2026, 3, 25, 9, 30, tzinfo=UTC)
    assert start - deadline == timedelta(days=7, hours=-1)  # a week of wall clock, an hour short


def test_deadline_is_seven_days_of_wall_clock_across_the_autumn_change():
    # Clocks go back on 25 October 2026: a 09:30 GMT start has a 09:30 BST deadline.
    start = _at("2026-10-28T09:30")
    deadline = papers_deadline(start)
    assert deadline.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 21, 9, 30)
    assert deadline == datetime(2026, 10, 21, 8, 30, tzinfo=UTC)


def test_offsets_are_respected():
    assert _at("2027-03-10T09:30+00:00") == datetime(2027, 3, 10, 9, 30, tzinfo=UTC)
    assert _at("2027-07-10T09:30") == datetime(2027, 7, 10, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "offset,info,expected",
    [
        (-1, None, PaperDecision.ON_TIME),
        (0, None, PaperDecision.ON_TIME),
        (1, None, PaperDecision.REFUSED_DEADLINE),
        (1, date(2027, 3, 3), PaperDecision.LATE),  # dated the deadline's day
        (1, date(2027, 3, 2), PaperDecision.REFUSED_DECLARATION),  # older than the week
        (1, date(2027, 3, 4), PaperDecision.REFUSED_DECLARATION),  # in the future
    ],
)
def test_the_one_week_rule(offset, info, expected):
    from datetime import timedelta

    start = _at("2027-03-10T09:30")
    deadline = papers_deadline(start)
    now = deadline + timedelta(seconds=offset)
    assert decide_paper(now, deadline, start, info) == expected


def test_closed_once_started():
    start = _at("2027-03-10T09:30")
    assert (
        decide_paper(start, papers_deadline(start), start, date(2027, 3, 9))
        == PaperDecision.REFUSED_CLOSED
    )


def test_conference_milestones():
    start, end = _at("2027-03-10T09:30"), _at("2027-03-10T16:00")
    items = {
        m.code: m
        for m in conference_milestones(
            start, end, papers_deadline(start), date(2027, 3, 22), "improvement_conference"
        )
    }
    assert items["formal_notification"].due == date(2027, 2, 10)
    assert items["papers_deadline"].at == papers_deadline(start)
    assert items["outcome_letter"].due == date(2027, 3, 24)
    # 20 working days from 22 March 2027, skipping Good Friday and Easter Monday.
    assert items["updated_plans"].due == date(2027, 4, 21)
    assert items["next_progress_conference"].due == date(2028, 3, 10)
    assert items["next_progress_conference"].due_until == date(2028, 9, 10)


def test_consortium_visit_milestones():
    start, last = _at("2027-06-07T09:00"), _at("2027-06-11T16:00")
    items = {
        m.code: m
        for m in visit_milestones(
            start, last, SchoolHolidays.parse("2027-05-31:2027-06-04"), "consortium_follow_up_visit"
        )
    }
    assert items["visit_notification"].due == date(2027, 5, 5)
    assert items["draft_letter"].due == date(2027, 6, 25)
    assert items["factual_accuracy"].due == date(2027, 7, 2)
    assert items["final_letter"].due == date(2027, 7, 9)
