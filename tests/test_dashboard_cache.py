"""The console home page's counts are counted at most once a minute per scope (issue 10: 0.5–1 s of SQL at
200,000 applications), say when, and come back fresh after a minute; the urgent lists stay live."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.clocks import beijing
from tests.factories import login_as, make_application, make_certificate, make_person
from tests.test_reviewer_helpers import world


@pytest.fixture
def app_config() -> dict:
    return {"DASHBOARD_CACHE_SECONDS": 60}


def count(page: str, name: str) -> int:
    return int(re.search(rf'data-count="{name}">(\d+)<', page).group(1))


def submit(db, name: str, body_code: str = "210000"):
    person = make_person(name=name, body_code=body_code)
    make_certificate(person)
    application = make_application(person)
    db.session.commit()
    return application


def test_counts_are_kept_for_a_minute_and_the_page_says_when(client, db, time_machine):
    time_machine.move_to(beijing(2026, 11, 24, 10, 0), tick=False)
    w = world(db)
    login_as(client, w.central)
    first = client.get("/reviewer/").get_data(as_text=True)
    assert count(first, "submitted") == 2
    assert "统计数字每60秒更新一次，以下数字统计于 2026-11-24 10:00:00" in first

    added = submit(db, "钱学森")
    time_machine.move_to(beijing(2026, 11, 24, 10) + timedelta(seconds=30), tick=False)
    kept = client.get("/reviewer/").get_data(as_text=True)
    assert count(kept, "submitted") == 2  # counted at 10:00:00, still shown at 10:00:30
    assert "10:00:00" in kept

    time_machine.move_to(beijing(2026, 11, 24, 10) + timedelta(seconds=61), tick=False)
    fresh = client.get("/reviewer/").get_data(as_text=True)
    assert count(fresh, "submitted") == 3 and "10:01:01" in fresh
    assert added.number  # (the new application itself is in the list of the queue, not on this page)


def test_each_scope_keeps_its_own_counts(client, db, time_machine):
    time_machine.move_to(beijing(2026, 11, 24, 10, 0), tick=False)
    w = world(db)
    login_as(client, w.central)
    assert count(client.get("/reviewer/").get_data(as_text=True), "submitted") == 2
    login_as(client, w.reviewer_a)
    assert count(client.get("/reviewer/").get_data(as_text=True), "submitted") == 1  # body A only
    login_as(client, w.reviewer_b)
    assert count(client.get("/reviewer/").get_data(as_text=True), "submitted") == 1


def test_the_note_is_translated_and_absent_without_a_cache(app, client, db, time_machine):
    time_machine.move_to(beijing(2026, 11, 24, 10, 0), tick=False)
    w = world(db)
    login_as(client, w.central)
    client.get("/lang/en")
    assert "The counts are updated every 60 seconds" in client.get("/reviewer/").get_data(as_text=True)
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    page = client.get("/reviewer/").get_data(as_text=True)
    assert "data-figures-at" not in page and count(page, "submitted") == 2
