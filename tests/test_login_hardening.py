"""Login hardening (security issue, items 1 and 4): parallel guesses cannot pass the failed-login lock, and neither
the login's answer nor its work tells whether an account exists; 忘记密码 mails only after its response.

The parallel tests send a burst of real requests at once, each thread with its own client (its own browser), and
hold every request at the password check until all of them have read the account: a count that is read, changed
and written back would then lose updates. They run on the database of the run: PostgreSQL (``postgres`` marker,
``TEST_DATABASE_URL``) and SQLite.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.config import Config
from portal.models import AuditLog, Person, Staff
from portal.services.infrastructure import passwords
from tests.accounts_helpers import login, post_form, text
from tests.factories import PASSWORD, make_person, make_staff, new_id_number
from tests.smtp_server import plain_text, smtp_server  # noqa: F401
from tests.test_reviewer_helpers import audit_rows, staff_login

START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
WRONG = "Wrong2026x"
BURST = 16
APPLICANT_WRONG = "证件号码或密码不正确。连续输错5次，账号将被锁定15分钟。"
STAFF_WRONG = "用户名或密码不正确。连续输错5次，账号将被锁定15分钟。"
LOCKED = "密码连续输错5次，账号已锁定，请于 2026-11-27 10:15 后再试。"  # START + 15 minutes, Beijing
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')
_ARGON2_VERIFY = PasswordHasher.verify


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def dialect(request, database_url: str) -> str:
    """Runs the test on the run's database when it is this one (PostgreSQL: ``TEST_DATABASE_URL``)."""
    if sa.make_url(database_url).get_backend_name() != request.param:
        pytest.skip(f"needs {request.param}; this run uses {sa.make_url(database_url).get_backend_name()}")
    return request.param


@pytest.fixture
def frozen(time_machine):
    """The clock stands at START, in every thread: the lock's end is START + 15 minutes exactly."""
    time_machine.move_to(START, tick=False)


@pytest.fixture
def verify_calls(monkeypatch) -> list[tuple[str, str]]:
    """(hash, password) of every argon2 verification (every hasher the portal uses is a PasswordHasher)."""
    calls: list[tuple[str, str]] = []

    def counting(hasher, password_hash, password):
        calls.append((password_hash, password))
        return _ARGON2_VERIFY(hasher, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


class HeldAtThePasswordCheck:
    """argon2's verify, held until every request of the burst has reached it (by then each has read the account);
    the right password is held longer, until the database shows ``failures`` committed wrong passwords, as when
    the request that locks the account wins the race by a moment. Checks after the burst's are not held."""

    def __init__(self, database_url: str, table: str, account_id: int, failures: int = 5) -> None:
        self.barrier = threading.Barrier(BURST, timeout=10)
        self.arrivals = itertools.count(1)  # next() is atomic under the GIL
        self.engine = sa.create_engine(database_url)
        self.query = sa.text(f"SELECT failed_logins FROM {table} WHERE id = :id")  # noqa: S608 - our table names
        self.account_id, self.failures = account_id, failures

    def verify(self, hasher, password_hash, password):
        if next(self.arrivals) <= BURST:
            with contextlib.suppress(threading.BrokenBarrierError):  # a request never came: the assertions will tell
                self.barrier.wait()
            if password == PASSWORD:
                self._wait_for_failures()
        return _ARGON2_VERIFY(hasher, password_hash, password)

    def _wait_for_failures(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.engine.connect() as connection:
                if connection.execute(self.query, {"id": self.account_id}).scalar() >= self.failures:
                    return
            time.sleep(0.01)


@pytest.fixture
def held(monkeypatch, database_url):
    """``held(table, account_id)``: hold the burst's password checks (see HeldAtThePasswordCheck)."""
    gates = []

    def hold(table: str, account_id: int) -> None:
        gate = HeldAtThePasswordCheck(database_url, table, account_id)
        gates.append(gate)
        monkeypatch.setattr(PasswordHasher, "verify", lambda *args: gate.verify(*args))

    yield hold
    for gate in gates:
        gate.engine.dispose()


def burst(app, attempt, guesses: list[str]) -> list:
    """Send one login per password at once, each from its own client; the responses, in the same order."""
    clients = [app.test_client() for _ in guesses]
    with ThreadPoolExecutor(max_workers=len(guesses)) as pool:
        return list(pool.map(attempt, clients, guesses))


def outcomes(responses, wrong_message: str) -> dict[str, int]:
    """How many of the burst were told 'wrong', 'locked', were logged in, or got anything else (an error page)."""
    counted = {"wrong": 0, "locked": 0, "logged in": 0, "other": 0}
    for response in responses:
        page = text(response) if response.status_code == 200 else ""
        if response.status_code == 302:
            counted["logged in"] += 1
        elif LOCKED in page:
            counted["locked"] += 1
        elif wrong_message in page:
            counted["wrong"] += 1
        else:
            counted["other"] += 1
    return counted


# --- 1. parallel guesses --------------------------------------------------------------------------------------

def test_sixteen_parallel_wrong_guesses_count_sixteen_and_lock_after_the_fifth(app, db, dialect, frozen, held,
                                                                               time_machine):
    person = make_person()
    db.session.commit()
    held("people", person.id)
    responses = burst(app, lambda client, password: login(client, person.id_number, password), [WRONG] * BURST)

    assert outcomes(responses, APPLICANT_WRONG) == {"wrong": 4, "locked": 12, "logged in": 0, "other": 0}
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.failed_logins == BURST
    assert person.locked_until == START + timedelta(minutes=15)
    locked = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "account.locked")).all()
    assert locked == ["account.locked"]  # one lock, written by the request that reached five

    time_machine.move_to(START + timedelta(minutes=15), tick=False)  # the lock has lapsed: counting starts again
    assert APPLICANT_WRONG in text(login(app.test_client(), person.id_number, WRONG))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.failed_logins == 1 and person.locked_until is None


