"""The outbox in one process (MAIL_DELIVERY=inline, a real SMTP server on loopback): every change an applicant
cares about writes one message, sent after the commit with a text and an HTML part; a rolled-back change writes
none; a refused message is kept as failed and central staff can 重试 it in the console (邮件发送); the renewal
reminders come once per certificate and kind, also across two runs on one day and after missed days.

The worker process, Redis, kill -9 and an SMTP outage are in ``test_mail_queue.py``."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.clock import utcnow
from portal.models import ApplicationStatus, AuditLog, OutboxMessage, ReminderSent, StaffRole
from portal.services.accounts.staff_accounts import reset_applicant_password
from portal.services.corrections import apply_correction, file_correction
from portal.services.infrastructure import outbox
from portal.services.notifications.reminders import run_reminders
from portal.services.review import transitions
from tests.factories import login_as, make_application, make_certificate, make_person, make_staff
from tests.smtp_server import html_text, plain_text, smtp_server  # noqa: F401
from tests.test_reviewer_helpers import post, text

S = ApplicationStatus


@pytest.fixture
def app_config(smtp_server):  # noqa: F811 - the fixture imported above
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def rows(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def wait_for_state(db, state: str, count: int = 1, timeout: float = 5) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [row for row in rows(db) if row.state == state]
        if len(found) >= count:
            return found
        time.sleep(0.03)
    raise AssertionError(f"no {count} {state} message(s): {[(r.template, r.state) for r in rows(db)]}")


# --- the messages ------------------------------------------------------------------------------------------------

def test_submitting_mails_what_to_print_and_where_to_send_it(app, db, smtp_server):  # noqa: F811
    person = make_person(name="王建国", email="wang@example.com", body_code="210000")
    make_certificate(person)
    application = make_application(person, status=S.DRAFT)
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        draft = session_db.session.merge(application)
        transitions.submit(draft, draft.person, {"body": {"name": "辽宁省应急管理厅"}}, utcnow())
        session_db.session.commit()
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "wang@example.com"
    assert message["Subject"].startswith("【注册安全工程师注册管理系统】延续注册申请已上报（申请编号 YX")
    body = plain_text(message)
    assert "导出申请表" in body and "加盖公章" in body and "辽宁省应急管理厅" in body
    html = html_text(message)
    assert "<p" in html and "辽宁省应急管理厅" in html
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] == rows(db)[0].message_id


def test_a_reason_is_quoted_and_escaped_in_the_html_part(app, db, smtp_server):  # noqa: F811
    person = make_person(email="wang@example.com")
    make_certificate(person)
    application = make_application(person)
    reviewer = make_staff("reviewer", body_code=person_body_code(person))
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        transitions.return_for_changes(session_db.session.merge(application), session_db.session.merge(reviewer),
                                       "缺少<b>盖章</b>的继续教育证明", utcnow())
        session_db.session.commit()
    message = smtp_server.wait_for(1)[0]
    assert "缺少<b>盖章</b>的继续教育证明" in plain_text(message)
    assert "缺少&lt;b&gt;盖章&lt;/b&gt;的继续教育证明" in html_text(message)


def person_body_code(person) -> str:
    return person.body.code


def test_a_change_that_rolls_back_writes_and_sends_nothing(app, db, smtp_server):  # noqa: F811
    person = make_person(email="wang@example.com")
    make_certificate(person)
    application = make_application(person)
    reviewer = make_staff("reviewer", body_code=person_body_code(person))
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        transitions.initial_pass(session_db.session.merge(application), session_db.session.merge(reviewer),
                                 utcnow())
        assert session_db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        session_db.session.rollback()
    time.sleep(0.3)
    assert rows(db) == [] and smtp_server.messages == []


def test_identity_correction_and_temporary_password_mail_without_the_password(app, db, smtp_server):  # noqa: F811
    person = make_person(name="王建国", email="wang@example.com")
    make_certificate(person)
    reviewer = make_staff("reviewer", body_code=person_body_code(person))
    central = make_staff("central", role=StaffRole.CENTRAL)
    correction = file_correction(person, reviewer, {"name": "王建华"}, reason="录入错误", fax_date=clock.today(),
                                 fax_pages=1, scan=None, max_scan_bytes=1000, now=utcnow(), today=clock.today())
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        apply_correction(session_db.session.merge(correction), session_db.session.merge(central), utcnow())
        session_db.session.commit()
    corrected = smtp_server.wait_for(1)[0]
    assert corrected["Subject"] == "【注册安全工程师注册管理系统】证件信息已更正" and "姓名" in plain_text(corrected)

    smtp_server.clear()
    person = make_person(name="李明", email=None)
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        password = reset_applicant_password(session_db.session.merge(person), session_db.session.merge(reviewer),
                                            utcnow())
        session_db.session.commit()
    assert password and [row.template for row in rows(db)] == ["identity_corrected"]  # no email: no mail
    with app.app_context():  # the template itself: where to collect it, never the password
        rendered = outbox.render("temporary_password", {"name": "李明", "when": "2026年11月27日 10:00",
                                                        "body_name": "辽宁省应急管理厅", "body_phone": "024-1",
                                                        "portal_url": "http://x/"})
    assert "领取临时密码" in rendered.text and "不会通过邮件发送" in rendered.text


def test_every_template_renders_a_subject_text_and_html(app):
    from pathlib import Path

    names = sorted(path.stem for path in (Path(app.root_path) / "templates" / "mail").glob("[!_]*.txt"))
    assert len(names) == 20
    params = {"name": "王建国", "number": "YX202600000001", "kind": "延续注册", "when": "2026年11月27日 10:00",
              "body_name": "辽宁省应急管理厅", "body_address": "沈阳市", "body_phone": "024-1", "reason": "理由",
              "until": "2031年12月31日", "fields": "姓名", "how": "修改密码", "link": "http://x/r/abc", "minutes": 30,
              "certificate_number": "ZA001", "opens": "2026年09月30日", "days": 30, "portal_url": "http://x/",
              "day": "2026年10月20日", "overdue": [], "soon": [{"number": "YX1", "name": "王建国", "step": "初审",
                                                               "due": "2026-10-26", "remaining": 4}],
              "listed": 30, "console_url": "http://x/reviewer/"}
    with app.app_context():
        for name in names:
            rendered = outbox.render(name, params)
            assert rendered.subject and "【注册安全工程师注册管理系统】" in rendered.subject, name
            assert "王建国" in rendered.text and "<html" in rendered.html, name
        english = sorted(path.stem for path in (Path(app.root_path) / "templates" / "mail" / "en").glob("[!_]*.txt"))
        assert english == ["application_submit", "application_submit_upload", "application_withdraw",
                           "password_changed", "reset_link"]
        for name in english:
            rendered = outbox.render(name, {**params, "lang": "en"})
            assert rendered.subject.startswith("[Registered Safety Engineer Registration]"), name
            assert "Dear 王建国" in rendered.text and '<html lang="en">' in rendered.html, name


# --- failure, console, 重试 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9,
                                         "MAIL_MAX_ATTEMPTS": 2, "MAIL_RETRY_SECONDS": 0.05}])
def test_a_message_given_up_on_is_shown_to_central_staff_who_can_retry_it(app, client, db):
    person = make_person(email="wang@example.com")
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        outbox.mail_person(session_db.session.merge(person), "password_changed", when="2026年11月27日 10:00", how="",
                           portal_url="http://x/")
        session_db.session.commit()
    failed = wait_for_state(db, "failed")[0]
    assert failed.attempts == 2 and "Connection refused" in failed.last_error

    reviewer = make_staff("reviewer")
    central = make_staff("central", role=StaffRole.CENTRAL)
    db.session.commit()
    login_as(client, reviewer)
    assert client.get("/reviewer/outbox/").status_code == 403  # central staff only
    login_as(client, central)
    page = text(client.get("/reviewer/outbox/?flt0_0=failed"))
    assert "wang@example.com" in page and "登录密码已修改" in page and "发送失败" in page
    detail = text(client.get(f"/reviewer/outbox/details/?id={failed.id}"))
    assert "Connection refused" in detail and "重试" in detail

    app.config["MAIL_MAX_ATTEMPTS"] = 1  # still down: the retry is tried once more, then kept as failed again
    response = post(client, "/reviewer/outbox/retry/", {"id": failed.id})
    assert response.status_code == 302
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "mail.retry")).staff_id == central.id
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (rows(db)[0].state, rows(db)[0].attempts) != ("failed", 1):
        time.sleep(0.03)
    assert (rows(db)[0].state, rows(db)[0].attempts) == ("failed", 1)
    refused = post(client, "/reviewer/outbox/retry/", {"id": failed.id})  # a second retry while failed is fine
    assert refused.status_code == 302


def test_retry_is_refused_for_a_message_that_was_sent(app, client, db, smtp_server):  # noqa: F811
    person = make_person(email="wang@example.com")
    central = make_staff("central", role=StaffRole.CENTRAL)
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        outbox.mail_person(session_db.session.merge(person), "password_changed", when="x", how="", portal_url="/")
        session_db.session.commit()
    sent = wait_for_state(db, "sent")[0]
    login_as(client, central)
    response = post(client, "/reviewer/outbox/retry/", {"id": sent.id}, follow_redirects=True)
    assert "只有发送失败的邮件可以重试" in text(response)
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1


# --- reminders ------------------------------------------------------------------------------------------------------

def holder(db, *, days_left: int, email: str | None = "wang@example.com", status=None):
    person = make_person(email=email)
    certificate = make_certificate(person, days_left=days_left)
    if status is not None:
        make_application(person, status=status)
    db.session.commit()
    return person, certificate


def reminders(app, day: date):
    with app.app_context():
        return run_reminders(day)


def ledger(db) -> list[tuple[str, bool]]:
    db.session.expire_all()
    return [(row.kind, row.outbox_id is not None)
            for row in db.session.scalars(select(ReminderSent).order_by(ReminderSent.id))]


def test_reminders_come_once_each_across_runs_and_days(app, db, smtp_server):  # noqa: F811
    today = clock.today()
    person, certificate = holder(db, days_left=60)  # window open (3 months), 30 and 7 days still ahead
    first = reminders(app, today)
    again = reminders(app, today)  # a second run the same day
    assert (first.mailed, again.mailed) == (1, 0)
    assert ledger(db) == [("window_open", True)]
    message = smtp_server.wait_for(1)[0]
    assert "已可以申请延续注册" in message["Subject"] and certificate.number in plain_text(message)

    assert reminders(app, certificate.valid_until - timedelta(days=31)).mailed == 0  # nothing new due
    assert reminders(app, certificate.valid_until - timedelta(days=30)).mailed == 1
    assert reminders(app, certificate.valid_until - timedelta(days=29)).mailed == 0
    # the scheduler was down from day 29 to day 5 before expiry: 7 days' reminder is caught up, once
    assert reminders(app, certificate.valid_until - timedelta(days=5)).mailed == 1
    assert reminders(app, certificate.valid_until - timedelta(days=5)).mailed == 0
    assert ledger(db) == [("window_open", True), ("days_30", True), ("days_7", True)]
    subjects = [m["Subject"] for m in smtp_server.wait_for(3)]
    assert sum("还有30天到期" in s for s in subjects) == 1 and sum("还有5天到期" in s for s in subjects) == 1


def test_after_a_long_gap_only_the_most_urgent_reminder_is_mailed(app, db, smtp_server):  # noqa: F811
    person, certificate = holder(db, days_left=6)
    run = reminders(app, clock.today())
    assert (run.mailed, run.superseded) == (1, 2)
    assert ledger(db) == [("window_open", False), ("days_30", False), ("days_7", True)]
    assert "还有6天到期" in smtp_server.wait_for(1)[0]["Subject"]


def test_no_reminder_once_submitted_nor_without_email_nor_outside_the_window(app, db, smtp_server):  # noqa: F811
    holder(db, days_left=20, status=S.SUBMITTED)
    holder(db, days_left=20, status=S.RETURNED)
    holder(db, days_left=20, email=None)
    holder(db, days_left=200)
    holder(db, days_left=-1)
    assert reminders(app, clock.today()).mailed == 0
    _, certificate = holder(db, days_left=20, status=S.DRAFT)  # a draft is not submitted: reminded
    assert reminders(app, clock.today()).mailed == 1
    assert ledger(db) == [("window_open", False), ("days_30", True)]


def test_renewal_starts_a_new_period_of_reminders(app, db, smtp_server):  # noqa: F811
    person, certificate = holder(db, days_left=5)
    assert reminders(app, clock.today()).mailed == 1
    certificate.valid_until = certificate.valid_until.replace(year=certificate.valid_until.year + 5)
    db.session.commit()
    assert reminders(app, certificate.valid_until - timedelta(days=5)).mailed == 1
    assert len(ledger(db)) == 6


def test_the_reminder_command_runs_the_pass(app, db, smtp_server):  # noqa: F811
    holder(db, days_left=40)
    result = app.test_cli_runner().invoke(args=["mail", "reminders"])
    assert result.exit_code == 0 and "发出 1 封" in result.output
    assert len(smtp_server.messages) == 1  # the command waited for its in-process delivery
    again = app.test_cli_runner().invoke(args=["mail", "reminders"])
    assert "发出 0 封" in again.output
    status = app.test_cli_runner().invoke(args=["mail", "status"])
    assert "sent: 1" in status.output


# --- the daily deadline digest to the registration bodies ------------------------------------------------------------

def test_each_body_gets_one_digest_a_day_of_its_applications_near_or_over_their_limit(app, db, smtp_server,  # noqa: F811
                                                                                     time_machine):
    from portal.models import Body
    from portal.services.notifications.digest import run_digest
    from tests.clocks import BEIJING, beijing

    time_machine.move_to(beijing(2026, 10, 20, 9, 30), tick=False)
    liaoning = db.session.scalar(select(Body).where(Body.code == "210000"))
    liaoning.email = "shenhe@ln.example.cn"
    jilin = db.session.scalar(select(Body).where(Body.code == "220000"))
    jilin.email = "shenhe@jl.example.cn"  # nothing near its limit: no digest
    for name, day in (("王甲", date(2026, 9, 15)), ("王乙", date(2026, 9, 21)), ("王丙", date(2026, 10, 19))):
        person = make_person(name=name, body_code="210000")
        make_certificate(person, valid_until=date(2027, 6, 30))
        application = make_application(person)
        application.submitted_at = datetime_at(day, BEIJING)
    db.session.commit()
    with app.app_context():
        first = run_digest()
        again = run_digest()
    assert (first.mailed, again.mailed, again.already) == (1, 0, 1)
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "shenhe@ln.example.cn"
    assert "已超期 1 件，即将超期 1 件" in message["Subject"]
    body = plain_text(message)
    assert "王甲" in body and "王乙" in body and "王丙" not in body  # 10-19's is far from its limit
    assert message["Message-ID"] == "<deadline-digest.210000.20261020@localhost>"


def datetime_at(day: date, zone):
    from datetime import datetime, time

    return datetime.combine(day, time(10), tzinfo=zone)


def test_the_demo_data_mails_nobody(app, db, smtp_server):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    time.sleep(0.3)
    assert rows(db) == [] and smtp_server.messages == []  # its made-up history wrote no mail


def test_an_applicant_reading_in_english_gets_their_own_mails_in_english(app, client, db, applicant,
                                                                         smtp_server):  # noqa: F811
    from tests.accounts_helpers import post_form

    client.get("/lang/en")
    post_form(client, "/applicant/forgot-password", {"name": applicant.name, "id_type": "resident_id",
                                                     "id_number": applicant.id_number, "email": applicant.email})
    message = smtp_server.wait_for(1)[0]
    assert message["Subject"] == "[Registered Safety Engineer Registration] Reset your password"
    assert "Open the link below within 30 minutes" in plain_text(message)
    assert '<html lang="en">' in html_text(message)
    assert rows(db)[0].params["lang"] == "en"
    with app.app_context():  # a staff decision, or a template without an English version: Chinese
        assert outbox.render("application_return", {"lang": "en", "name": "王", "kind": "延续注册", "number": "1",
                                                    "body_name": "x", "reason": "y", "portal_url": "/"}
                             ).subject.startswith("【注册安全工程师注册管理系统】")


@pytest.mark.parametrize("app_config", [{"MAIL_DELIVERY": "queue", "MAIL_BACKEND": "log",
                                         "MAIL_SEND_LEASE_SECONDS": 120, "MAIL_SWEEP_GRACE_SECONDS": 60}])
def test_a_row_held_by_a_dead_worker_is_handed_out_once_its_lease_runs_out(app, db, time_machine):
    """The claim without the send: what a worker killed mid-send leaves. Nobody may take the row while the lease
    runs; afterwards the sweep finds it and one delivery sends it, with its Message-ID, once."""
    from portal.clock import utcnow as now

    time_machine.move_to(now(), tick=False)
    person = make_person(email="wang@example.com")
    db.session.commit()
    with app.app_context():
        from portal.extensions import db as session_db

        message = outbox.mail_person(session_db.session.merge(person), "password_changed", when="x", how="",
                                     portal_url="/")
        pair = (message.id, message.message_id)
        session_db.session.info.pop("outbox_new", None)  # no queue here: the test plays the workers
        session_db.session.commit()
        assert outbox.claim(*pair) == 1  # a worker took it ... and died
        assert outbox.due_rows() == [] and outbox.claim(*pair) is None  # held: nobody else may send it
        time_machine.shift(121)
        assert outbox.due_rows() == [pair]  # the lease ran out: the sweep hands it out
        assert outbox.deliver(*pair) is None and outbox.deliver(*pair) is None  # a second job finds it sent
    row = rows(db)[0]
    assert (row.state, row.attempts, row.message_id) == ("sent", 2, pair[1])


def test_a_released_savepoint_hands_nothing_to_the_delivery_before_the_commit(app, db, monkeypatch):
    """A message written inside a savepoint (bulk decisions, 上报) waits for the real commit: handing it out when
    the savepoint is released sent mail for a change that could still roll back (and on SQLite the delivery
    thread then met the request's write lock)."""
    handed: list[list] = []
    monkeypatch.setattr(outbox, "dispatch", lambda pairs, countdown=None: handed.append(list(pairs)))
    person = make_person(email="wang@example.com")
    db.session.commit()
    with db.session.begin_nested():
        outbox.mail_person(person, "password_changed")
    assert handed == []
    db.session.commit()
    assert len(handed) == 1 and len(handed[0]) == 1
