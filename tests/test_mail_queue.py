"""Mail through the outbox, a real Celery worker process on a real Redis and a real SMTP server (aiosmtpd):
a committed change is mailed exactly once, a rolled-back one never; a worker killed mid-batch (kill -9) and
restarted loses nothing and sends nothing twice; while the SMTP server is down the messages wait and go out when
it is back; an enqueue lost on the way is found by the sweep.

Each test has its own queue name on Redis database 11 and removes its keys afterwards; the worker runs on the
test's database (SQLite file or PostgreSQL) and, under ``--clock``, on the test's clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.models import ApplicationStatus, OutboxMessage, StaffRole
from portal.services.accounts import applicants as accounts
from portal.services.infrastructure import outbox
from portal.services.review import transitions
from tests.accounts_helpers import post_form
from tests.factories import PASSWORD, make_application, make_certificate, make_person, make_staff
from tests.smtp_server import HOST, SmtpServer, _CollectingHandler, plain_text

REDIS_URL = "redis://127.0.0.1:6379/11"
ROOT = Path(__file__).resolve().parent.parent
S = ApplicationStatus
LEASE = 3


# --- the parts: Redis queue, SMTP server, worker ---------------------------------------------------------------

@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this test's own on Redis db 11; its keys (and its jobs held as unacked) are removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({error}); start it: redis-server --daemonize yes")
    name = f"portal-test-{secrets.token_hex(6)}"
    yield name
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    for tag, payload in client.hscan_iter("unacked"):
        try:
            mine = json.loads(payload)[2] == name
        except (ValueError, IndexError, TypeError):
            mine = False
        if mine:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    client.close()


class SlowHandler(_CollectingHandler):
    """Collects messages; each RCPT takes ``delay`` seconds (a worker is then mid-send most of the time)."""

    def __init__(self, server: SmtpServer, delay: float = 0.0) -> None:
        super().__init__(server)
        self.delay = delay

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class ControlledSmtp:
    """An SMTP server on a fixed port that a test starts, stops and slows down."""

    def __init__(self, delay: float = 0.0) -> None:
        # the port stays bound (not listening) until start(): connections are refused, and nobody else takes it
        self.placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.placeholder.bind((HOST, 0))
        self.server = SmtpServer(host=HOST, port=self.placeholder.getsockname()[1])
        self.delay = delay
        self.controller: Controller | None = None

    def start(self) -> None:
        self.placeholder.close()
        self.controller = Controller(SlowHandler(self.server, self.delay), hostname=HOST, port=self.server.port,
                                     ready_timeout=5.0)
        self.controller.start()

    def stop(self) -> None:
        self.placeholder.close()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[ControlledSmtp]:
    server = ControlledSmtp()
    server.start()
    yield server
    server.stop()


def queue_config(queue: str, port: int) -> dict:
    return {"MAIL_DELIVERY": "queue", "MAIL_QUEUE_URL": REDIS_URL, "MAIL_QUEUE_NAME": queue, "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": HOST, "MAIL_PORT": port, "MAIL_TIMEOUT": 2, "MAIL_SEND_LEASE_SECONDS": LEASE,
            "MAIL_RETRY_SECONDS": 0.3, "MAIL_RETRY_MAX_SECONDS": 1, "MAIL_SWEEP_GRACE_SECONDS": 0}


@pytest.fixture
def app_config(queue_name, smtp) -> dict:
    return queue_config(queue_name, smtp.server.port)


class Worker:
    """``celery -A portal.worker worker`` as its own process, on the test's database, queue and SMTP server."""

    def __init__(self, database_url: str, config: dict, log: Path) -> None:
        self.env = {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
        self.env.update({f"PORTAL_{key}": str(value) for key, value in config.items()})
        self.queue = config["MAIL_QUEUE_NAME"]
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        if time_machine.escape_hatch.is_travelling():  # the run's clock is moved: move the worker's with it
            real = datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
            self.env["PORTAL_TEST_CLOCK_OFFSET"] = str((datetime.now(UTC) - real).total_seconds())
        start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "tests.mail_worker", self.queue], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)

        def ready() -> bool:  # on a busy machine the start takes seconds: wait for it, not within the test's limits
            assert self.process.poll() is None, f"the worker exited: {self.log.read_text()[-3000:]}"
            return b" ready." in self.log.read_bytes()[start:]

        wait_until(ready, timeout=90, what="the worker to start")
        return self

    def kill(self) -> None:
        """kill -9: no chance to finish the message it is sending or to give its job back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(database_url, app_config, tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(**overrides) -> Worker:
        started.append(Worker(database_url, {**app_config, **overrides}, tmp_path / "worker.log").start())
        return started[-1]

    yield start
    for process in started:
        process.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition.__name__}")
        time.sleep(0.05)


def states(db) -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(OutboxMessage.state)))


def received_ids(server: SmtpServer) -> list[str]:
    return [message["Message-ID"] for message in list(server.messages)]


# --- tests -------------------------------------------------------------------------------------------------------

def test_each_committed_change_is_mailed_once_and_a_rolled_back_one_never(app, client, db, smtp, worker):
    reviewer = make_staff("reviewer", body_code="210000")
    central = make_staff("central", role=StaffRole.CENTRAL)
    people = [make_person(name=name, email=f"p{index}@example.com") for index, name in
              enumerate(["王建国", "李明", "张丽", "赵强", "孙红", "周杰"])]
    applications = []
    for person in people:
        make_certificate(person)
        applications.append(make_application(person))
    db.session.commit()
    worker()
    now = utcnow()
    with app.app_context():
        from portal.extensions import db as session_db

        def commit(action):
            action()
            session_db.session.commit()

        a = [session_db.session.merge(application) for application in applications]
        r, c = session_db.session.merge(reviewer), session_db.session.merge(central)
        commit(lambda: transitions.initial_pass(a[0], r, now))
        commit(lambda: transitions.approve(a[0], c, now))
        commit(lambda: transitions.return_for_changes(a[1], r, "继续教育证明缺少盖章", now))
        commit(lambda: transitions.submit(a[1], a[1].person, {"body": {"name": "辽宁省应急管理厅"}}, now))  # 重新上报
        commit(lambda: transitions.initial_pass(a[5], r, now))
        commit(lambda: transitions.refuse(a[5], c, "执业单位已注销", now))
        commit(lambda: transitions.initial_reject(a[2], r, "不符合注册条件", now))
        commit(lambda: transitions.withdraw(a[3], a[3].person, now))
        # a decision whose transaction rolls back: its row never existed, nothing may be sent
        transitions.initial_pass(a[4], r, now)
        assert session_db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 9
        session_db.session.rollback()
        person = session_db.session.merge(people[4])
        commit(lambda: accounts.change_password(person, PASSWORD, "Timber-Lantern-2026", "Timber-Lantern-2026", now))
    post_form(client, "/applicant/forgot-password", {"name": "李明", "id_type": "resident_id",
                                                     "id_number": people[1].id_number, "email": "p1@example.com"})
    expected = 10
    wait_until(lambda: len(smtp.server.messages) >= expected and states(db)["sent"] == expected,
               what="the ten mails")
    time.sleep(0.5)  # room for a duplicate or the rolled-back decision to show up
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [row.template for row in rows] == [
        "application_initial_pass", "application_approve", "application_return", "application_submit",
        "application_initial_pass", "application_refuse", "application_initial_reject", "application_withdraw",
        "password_changed", "reset_link"]
    received = [(m["Message-ID"], m["Subject"]) for m in smtp.server.messages]
    assert sorted(received_ids(smtp.server)) == sorted(row.message_id for row in rows), received  # each once
    assert states(db) == Counter({"sent": expected})
    by_template = {row.template: next(m for m in smtp.server.messages if m["Message-ID"] == row.message_id)
                   for row in rows}  # (of a template sent twice, the later)
    returned = by_template["application_return"]
    assert returned["To"] == "p1@example.com" and "退回修改" in returned["Subject"]
    assert "继续教育证明缺少盖章" in plain_text(returned)
    assert "执业证有效期延续至" in plain_text(by_template["application_approve"])
    assert "执业单位已注销" in plain_text(by_template["application_refuse"])
    assert by_template["application_submit"]["To"] == "p1@example.com"  # 重新上报
    assert "/applicant/reset-password/" in plain_text(by_template["reset_link"])
    reset_row = next(row for row in rows if row.template == "reset_link")
    assert reset_row.params["link"] == ""  # the link does not stay in the database once mailed
    assert all(row.attempts == 1 and row.sent_at is not None for row in rows)


def test_a_worker_killed_mid_batch_loses_none_and_sends_none_twice(app, db, worker, queue_name):
    slow = ControlledSmtp(delay=0.15)
    slow.start()
    try:
        people = [make_person(name="王建国", email=f"kill{index}@example.com") for index in range(30)]
        db.session.commit()
        first = worker(MAIL_PORT=slow.server.port)
        with app.app_context():
            from portal.extensions import db as session_db

            for person in people:
                outbox.mail_person(session_db.session.merge(person), "password_changed", when="2026年11月27日 10:00",
                                   how="修改密码", portal_url="http://127.0.0.1:5000/")
            session_db.session.commit()  # one transaction, 30 rows, 30 jobs after the commit

        def mid_batch() -> bool:  # each send waits 0.15 s in RCPT: the worker is nearly always mid-send
            counts = states(db)
            assert counts["sent"] < 25, "the batch ran past the middle unobserved"
            return counts["sent"] >= 5

        wait_until(mid_batch, timeout=60, what="the worker to be in the middle of the batch")
        first.kill()
        held = states(db)
        assert held["sent"] < 30 and held["sending"] <= 1
        worker(MAIL_PORT=slow.server.port)  # restarted: takes the queued jobs; the killed one's row is held
        time.sleep(LEASE + 0.2)  # the dead worker's lease runs out
        with app.app_context():
            outbox.sweep()  # what the scheduler does every minute: hands out the row the dead worker held
        wait_until(lambda: states(db)["sent"] == 30, what="all 30 sent")
        time.sleep(0.5)
        ids = received_ids(slow.server)
        assert len(ids) == 30 and len(set(ids)) == 30  # none lost, none twice
        assert set(ids) == set(db.session.scalars(select(OutboxMessage.message_id)))
    finally:
        slow.stop()


def test_while_the_smtp_server_is_down_messages_wait_then_go_out(app, db, worker, queue_name):
    later = ControlledSmtp()  # its port is chosen but nothing listens yet
    person = make_person(email="wait@example.com")
    db.session.commit()
    worker(MAIL_PORT=later.server.port, MAIL_RETRY_SECONDS=0.3, MAIL_RETRY_MAX_SECONDS=0.6, MAIL_MAX_ATTEMPTS=50)
    with app.app_context():
        from portal.extensions import db as session_db

        for _ in range(3):
            outbox.mail_person(session_db.session.merge(person), "password_changed", when="2026年11月27日 10:00",
                               how="", portal_url="http://127.0.0.1:5000/")
        session_db.session.commit()

    def tried_twice() -> bool:
        db.session.expire_all()
        return all(row.attempts >= 2 and row.state == "pending"  # the second attempt over, not under way
                   for row in db.session.scalars(select(OutboxMessage)))

    wait_until(tried_twice, what="two failed attempts each")
    rows = db.session.scalars(select(OutboxMessage)).all()
    errors = [(row.state, row.attempts, row.last_error) for row in rows]
    assert all(state in ("pending", "sending") and "Connection refused" in (error or "")
               for state, _, error in errors), errors
    later.start()
    try:
        wait_until(lambda: states(db)["sent"] == 3, what="the three mails once the server is back")
        time.sleep(0.5)
        assert len(later.server.messages) == 3 and len(set(received_ids(later.server))) == 3
        db.session.expire_all()
        after = [(row.attempts, row.last_error) for row in db.session.scalars(select(OutboxMessage))]
        assert all(error is None and attempts >= 3 for attempts, error in after), after
    finally:
        later.stop()


def test_an_enqueue_lost_at_the_commit_is_found_by_the_sweep(app, client, db, smtp, worker, applicant, queue_name):
    response = post_form(client, "/applicant/forgot-password", {
        "name": applicant.name, "id_type": "resident_id", "id_number": applicant.id_number, "email": applicant.email})
    assert response.status_code == 302
    redis.Redis.from_url(REDIS_URL).delete(queue_name)  # Redis lost the job (a restart without persistence)
    assert states(db) == Counter({"pending": 1})
    worker(MAIL_SWEEP_GRACE_SECONDS=3600)  # its start-up sweep leaves fresh rows alone
    time.sleep(2)
    assert smtp.server.messages == []  # no job: no worker knows of the row
    with app.app_context():
        assert outbox.sweep() == 1  # the scheduler's sweep (grace 0 here)
    wait_until(lambda: len(smtp.server.messages) == 1, what="the swept mail")
    wait_until(lambda: states(db) == Counter({"sent": 1}), what="the row marked sent")


@pytest.mark.parametrize("app_config", [{"MAIL_DELIVERY": "queue", "MAIL_QUEUE_URL": "redis://127.0.0.1:1/0"}])
def test_redis_down_at_the_commit_costs_the_request_little_and_the_mail_goes_later(app, client, db, smtp, worker,
                                                                                   applicant, queue_name):
    started = time.perf_counter()
    response = post_form(client, "/applicant/forgot-password", {
        "name": applicant.name, "id_type": "resident_id", "id_number": applicant.id_number, "email": applicant.email})
    assert response.status_code == 302 and time.perf_counter() - started < 2  # kombu alone would retry for ~6 s
    assert states(db) == Counter({"pending": 1})  # committed although the job could not be queued
    worker(**queue_config(queue_name, smtp.server.port))  # Redis is back: a worker's start-up sweep finds the row
    wait_until(lambda: len(smtp.server.messages) == 1, what="the mail once Redis is back")
    wait_until(lambda: states(db) == Counter({"sent": 1}), what="the row marked sent")


def test_forgot_password_does_the_same_work_whether_or_not_the_details_match(app, client, db, smtp, applicant):
    """No worker runs: the request itself never talks to the SMTP server, matched or not; the matched one leaves a
    row for the worker (and one job on the queue)."""
    for email in ("other@example.com", applicant.email):
        response = post_form(client, "/applicant/forgot-password", {
            "name": applicant.name, "id_type": "resident_id", "id_number": applicant.id_number, "email": email})
        assert (response.status_code, response.headers["Location"]) == (302, "/applicant/forgot-password/sent")
    time.sleep(0.3)
    assert smtp.server.messages == []
    assert states(db) == Counter({"pending": 1})
