"""Working time by a business calendar: the time a workflow step allows (first response,
resolution) counted in working hours or working days, and when it runs out (B2, B7; issue 16).

A `BusinessCalendar` is an institution's (or a service point's) weekly opening hours plus the
Latvian calendar of public holidays and moved working days, from the `holidays` library (which
follows the law "Par svētku, atceres un atzīmējamām dienām" and each year's Cabinet order on
moving working days, "Par darba dienu pārcelšanu": 2 January 2026 is a day off, Saturday 17
January 2026 a working day). On a working day before a public holiday the hours end one hour
early (Darba likums, section 133(1): "Darba dienā pirms svētku dienām darba laiks saīsināms par
vienu stundu"); a day off moved from another day is no public holiday, so the day before it is
not shortened.

Instants are timezone-aware `datetime`s; the hours are read in the calendar's zone (Europe/Riga)
so that a step received at 16:50 on the last working day before summer time still counts the
right hours. The calendar is pure: deadlines are computed once, when a step starts, and stored,
so that a scan for breaches is an indexed query, not a calendar walk per task.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

ZONE = ZoneInfo("Europe/Riga")
COUNTRY = "LV"
EVE_SHORTENING = dt.timedelta(hours=1)
# A day off moved from another day carries this in its (English) name in the `holidays` data.
_MOVED = "substituted"
_SEARCH_DAYS = 3660  # ten years: further than any step's time allowed

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<hours>.+)$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Interval = tuple[dt.time, dt.time]


class HoursError(ValueError):
    """Opening hours that cannot be read; the message says which part and why (in English:
    administrators' forms translate by `code`)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours per weekday: `days[0]` is Monday's intervals, `days[6]` Sunday's; each
    interval `(opens, closes)` with opens < closes, the intervals of a day in order and apart.

    Written and read as text: `"mon-thu 08:30-17:00; fri 08:30-15:30"` (days `mon`…`sun`, a span
    of days with `-`, several intervals of one day with `,`: `"mon 08:00-12:00,13:00-17:00"`)."""

    days: tuple[tuple[Interval, ...], ...]

    @classmethod
    def parse(cls, text: str) -> WeeklyHours:
        """Read opening hours from their text form (see the class). Raises `HoursError`
        (code `day`, `backwards`, `hours`, `order`, `overlap`, `twice` or `empty`)."""
        days: list[list[Interval] | None] = [None] * 7
        for part in filter(None, (p.strip().lower() for p in text.split(";"))):
            match = _SPAN.match(part)
            if not match or match["first"] not in WEEKDAYS or (
                    match["last"] and match["last"] not in WEEKDAYS):
                raise HoursError(f"{part!r}: start with a day or days, e.g. 'mon-fri'", "day")
            first = WEEKDAYS.index(match["first"])
            last = WEEKDAYS.index(match["last"]) if match["last"] else first
            if last < first:
                raise HoursError(f"{part!r}: the days run backwards", "backwards")
            intervals = [_interval(h.strip(), part) for h in match["hours"].split(",")]
            _check_apart(intervals, part)
            for day in range(first, last + 1):
                if days[day] is not None:
                    raise HoursError(f"{WEEKDAYS[day]} is given twice", "twice")
                days[day] = intervals
        if not any(days):
            raise HoursError("no opening hours given", "empty")
        return cls(tuple(tuple(d or ()) for d in days))

    def __str__(self) -> str:
        parts = []
        for day, intervals in enumerate(self.days):
            if intervals:
                text = ",".join(f"{_clock(a)}-{_clock(b)}" for a, b in intervals)
                parts.append(f"{WEEKDAYS[day]} {text}")
        return "; ".join(parts)


def _clock(time: dt.time) -> str:
    return "24:00" if time == dt.time.max else f"{time:%H:%M}"


def _interval(text: str, part: str) -> Interval:
    match = _HOURS.match(text)
    if not match:
        raise HoursError(f"{part!r}: hours are written like 08:30-17:00", "hours")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise HoursError(f"{part!r}: {text} is no time of day", "hours")
    opens = dt.time(h1, m1)
    closes = dt.time.max if h2 == 24 else dt.time(h2, m2)
    if closes <= opens:
        raise HoursError(f"{part!r}: {text} closes before it opens", "order")
    return opens, closes


def _check_apart(intervals: list[Interval], part: str) -> None:
    intervals.sort()
    for (_a, closes), (opens, _b) in pairwise(intervals):
        if opens < closes:
            raise HoursError(f"{part!r}: the intervals overlap", "overlap")


# The working hours of state administration most institutions keep (Cabinet Regulation No. 1000
# leaves them to the institution; 40 hours a week, Friday shorter).
STATE_OFFICE_HOURS = WeeklyHours.parse("mon-thu 08:30-17:00; fri 08:30-15:30")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly `hours` in `zone`, less Latvian public holidays and plus moved working days, and
    `closed`: the institution's own extra days closed (a move, a training day)."""

    hours: WeeklyHours = STATE_OFFICE_HOURS
    zone: ZoneInfo = ZONE
    closed: frozenset[dt.date] = field(default_factory=frozenset)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(COUNTRY, language="en_US")

    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day: a weekday or a moved working Saturday (or a weekend
        day the hours open, for an institution open on weekends), not a public holiday or a
        day off moved there, not one of `closed`; and the hours open on its weekday (a moved
        working Saturday keeps the hours of the weekday it replaces: the Friday's, as the
        Cabinet orders move a Friday or Monday)."""
        if day in self.closed or not self._hours_of(day):
            return False
        if day.weekday() >= 5 and day not in self._holidays.weekend_workdays:
            return day not in self._holidays  # open on weekends by its own hours
        return bool(self._holidays.is_working_day(day))

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open intervals of `day` as aware datetimes in the zone, in order: empty on a day
        that is no working day; the last one ending an hour early before a public holiday
        (Darba likums s. 133(1))."""
        if not self.is_working_day(day):
            return []
        spans = [(self._at(day, a), self._at(day, b)) for a, b in self._hours_of(day)]
        if self._is_eve(day):
            spans = _shorten(spans, EVE_SHORTENING)
        return spans

    def add_hours(self, start: dt.datetime, allowed: dt.timedelta) -> dt.datetime:
        """The instant when `allowed` working time after `start` runs out (a step received
        outside the hours starts counting when they open). Raises `ValueError` for a naive
        `start` or a negative `allowed`."""
        _check(start, allowed)
        left = allowed
        for opens, closes in self._spans_from(start):
            begin = max(opens, start)
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        raise ValueError("no working time within ten years")

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of the `days`-th working day after the day of `start` (the day a step is
        received does not count, as in the Administrative Procedure Law's counting of time
        limits, section 41): received on Monday with 2 working days allowed, due at Wednesday's
        close. `days=0`: the close of the day of `start` if it is a working day, else of the next.
        Raises `ValueError` for a naive `start` or negative `days`."""
        _check(start, dt.timedelta(days=days))
        day = start.astimezone(self.zone).date()
        if days == 0 and self.is_working_day(day):
            return self.intervals(day)[-1][1]
        needed = max(days, 1)
        for _ in range(_SEARCH_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                needed -= 1
                if not needed:
                    return self.intervals(day)[-1][1]
        raise ValueError("no working day within ten years")

    def worked_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The working time from `start` to `end` (zero when `end` is not after `start`): what a
        step has used of its time allowed."""
        _check(start, dt.timedelta(0))
        used = dt.timedelta(0)
        if end <= start:
            return used
        for opens, closes in self._spans_from(start):
            if opens >= end:
                break
            used += min(closes, end) - max(opens, start)
        return used

    def _spans_from(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        day = start.astimezone(self.zone).date()
        for offset in range(_SEARCH_DAYS):
            for opens, closes in self.intervals(day + dt.timedelta(days=offset)):
                if closes > start:
                    yield opens, closes

    def _hours_of(self, day: dt.date) -> tuple[Interval, ...]:
        weekday = day.weekday()
        if weekday >= 5 and day in self._holidays.weekend_workdays:
            weekday = 4  # a moved working Saturday keeps a Friday's hours
        return self.hours.days[weekday]

    def _is_eve(self, day: dt.date) -> bool:
        names = self._holidays.get_list(day + dt.timedelta(days=1))
        return any(_MOVED not in name for name in names)

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        if time == dt.time.max:
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.zone)
        return dt.datetime.combine(day, time, self.zone)


def _shorten(spans: list[tuple[dt.datetime, dt.datetime]], by: dt.timedelta,
             ) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals less `by` taken from the end of the day (a short last interval goes whole
    and the rest is taken from the one before)."""
    left = by
    kept = list(spans)
    while kept and left:
        opens, closes = kept.pop()
        if closes - opens > left:
            kept.append((opens, closes - left))
            break
        left -= closes - opens
    return kept


def _check(start: dt.datetime, allowed: dt.timedelta) -> None:
    if start.tzinfo is None:
        raise ValueError("start must carry its timezone")
    if allowed < dt.timedelta(0):
        raise ValueError("the time allowed cannot be negative")
