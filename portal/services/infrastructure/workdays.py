"""The working-day calendar (工作日, 行政许可法 §82): weekends and statutory holidays off, the weekend days made
workdays (调休) on.

Where a day's answer comes from, first match wins:

1. the ``calendar_days`` table, which central staff keep in the console (系统管理 › 工作日历): the next year's
   holidays before the package knows them, or a correction;
2. the ``chinesecalendar`` package, which carries the State Council's published schedules (2004 to the last year
   of the installed release; upgrade it each December);
3. Monday to Friday, for a year neither knows. Such a year is reported by ``missing_years`` and the console's
   home page shows a warning naming it, so deadlines are never silently wrong for long.

A year the package does not cover counts as "known from the table" once the table holds at least one of its
days (its holidays and 调休 days are entered; every other day is Monday–Friday).

Counting: ``add(day, n)`` is the n-th working day after ``day`` (``day`` itself not counted, as for a time limit
starting the day after the event; an event on a rest day counts from the next working day, as the package's
``find_workday`` does); ``between(start, end)`` counts the working days after ``start`` up to and including
``end`` — so ``between(d, add(d, n)) == n`` for a working day ``d``. Both are a binary search in a prefix
count built once per calendar, so a list of 200,000 rows costs microseconds a row.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from flask import current_app, g, has_request_context
from sqlalchemy import func, select

from ...extensions import db
from ...models import CalendarDay

#: the span the prefix count covers; dates outside it are refused (no statutory time limit reaches them)
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

#: the years the installed chinesecalendar release knows
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def package_is_workday(day: date) -> bool | None:
    """The package's answer, or None for a year it does not cover (it would raise NotImplementedError). Reads its
    published tables directly: ``is_workday`` recomputes its year range on every call (~14 µs)."""
    if day.year not in PACKAGE_YEARS:
        return None
    if day in chinese_calendar.workdays:
        return True
    if day in chinese_calendar.holidays:
        return False
    return day.weekday() < 5


class Source:
    """Where a year's answers come from."""

    PACKAGE = "package"
    TABLE = "table"
    FALLBACK = "fallback"


@dataclass
class WorkCalendar:
    """An immutable working-day calendar: the package's data plus the table's rows (``overrides``: day → is a
    working day)."""

    overrides: dict[date, bool] = field(default_factory=dict)
    _prefix: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.table_years = frozenset(day.year for day in self.overrides)
        prefix, count = [], 0
        day, one = FIRST_DAY, timedelta(days=1)
        while day <= LAST_DAY:
            count += self._lookup(day)
            prefix.append(count)
            day += one
        self._prefix = prefix  # _prefix[i]: working days from FIRST_DAY to FIRST_DAY + i, inclusive

    def _lookup(self, day: date) -> bool:
        answer = self.overrides.get(day)
        if answer is None:
            answer = package_is_workday(day)
        if answer is None:
            answer = day.weekday() < 5
        return answer

    @staticmethod
    def _index(day: date) -> int:
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"{day} is outside the working-day calendar ({FIRST_DAY} to {LAST_DAY})")
        return (day - FIRST_DAY).days

    # --- questions -------------------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        index = self._index(day)
        return self._prefix[index] - (self._prefix[index - 1] if index else 0) == 1

    def add(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` ≥ 0). An event on a rest day counts from the next working
        day (it is received then), so ``add(day, 0)`` is ``day`` when it is a working day, else the next one — the
        same as ``chinese_calendar.find_workday(n, day)``."""
        if n < 0:
            raise ValueError("n must not be negative")
        index = self._index(day)
        received = bisect_left(self._prefix, (self._prefix[index - 1] if index else 0) + 1)
        found = bisect_left(self._prefix, self._prefix[received] + n) if n else received
        if found >= len(self._prefix):
            raise ValueError(f"{n} working days after {day} is past {LAST_DAY}")
        return FIRST_DAY + timedelta(days=found)

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``."""
        return self._prefix[self._index(end)] - self._prefix[self._index(start)]

    def source(self, year: int) -> str:
        """Where the year's answers come from: ``package``, ``table`` or ``fallback`` (Monday–Friday)."""
        if year in self.table_years and year not in PACKAGE_YEARS:
            return Source.TABLE
        if year in PACKAGE_YEARS:
            return Source.PACKAGE
        return Source.FALLBACK

    def missing_years(self, *days: date) -> list[int]:
        """Of the years of ``days``, those neither the package nor the table covers (answered Monday–Friday)."""
        return sorted({day.year for day in days if self.source(day.year) == Source.FALLBACK})

    def holiday_name(self, day: date) -> str | None:
        """The package's name of a holiday or 调休 day (English, e.g. "National Day"), if it knows one."""
        if day.year not in PACKAGE_YEARS:
            return None
        return chinese_calendar.get_holiday_detail(day)[1]


# --- the calendar in use: the package plus the table, rebuilt when the table changes ------------------------

_EXTENSION = "workdays_calendar"


@dataclass
class _Kept:
    """The calendar a process (an app) keeps, the table's fingerprint it was built from, and when (monotonic
    seconds) that fingerprint was last compared with the table's."""

    calendar: WorkCalendar | None = None
    key: tuple | None = None
    checked: float = float("-inf")


def _table_key() -> tuple:
    """A cheap fingerprint of the table: one small query."""
    return tuple(db.session.execute(select(func.count(CalendarDay.id), func.max(CalendarDay.updated_at),
                                           func.max(CalendarDay.id))).one())


def current() -> WorkCalendar:
    """The calendar with the table's current rows, kept by the process and built again only when the table changed.

    Whether it changed is one small query (``_table_key``), asked on every call outside a request (commands and
    jobs: few calls, and they may run for long) and, while serving requests, at most once every
    ``WORKDAYS_CHECK_SECONDS`` (2 s; 0: on every request) — a list page then runs no calendar query (~0.3 ms of
    CPU saved a page, issue 10). The process whose console edits the table forgets its calendar at once
    (``forget``); every other process, on this host or another, sees the edit within those 2 s. The calendar only
    shows limits (lists, detail pages, the dashboard, the 期限 filter): nothing is stored or refused from it, and
    central staff edit the table a few times a year. One request uses one calendar throughout (kept in ``g``)."""
    in_request = has_request_context()
    if in_request and "workdays_calendar" in g:
        return g.workdays_calendar
    kept = current_app.extensions.get(_EXTENSION)
    if kept is None:
        kept = current_app.extensions[_EXTENSION] = _Kept()
    now = time.monotonic()
    if not in_request or kept.calendar is None or now - kept.checked >= _check_seconds():
        key = _table_key()
        if kept.calendar is None or kept.key != key:
            rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
            kept.calendar, kept.key = WorkCalendar({day: is_workday for day, is_workday in rows}), key
        kept.checked = now
    if in_request:
        g.workdays_calendar = kept.calendar
    return kept.calendar


def _check_seconds() -> float:
    return float(current_app.config["WORKDAYS_CHECK_SECONDS"] or 0)


def forget() -> None:
    """Drop the kept calendar (after the table was edited in this request): the next call reads the table."""
    current_app.extensions.pop(_EXTENSION, None)
    if has_request_context():
        g.pop("workdays_calendar", None)


def add_workdays(day: date, n: int) -> date:
    """N working days after ``day`` (see ``WorkCalendar.add``)."""
    return current().add(day, n)


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (see ``WorkCalendar.between``)."""
    return current().between(start, end)