def test_the_right_password_in_a_burst_of_guesses_is_refused_once_five_have_failed(app, db, dialect, frozen, held,
                                                                                   time_machine):
    person = make_person()
    db.session.commit()
    held("people", person.id)
    guesses = [WRONG] * BURST
    guesses[9] = PASSWORD  # the burst: the right password 10th
    responses = burst(app, lambda client, password: login(client, person.id_number, password), guesses)

    assert outcomes(responses, APPLICANT_WRONG) == {"wrong": 4, "locked": 12, "logged in": 0, "other": 0}
    assert LOCKED in text(responses[9])
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.failed_logins == BURST - 1 and person.session_token is None

    time_machine.move_to(START + timedelta(minutes=14, seconds=59), tick=False)
    assert LOCKED in text(login(app.test_client(), person.id_number))
    time_machine.move_to(START + timedelta(minutes=15), tick=False)
    assert login(app.test_client(), person.id_number).headers["Location"] == "/applicant/"
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.failed_logins == 0 and person.locked_until is None and person.session_token


def test_parallel_staff_guesses_lock_the_console_account_even_for_the_right_password(app, db, dialect, frozen,
                                                                                     held):
    staff = make_staff("reviewer_a")
    db.session.commit()
    held("staff", staff.id)
    guesses = [WRONG] * BURST
    guesses[9] = PASSWORD
    responses = burst(app, lambda client, password: staff_login(client, "reviewer_a", password), guesses)

    assert outcomes(responses, STAFF_WRONG) == {"wrong": 4, "locked": 12, "logged in": 0, "other": 0}
    assert LOCKED in text(responses[9])
    db.session.expire_all()
    staff = db.session.get(Staff, staff.id)
    assert staff.failed_logins == BURST - 1 and staff.session_token is None
    assert staff.locked_until == START + timedelta(minutes=15)
    assert [row.data["reason"] for row in audit_rows(db, "staff.login_refused")].count("locked") == 12


# --- 4. no telling whether an account exists ----------------------------------------------------------------

def same_page(response, *echoed: str) -> str:
    """The page's HTML without what differs by construction: the CSRF token and the login name typed in."""
    body = _CSRF_VALUE.sub(r"\1…", response.get_data(as_text=True))
    for value in echoed:
        body = body.replace(value, "…")
    return body


