"""Statutory deadlines in working days: computed from an application's events and from a list row's own dates (the
two agree), 即将超期/已超期 in SQL, and what the queue, the dashboard and its JSON show — across the 2026 Mid-Autumn
and National Day holidays (09-25..27, 10-01..10-07; Sun 09-20 and Sat 10-10 worked)."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.models import Application, ApplicationEvent, ApplicationStatus, AuditLog, StaffRole
from portal.services.review import deadlines
from portal.services.review.deadlines import State, Urgency
from tests.clocks import BEIJING, beijing
from tests.factories import login_as, make_application, make_certificate, make_person, make_staff
from tests.test_reviewer_helpers import post, text

S = ApplicationStatus
TODAY = date(2026, 10, 20)  # a Tuesday, two weeks after National Day


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BEIJING)


def submitted(person, day: date, *, status: S = S.SUBMITTED, body_code: str | None = None, passed: date | None = None):
    """An application submitted (上报) on ``day`` (Beijing), with its event; 初审通过 on ``passed``."""
    application = make_application(person, status=status, body_code=body_code)
    application.submitted_at = at(day)
    application.events.append(ApplicationEvent(action="submit", from_status=S.DRAFT, to_status=S.SUBMITTED,
                                               created_at=at(day)))
    if passed is not None:
        application.decided_at = at(passed)
        application.events.append(ApplicationEvent(action="initial_pass", from_status=S.SUBMITTED,
                                                   to_status=S.INITIAL_PASSED, created_at=at(passed)))
    return application


@pytest.fixture
def clock_today(time_machine):
    time_machine.move_to(beijing(2026, 10, 20, 9, 30), tick=False)


@pytest.fixture
def queue(db, clock_today):
    """Four applications in Liaoning's 初审 queue, one passed to the center, one in Jilin; committed."""
    w = SimpleNamespace()
    w.reviewer = make_staff("shenhe", body_code="210000")
    w.central = make_staff("zhongxin", role=StaffRole.CENTRAL)
    people = []
    for name in ("甲", "乙", "丙", "丁", "戊"):
        person = make_person(name=f"王{name}")
        make_certificate(person, valid_until=date(2027, 6, 30))
        people.append(person)
    # 上报 on Friday 09-25, a Mid-Autumn holiday: counted from Monday 09-28, due 10-30 across National Day
    w.a = submitted(people[0], date(2026, 9, 25))
    w.b = submitted(people[1], date(2026, 9, 15))  # due 10-19: overdue by 1
    w.c = submitted(people[2], date(2026, 9, 21))  # due 10-26: 4 left (amber)
    w.d = submitted(people[3], date(2026, 10, 19))  # 19 left
    # a renewal passed to the center on 10-16 whose certificate expires on 10-22: the expiry comes first
    people[4].current_certificate.valid_until = date(2026, 10, 22)
    w.e = submitted(people[4], date(2026, 9, 28), status=S.INITIAL_PASSED, passed=date(2026, 10, 16))
    jilin = make_person(name="赵丽", body_code="220000")
    make_certificate(jilin)
    w.f = submitted(jilin, date(2026, 9, 1))  # Jilin: long overdue
    db.session.commit()
    return w


def test_row_deadlines_across_the_national_day_holidays(app, queue):
    with app.test_request_context():
        rows = {name: deadlines.application_row_deadline(getattr(queue, name)) for name in "abcde"}
    a, b, c, d, e = (rows[name] for name in "abcde")
    assert (a.due, a.waited, a.remaining, a.state) == (date(2026, 10, 30), 12, 8, State.OK)
    assert (b.due, b.waited, b.remaining, b.state) == (date(2026, 10, 19), 21, -1, State.OVERDUE)
    assert (c.due, c.waited, c.remaining, c.state) == (date(2026, 10, 26), 16, 4, State.SOON)
    assert (d.due, d.waited, d.remaining, d.state) == (date(2026, 11, 16), 1, 19, State.OK)
    assert (e.step, e.due, e.waited, e.remaining, e.state) == ("renewal_expiry", date(2026, 10, 22), 2, 2, State.SOON)


def test_deadlines_from_the_events_agree_with_the_row(app, db, queue):
    application = queue.a
    with app.test_request_context():
        limits = {d.step: d for d in deadlines.deadlines_for(application)}
        # 补正 within 5 working days of 09-25 (a holiday, so from 09-28): 09-29, 09-30, 10-08, 10-09, Sat 10-10 —
        # passed in silence (the application counts as accepted)
        assert limits["correction_notice"].due == date(2026, 10, 10)
        assert limits["correction_notice"].state is State.OVERDUE
        assert limits["initial_review"].due == deadlines.application_row_deadline(application).due
        # the renewal must be decided before the certificate expires
        assert limits["renewal_expiry"].due == date(2027, 6, 30)


