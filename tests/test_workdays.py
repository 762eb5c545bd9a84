"""The working-day calendar against the State Council's published 2025 and 2026 schedules, the table central staff
keep for later years, and the Monday–Friday fallback."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import CalendarDay
from portal.services.infrastructure import workdays
from portal.services.infrastructure.workdays import PACKAGE_YEARS, Source, WorkCalendar

CAL = WorkCalendar()


@pytest.mark.parametrize(("day", "expected"), [
    # 2025 (国办发明电〔2024〕12号): Spring Festival 01-28..02-04 off, Sun 01-26 and Sat 02-08 worked
    (date(2025, 1, 26), True), (date(2025, 1, 28), False), (date(2025, 2, 4), False), (date(2025, 2, 8), True),
    # 2025 Labour Day: 05-01..05-05 off, Sun 04-27 worked; National Day + Mid-Autumn 10-01..10-08, 09-28, 10-11 worked
    (date(2025, 4, 27), True), (date(2025, 5, 5), False), (date(2025, 9, 28), True), (date(2025, 10, 8), False),
    (date(2025, 10, 11), True), (date(2025, 10, 9), True),
    # 2026: Sun 01-04 worked; Spring Festival 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked
    (date(2026, 1, 4), True), (date(2026, 2, 14), True), (date(2026, 2, 16), False), (date(2026, 2, 23), False),
    (date(2026, 2, 24), True), (date(2026, 2, 28), True), (date(2026, 5, 9), True),
    # 2026 Mid-Autumn 09-25..27; National Day 10-01..10-07 off, Sun 09-20 and Sat 10-10 worked
    (date(2026, 9, 20), True), (date(2026, 9, 25), False), (date(2026, 10, 1), False), (date(2026, 10, 7), False),
    (date(2026, 10, 8), True), (date(2026, 10, 10), True), (date(2026, 10, 11), False),
])
def test_published_schedules(day, expected):
    assert CAL.is_workday(day) is expected


def test_every_day_of_2025_and_2026_agrees_with_the_package():
    day = date(2025, 1, 1)
    while day <= date(2026, 12, 31):
        assert CAL.is_workday(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2026, 2, 10), 20, date(2026, 3, 16)),  # across the Spring Festival (PITFALLS-round2)
    (date(2026, 9, 28), 5, date(2026, 10, 10)),  # 09-29, 09-30, 10-08, 10-09, Sat 10-10
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 10, 3), 0, date(2026, 10, 8)),  # an event on a holiday counts from the next working day
    (date(2026, 10, 3), 1, date(2026, 10, 9)),
    (date(2025, 9, 26), 20, date(2025, 10, 30)),  # Sun 09-28 and Sat 10-11 worked, 10-01..10-08 off
    (date(2026, 12, 1), 20, date(2026, 12, 29)),
])
def test_n_working_days_after(start, n, expected):
    assert CAL.add(start, n) == expected
    assert CAL.add(start, n) == chinese_calendar.find_workday(n, start)


def test_working_days_between():
    assert CAL.between(date(2026, 9, 28), date(2026, 10, 10)) == 5  # the National Day week holds 3 + Sat 10-10
    assert CAL.between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert CAL.between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # Sat 02-14, 02-24..02-27, Sat 02-28
    assert CAL.between(date(2026, 10, 10), date(2026, 9, 28)) == -5
    for start in (date(2026, 9, 28), date(2026, 2, 12), date(2025, 12, 31)):
        for n in range(0, 30):
            assert CAL.between(start, CAL.add(start, n)) == n


def test_a_year_the_package_does_not_know_falls_back_to_monday_to_friday_and_says_so():
    assert 2027 not in PACKAGE_YEARS or pytest.skip("the installed chinesecalendar knows 2027")
    assert CAL.source(2027) == Source.FALLBACK
    assert CAL.missing_years(date(2026, 12, 20), date(2027, 1, 20)) == [2027]
    # 2026-12-20 + 20 working days crosses into 2027: the package raises, the calendar counts Monday–Friday
    with pytest.raises(NotImplementedError):
        chinese_calendar.find_workday(20, date(2026, 12, 20))
    assert CAL.add(date(2026, 12, 20), 20) == date(2027, 1, 18)  # 2027-01-01 a Friday, counted as worked


def test_the_table_overrides_and_makes_a_year_known(app, db):
    with app.app_context():
        # 2027 New Year's Day (Friday) off: entered by central staff before the package knows it
        db.session.add(CalendarDay(day=date(2027, 1, 1), is_workday=False, name="元旦"))
        # a correction inside a known year
        db.session.add(CalendarDay(day=date(2026, 12, 26), is_workday=True, name="调休上班"))
        db.session.commit()
    with app.test_request_context():
        calendar = workdays.current()
        assert calendar.source(2027) == Source.TABLE and calendar.missing_years(date(2027, 3, 1)) == []
        assert not calendar.is_workday(date(2027, 1, 1))
        assert calendar.is_workday(date(2026, 12, 26))
        assert workdays.add_workdays(date(2026, 12, 20), 20) == date(2027, 1, 18)  # +Sat 12-26, −Fri 01-01
        assert workdays.workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 1
    with app.app_context():
        db.session.delete(db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2027, 1, 1))))
        db.session.commit()
        assert workdays.current().is_workday(date(2027, 1, 1))  # outside a request, the table is read each time


def _calendar_queries(app) -> list[str]:
    """The statements the app runs on the calendar table from now on."""
    seen: list[str] = []
    with app.app_context():
        engine = _db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        if "calendar_days" in statement:
            seen.append(statement)
    return seen


def test_requests_keep_the_calendar_and_every_process_sees_an_edit_within_seconds(app, db):
    """The ``db`` fixture is another process on the same database: its edit reaches this app's requests once
    ``WORKDAYS_CHECK_SECONDS`` have passed, and until then a request runs no calendar query at all."""
    app.config["WORKDAYS_CHECK_SECONDS"] = 3600
    queries = _calendar_queries(app)
    with app.test_request_context():
        assert workdays.current().is_workday(date(2027, 1, 1))
    assert queries
    db.session.add(CalendarDay(day=date(2027, 1, 1), is_workday=False, name="元旦"))
    db.session.commit()
    queries.clear()
    with app.test_request_context():
        assert workdays.current().is_workday(date(2027, 1, 1))  # kept, unasked
    assert queries == []
    app.config["WORKDAYS_CHECK_SECONDS"] = 0  # as when the seconds have passed
    with app.test_request_context():
        assert not workdays.current().is_workday(date(2027, 1, 1))
        assert workdays.current().is_workday(date(2027, 1, 4))  # one check and one build a request
    assert len(queries) == 2


def test_the_process_that_edits_the_calendar_uses_the_edit_at_once(app):
    with app.test_request_context():
        assert workdays.current().is_workday(date(2027, 1, 1))
        _db.session.add(CalendarDay(day=date(2027, 1, 1), is_workday=False, name="元旦"))
        _db.session.commit()
        workdays.forget()  # as the console's calendar view does after an edit
        assert not workdays.current().is_workday(date(2027, 1, 1))
    with app.test_request_context():
        assert not workdays.current().is_workday(date(2027, 1, 1))


def test_a_list_page_worth_of_deadlines_is_cheap():
    import time

    start = time.perf_counter()
    for i in range(20_000):
        CAL.add(date(2026, 1, 1) + timedelta(days=i % 300), 20)
    assert time.perf_counter() - start < 1.0  # measured ~1.5 µs each