def test_unknown_passwordless_and_wrong_password_logins_look_and_cost_the_same(client, db, verify_calls):
    person = make_person()
    no_password = make_person(name="李四", password=None)
    db.session.commit()
    pages = []
    for id_number, password in ((new_id_number(address="110105"), PASSWORD), (no_password.id_number, PASSWORD),
                                (person.id_number, WRONG)):
        verify_calls.clear()
        response = login(client, id_number, password)
        assert response.status_code == 200 and APPLICANT_WRONG in text(response)
        assert [checked for _hash, checked in verify_calls] == [password]  # argon2 once: a real or dummy hash
        pages.append(same_page(response, id_number))
    assert "再输错" not in pages[2]
    assert pages[0] == pages[1] == pages[2]


def test_unknown_disabled_and_wrong_password_staff_logins_look_and_cost_the_same(client, db, verify_calls):
    make_staff("reviewer_a")
    make_staff("retired").active = False
    db.session.commit()
    pages = []
    for username, password in (("nobody", PASSWORD), ("retired", PASSWORD), ("reviewer_a", WRONG)):
        verify_calls.clear()
        response = staff_login(client, username, password)
        assert response.status_code == 200 and STAFF_WRONG in text(response)
        assert [checked for _hash, checked in verify_calls] == [password]
        pages.append(same_page(response, username))
    assert "再输错" not in pages[2]
    assert pages[0] == pages[1] == pages[2]


def test_the_dummy_hash_is_made_with_the_current_hasher_parameters(client, db, verify_calls):
    login(client, new_id_number(address="110105"))
    passwords.configure_hasher(time_cost=1, memory_cost=16, parallelism=1)
    try:
        login(client, new_id_number(address="110105"))
    finally:
        passwords.configure_hasher(time_cost=1, memory_cost=8, parallelism=1)
    login(client, new_id_number(address="110105"))
    assert [re.search(r"m=\d+,", password_hash).group() for password_hash, _password in verify_calls] == \
        ["m=8,", "m=16,", "m=8,"]


# --- 忘记密码: the mail leaves after the response -----------------------------------------------------------

@pytest.fixture
def app_config(request) -> dict:
    """Room in the pool for a whole burst: each request holds its connection while it waits at the password check,
    and the default pool (5 + 10 overflow) left the sixteenth waiting for a connection and the other fifteen for
    the barrier's ten-second timeout. Mail goes to the real SMTP server in the tests that use one."""
    config = {"SQLALCHEMY_ENGINE_OPTIONS": {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_size": BURST + 2}}
    if "smtp_server" not in request.fixturenames:
        return config
    server = request.getfixturevalue("smtp_server")
    return {**config, "MAIL_BACKEND": "smtp", "MAIL_SERVER": server.host, "MAIL_PORT": server.port}


def ask(client, person, email: str):
    return post_form(client, "/applicant/forgot-password", {
        "name": person.name, "id_type": "resident_id", "id_number": person.id_number, "email": email})


def test_the_reset_mail_is_sent_after_the_response_and_still_carries_the_link(client, db, applicant,
                                                                               smtp_server):  # noqa: F811
    response = ask(client, applicant, applicant.email)
    assert response.status_code == 302  # the request only wrote the outbox row; the delivery sends it after
    link = re.search(r"http://localhost(/applicant/reset-password/\S+)", plain_text(smtp_server.wait_for(1)[0]))
    assert link and "设置新密码" in text(client.get(link.group(1)))


def test_matched_and_unmatched_details_get_the_same_response(client, db, applicant, smtp_server):  # noqa: F811
    matched = ask(client, applicant, applicant.email)
    unmatched = ask(client, applicant, "other@example.com")
    for response in (matched, unmatched):
        response.close()
    assert (matched.status_code, matched.headers["Location"], matched.get_data()) == \
        (unmatched.status_code, unmatched.headers["Location"], unmatched.get_data())
    assert text(client.get(matched.headers["Location"])) == text(client.get(unmatched.headers["Location"]))
    assert [message["To"] for message in smtp_server.wait_for(1)] == [applicant.email]