def test_a_returned_and_resubmitted_application_starts_again(app, db, clock_today):
    person = make_person()
    make_certificate(person, valid_until=date(2027, 3, 1))
    application = submitted(person, date(2026, 9, 15), status=S.INITIAL_PASSED)
    for action, day, to in (("return", date(2026, 9, 18), S.RETURNED), ("resubmit", date(2026, 10, 12), S.SUBMITTED),
                            ("initial_pass", date(2026, 10, 14), S.INITIAL_PASSED)):
        application.events.append(ApplicationEvent(action=action, to_status=to, created_at=at(day)))
    application.submitted_at, application.decided_at = at(date(2026, 10, 12)), at(date(2026, 10, 14))
    db.session.commit()
    with app.test_request_context():
        limits = {d.step: d for d in deadlines.deadlines_for(application)}
        row = deadlines.application_row_deadline(application)
    assert limits["correction_notice"].due == date(2026, 10, 19) and limits["correction_notice"].state is State.DONE
    assert limits["initial_review"].state is State.DONE
    assert limits["approval"].due == date(2026, 11, 11) and limits["approval"].remaining == 16
    assert (row.step, row.due, row.remaining, row.waited) == ("approval", date(2026, 11, 11), 16, 4)


def test_urgency_in_sql_matches_the_rows(app, db, queue):
    with app.test_request_context():
        def ids(urgency):
            query = select(Application.id).where(deadlines.urgency_condition(urgency)).order_by(Application.id)
            return set(db.session.scalars(query))

        assert ids(Urgency.OVERDUE) == {queue.b.id, queue.f.id}
        assert ids(Urgency.SOON) == {queue.c.id, queue.e.id}
        by_body = deadlines.near_or_over_by_body()
    liaoning, jilin = queue.a.body_id, queue.f.body_id
    assert by_body[liaoning] == {"soon": 2, "overdue": 1} and by_body[jilin] == {"soon": 0, "overdue": 1}
    with app.test_request_context():
        assert deadlines.near_or_over_by_body(statuses=(S.SUBMITTED,))[liaoning] == {"soon": 1, "overdue": 1}


def test_the_queue_shows_waiting_and_remaining_oldest_first(app, client, db, queue):
    login_as(client, queue.reviewer)
    page = client.get(_url(app, status="submitted"))
    body = page.get_data(as_text=True)
    shown = text(page)
    numbers = [queue.b.number, queue.c.number, queue.a.number, queue.d.number]
    positions = [shown.index(number) for number in numbers]
    assert positions == sorted(positions), "oldest first"
    assert queue.f.number not in shown  # another body's
    assert "已等待12个工作日" in shown and "剩余8个工作日" in shown
    assert "已超期1个工作日" in shown and "剩余4个工作日" in shown
    assert 'class="deadline deadline-overdue"' in body and 'class="deadline deadline-soon"' in body
    assert "flt" in body and "注册机构" not in _filter_menu(body)  # reviewers have no body filter


def _filter_menu(body: str) -> str:
    start = body.find('class="dropdown-menu field-filters"')
    return body[start:body.find("</ul>", start)] if start >= 0 else ""


def _url(app, **filters) -> str:
    view = next(v for v in app.extensions["reviewer_console"]._views if v.endpoint == "reviewer_applications")
    with app.test_request_context():
        return view.filtered_url(**filters)


def test_the_queue_filters_overdue_and_soon(app, client, db, queue):
    login_as(client, queue.reviewer)
    overdue = text(client.get(_url(app, urgency="overdue")))
    assert queue.b.number in overdue and queue.c.number not in overdue and queue.a.number not in overdue
    soon = text(client.get(_url(app, status="submitted", urgency="soon")))
    assert queue.c.number in soon and queue.b.number not in soon and queue.e.number not in soon


