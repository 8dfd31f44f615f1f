"""The business calendar behind workflow steps' time allowed (B2, B7; issue 16): Latvian
public holidays and moved working days from the `holidays` library, the pre-holiday short day
(Darba likums s. 133(1)), opening hours as text, and deadlines in working hours and days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from durvis.core.working_time import (
    STATE_OFFICE_HOURS,
    ZONE,
    BusinessCalendar,
    HoursError,
    WeeklyHours,
)

CALENDAR = BusinessCalendar()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE)


def hours_of(day: str) -> list[str]:
    return [f"{a:%H:%M}-{b:%H:%M}" for a, b in CALENDAR.intervals(dt.date.fromisoformat(day))]


@pytest.mark.parametrize(("day", "hours"), [
    ("2026-12-22", ["08:30-17:00"]),  # an ordinary Tuesday
    ("2026-12-23", ["08:30-16:00"]),  # the day before Christmas Eve ends an hour early
    ("2026-12-24", []),  # Christmas Eve, a public holiday
    ("2026-11-17", ["08:30-16:00"]),  # the day before Proclamation Day
    ("2026-01-02", []),  # a day off moved from Saturday 17 January 2026
    ("2026-01-17", ["08:30-15:30"]),  # that Saturday is worked, with a Friday's hours
    ("2026-06-22", []),  # a day off moved from Saturday 27 June 2026 (before Midsummer Eve)
    ("2026-06-19", ["08:30-15:30"]),  # the Friday before that day off is no eve: not shortened
    ("2026-12-26", []),  # a Saturday
])
def test_the_latvian_calendar_decides_the_hours_of_a_day(day, hours):
    assert hours_of(day) == hours


def test_an_institutions_own_closed_day_is_no_working_day():
    calendar = BusinessCalendar(closed=frozenset({dt.date(2026, 12, 22)}))
    assert not calendar.is_working_day(dt.date(2026, 12, 22))
    assert calendar.add_days(at("2026-12-21T10:00"), 1) == at("2026-12-23T16:00")


def test_an_institution_open_on_saturdays_works_them_unless_a_public_holiday():
    """A client-service centre open on Saturdays (its own office hours, B7)."""
    calendar = BusinessCalendar(hours=WeeklyHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00"))
    assert calendar.intervals(dt.date(2026, 12, 5)) == [(at("2026-12-05T10:00"),
                                                          at("2026-12-05T14:00"))]
    assert calendar.intervals(dt.date(2026, 12, 26)) == []  # Second Christmas Day, a Saturday
    assert calendar.intervals(dt.date(2026, 12, 6)) == []  # Sunday: no hours
    assert calendar.add_hours(at("2026-12-04T17:00"), dt.timedelta(hours=2)) == at(
        "2026-12-05T11:00")


def test_working_hours_run_over_the_night_the_weekend_and_the_holidays():
    # Received after closing on the day before Christmas Eve: the count starts on 28 December.
    assert CALENDAR.add_hours(at("2026-12-23T16:30"), dt.timedelta(hours=2)) == at(
        "2026-12-28T10:30")
    # Received before opening: counted from opening.
    assert CALENDAR.add_hours(at("2026-12-21T07:00"), dt.timedelta(hours=1)) == at(
        "2026-12-21T09:30")
    # Two hours received at 16:00 on a Tuesday: one today, one on Wednesday.
    assert CALENDAR.add_hours(at("2026-12-22T16:00"), dt.timedelta(hours=2)) == at(
        "2026-12-23T09:30")


def test_working_days_count_from_the_day_after_receipt_and_end_at_closing():
    assert CALENDAR.add_days(at("2026-12-21T10:00"), 1) == at("2026-12-22T17:00")
    assert CALENDAR.add_days(at("2026-12-21T10:00"), 3) == at("2026-12-28T17:00")
    assert CALENDAR.add_days(at("2026-12-21T10:00"), 0) == at("2026-12-21T17:00")
    assert CALENDAR.add_days(at("2026-12-26T10:00"), 0) == at("2026-12-28T17:00")


def test_the_hours_follow_riga_time_across_the_summer_time_change():
    # Summer time starts on Sunday 29 March 2026; Friday's 15:30 is 13:30 UTC, Monday's
    # opening 08:30 is 05:30 UTC.
    due = CALENDAR.add_hours(at("2026-03-27T15:00"), dt.timedelta(hours=1))
    assert due == at("2026-03-30T09:00")
    assert due.astimezone(dt.UTC).hour == 6


def test_the_working_time_used_between_two_instants():
    assert CALENDAR.worked_between(at("2026-12-21T10:00"), at("2026-12-28T10:00")) == (
        dt.timedelta(hours=24, minutes=30))
    assert CALENDAR.worked_between(at("2026-12-28T10:00"), at("2026-12-21T10:00")) == (
        dt.timedelta(0))


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)),
       minutes=st.integers(min_value=0, max_value=60 * 200))
def test_the_time_allowed_is_exactly_the_working_time_until_it_runs_out(start, minutes):
    start = start.replace(tzinfo=ZONE)
    allowed = dt.timedelta(minutes=minutes)
    due = CALENDAR.add_hours(start, allowed)
    assert due >= start
    assert CALENDAR.worked_between(start, due) == allowed


def test_opening_hours_are_read_and_written_as_text():
    hours = WeeklyHours.parse("Mon-Thu 08:30-17:00; Fri 08:00-12:00, 13:00-15:00; Sat 10:00-24:00")
    assert str(hours) == ("mon 08:30-17:00; tue 08:30-17:00; wed 08:30-17:00; thu 08:30-17:00; "
                          "fri 08:00-12:00,13:00-15:00; sat 10:00-24:00")
    assert WeeklyHours.parse(str(hours)) == hours
    assert str(STATE_OFFICE_HOURS).startswith("mon 08:30-17:00")


def test_a_lunch_break_before_a_holiday_shortens_the_afternoon():
    calendar = BusinessCalendar(hours=WeeklyHours.parse("mon-fri 08:00-12:00,13:00-17:00"))
    spans = calendar.intervals(dt.date(2026, 12, 23))
    assert [f"{a:%H:%M}-{b:%H:%M}" for a, b in spans] == ["08:00-12:00", "13:00-16:00"]


@pytest.mark.parametrize(("text", "code"), [
    ("", "empty"),
    ("monday 08:00-17:00", "day"),
    ("fri-mon 08:00-17:00", "backwards"),
    ("mon 8-17", "hours"),
    ("mon 25:00-26:00", "hours"),
    ("mon 17:00-08:00", "order"),
    ("mon 08:00-12:00,11:00-17:00", "overlap"),
    ("mon-fri 08:00-17:00; wed 09:00-10:00", "twice"),
])
def test_unreadable_opening_hours_are_refused_with_the_reason(text, code):
    with pytest.raises(HoursError) as refused:
        WeeklyHours.parse(text)
    assert refused.value.code == code


def test_a_naive_start_or_a_negative_time_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        CALENDAR.add_hours(dt.datetime(2026, 12, 21, 10), dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_days(at("2026-12-21T10:00"), -1)