def test_central_filters_every_list_by_body(app, client, db, queue):
    login_as(client, queue.central)
    page = client.get(_url(app, body_code="220000"))
    assert queue.f.number in text(page) and queue.a.number not in text(page)
    assert "吉林省" in _filter_menu(page.get_data(as_text=True)) or "注册机构" in page.get_data(as_text=True)
    both = text(client.get(_url(app, urgency="overdue")))
    assert queue.f.number in both and queue.b.number in both
    for path in ("/reviewer/people/", "/reviewer/corrections/", "/reviewer/audit/"):
        view = next(v for v in app.extensions["reviewer_console"]._views if v.url == path.rstrip("/"))
        index = next(i for i, f in enumerate(view._filters) if type(f).__name__ == "BodyFilter")
        arg = view.get_filter_arg(index, view._filters[index])
        response = client.get(f"{path}?flt0_{arg}=220000")
        assert response.status_code == 200, path
    people = text(client.get("/reviewer/people/?flt0_" + _people_arg(app) + "=220000"))
    assert "赵丽" in people and "王甲" not in people


def _people_arg(app) -> str:
    view = next(v for v in app.extensions["reviewer_console"]._views if v.endpoint == "reviewer_people")
    index = next(i for i, f in enumerate(view._filters) if type(f).__name__ == "BodyFilter")
    return view.get_filter_arg(index, view._filters[index])


def test_the_dashboard_puts_overdue_first_and_serves_its_chart(app, client, db, queue):
    login_as(client, queue.reviewer)
    page = client.get("/reviewer/")
    body = page.get_data(as_text=True)
    assert 'data-count="overdue">1<' in body and 'data-count="soon">1<' in body
    assert body.index('data-urgent="overdue"') < body.index('data-urgent="soon"')
    assert text(page).index(queue.b.number) < text(page).index(queue.c.number)
    data = client.get("/reviewer/dashboard.json").get_json()
    # waited: b 21 (over 20), c 16, a 12, d 1
    assert data["charts"]["age"]["values"] == [1, 0, 1, 1, 1]
    assert data["urgency"] == {"soon": 1, "overdue": 1}
    assert "bodies" not in data["charts"]


def test_the_central_dashboard_compares_bodies_and_lists_expiring_renewals(app, client, db, queue):
    login_as(client, queue.central)
    page = client.get("/reviewer/")
    shown = text(page)
    assert "各注册机构待初审申请" in shown and "辽宁省" in shown and "吉林省" in shown
    assert "即将到期仍未办结的延续注册（1）" in shown and queue.e.number in shown
    data = client.get("/reviewer/dashboard.json").get_json()
    bodies = data["charts"]["bodies"]
    assert sorted(bodies["values"]) == [1, 4] and "overdue" in bodies["classes"]
    assert data["urgency"] == {"soon": 2, "overdue": 2}


def test_the_calendar_table_is_central_only_audited_and_used_at_once(app, client, db, queue):
    login_as(client, queue.reviewer)
    assert client.get("/reviewer/calendar/").status_code == 403
    login_as(client, queue.central)
    response = post(client, "/reviewer/calendar/new/", {"day": "2026-10-21", "is_workday": "0", "name": "测试休息日"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "calendar_day.create")) == 1
    with app.test_request_context():
        assert deadlines.application_row_deadline(queue.a).due == date(2026, 11, 2)  # one day later
    again = post(client, "/reviewer/calendar/new/", {"day": "2026-10-21", "is_workday": "1", "name": "重复"})
    assert again.status_code == 200 and "该日期已有记录" in text(again)


def test_every_demo_reviewer_has_a_queue_of_several_ages(app, db, clock_today):
    from portal.models import Staff
    from portal.services.data.demo import load_demo_data
    from portal.services.review import dashboard

    with app.app_context():
        load_demo_data()
        from portal.extensions import db as app_db

        app_db.session.commit()
    with app.test_request_context():
        staff = {s.username: s for s in db.session.scalars(select(Staff))}
        for username in ("shenhe_ln", "shenhe_bj"):
            data = dashboard.build(staff[username])
            assert data["urgency"]["overdue"] >= 2 and data["urgency"]["soon"] >= 2, username
            assert sum(1 for value in data["age"]["values"] if value) >= 4, username  # several ages
        central = dashboard.build(staff["zhongxin"])
        assert central["expiring"]["count"] >= 2 and len(central["bodies"]) == 2
        assert central["center_age"]["values"] != [0, 0, 0, 0, 0]


def test_the_detail_page_lists_every_limit(app, client, db, queue):
    login_as(client, queue.reviewer)
    page = client.get(f"/reviewer/applications/details/?id={queue.a.id}")
    body = page.get_data(as_text=True)
    assert 'data-step="correction_notice" data-state="overdue"' in body
    assert 'data-step="initial_review" data-state="ok"' in body and 'data-step="renewal_expiry"' in body
    shown = text(page)
    assert "法定期限" in shown and "至 2026-10-30" in shown and "剩余8个工作日" in shown
