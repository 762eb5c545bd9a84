"""The database goes away: every page answers the portal's own 503 page in Chinese — to visitors, applicants and
staff alike — ``/readyz`` says which dependency is down while ``/healthz`` stays up, and the portal recovers by
itself when the database is back.

Real outages: a PostgreSQL address where nothing listens, and (with ``TEST_DATABASE_URL`` on PostgreSQL) a live
database reached through a TCP relay that the test cuts and restores, as a database server restart or a network
failure would."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.extensions import db as _db
from portal.models import StaffRole
from tests.accounts_helpers import csrf_token, login, text
from tests.factories import login_as, make_staff

#: nothing listens on port 1: connecting is refused at once
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/portal"


def assert_maintenance_page(response) -> None:
    page = text(response)
    assert response.status_code == 503, page[:300]
    assert "系统维护中，暂时无法访问" in page and "请稍后再试" in page
    assert "错误代码：503" in page
    assert "Internal Server Error" not in page and "Traceback" not in page
    assert "logout-form" not in response.get_data(as_text=True)  # rendered without the signed-in user
    assert response.headers["Retry-After"]


@pytest.fixture
def unreachable_app() -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "CAPTCHA_ENABLED": False})
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_unreachable_database_shows_the_maintenance_page_to_visitors(unreachable_app):
    client = unreachable_app.test_client()
    for path in ("/", "/bodies", "/announcements"):
        assert_maintenance_page(client.get(path))
    token = csrf_token(client, "/reviewer/account/")  # the console's login page needs no database, logging in does
    assert_maintenance_page(client.post("/reviewer/account/", data={"csrf_token": token, "username": "center",
                                                                    "password": "Secret2026"}))


def test_unreachable_database_shows_the_maintenance_page_to_a_signed_in_applicant_and_staff(unreachable_app):
    """The user loader itself needs the database: its failure is the 503 page, not a 500 inside the handler."""
    applicant, staff = unreachable_app.test_client(), unreachable_app.test_client()
    for client, user_id in ((applicant, "p:1:token"), (staff, "s:1:token")):
        with client.session_transaction() as session:
            session["_user_id"] = user_id
    for path in ("/", "/applicant/", "/applicant/history"):
        assert_maintenance_page(applicant.get(path))
    for path in ("/reviewer/", "/reviewer/applications/", "/reviewer/people/"):
        assert_maintenance_page(staff.get(path))
    with applicant.session_transaction() as session:
        assert session["_user_id"] == "p:1:token"  # still signed in once the database is back


def test_the_maintenance_page_follows_the_language_switch(unreachable_app):
    client = unreachable_app.test_client()
    client.get("/lang/en")
    response = client.get("/")
    assert response.status_code == 503
    assert "Under maintenance" in text(response)


def test_liveness_does_not_need_the_database_but_readiness_says_it_is_down(unreachable_app):
    client = unreachable_app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unreachable"}}


def test_readiness_checks_redis_when_it_is_configured(app):
    client = app.test_client()
    assert client.get("/readyz").get_json() == {"status": "ok", "checks": {"database": "ok"}}
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    assert client.get("/readyz").get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unreachable"}}


class Relay:
    """A TCP relay on a loopback port in front of PostgreSQL. ``cut()`` is the database going away: every open
    connection is closed and new ones are refused (nothing listens); ``restore()`` brings it back on the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self.listener = listener
        self.acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self.acceptor.start()

    def cut(self) -> None:
        with self.lock:
            self.listener, listener = None, self.listener
            connections, self.open = self.open, set()
        listener.close()
        self.acceptor.join()  # the port is free once the thread waiting in accept() has let go of it
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(self.target)
            with self.lock:
                if self.listener is not listener:  # cut while this one was being accepted
                    client.close()
                    upstream.close()
                    return
                self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            with suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def relay(database_url: str):
    url = urlsplit(database_url)
    if not url.scheme.startswith("postgresql"):
        pytest.skip("a live database that goes away needs PostgreSQL (TEST_DATABASE_URL)")
    relay = Relay(url.hostname or "127.0.0.1", url.port or 5432)
    relay.restore()
    relay.url = urlunsplit(url._replace(netloc=f"{url.username or 'postgres'}"
                                              f"{':' + url.password if url.password else ''}@127.0.0.1:{relay.port}"))
    yield relay
    if relay.listener is None:
        relay.restore()


@pytest.fixture
def app_config(request) -> dict:
    """Tests that take ``relay`` reach the database through it."""
    if "relay" in request.fixturenames:
        return {"SQLALCHEMY_DATABASE_URI": request.getfixturevalue("relay").url}
    return {}


@pytest.mark.postgres
def test_a_live_database_that_goes_away_and_comes_back(relay, app, db, applicant):
    visitor, person, staff = app.test_client(), app.test_client(), app.test_client()
    name = applicant.name
    assert login(person, applicant.id_number).status_code == 302
    login_as(staff, make_staff("center", role=StaffRole.CENTRAL))
    db.session.close()  # the test's own connection is not part of the outage
    assert name in text(person.get("/applicant/"))
    assert staff.get("/reviewer/applications/").status_code == 200
    logout_token = csrf_token(person, "/applicant/")

    relay.cut()
    assert_maintenance_page(visitor.get("/"))
    assert_maintenance_page(person.get("/applicant/"))
    assert_maintenance_page(person.post("/applicant/logout", data={"csrf_token": logout_token}))
    assert_maintenance_page(staff.get("/reviewer/applications/"))
    assert_maintenance_page(staff.get("/reviewer/"))
    assert visitor.get("/healthz").status_code == 200
    assert visitor.get("/readyz").get_json()["checks"] == {"database": "unreachable"}

    relay.restore()
    assert visitor.get("/").status_code == 200
    assert visitor.get("/readyz").status_code == 200
    assert name in text(person.get("/applicant/"))  # still signed in: the session was kept
    assert staff.get("/reviewer/applications/").status_code == 200


@pytest.mark.postgres
def test_a_commit_that_fails_because_the_database_went_away_is_the_maintenance_page(relay, app, db):
    """The view ran, then the connection died before the request's one commit: nothing was saved, and the
    visitor is told so (503), not shown the view's answer."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def change_then_lose_the_database():
        _db.session.execute(sa.text("SELECT 1"))
        relay.cut()
        return "saved"

    app.add_url_rule("/_lose_database", "lose_database", change_then_lose_the_database)
    assert_maintenance_page(app.test_client().get("/_lose_database"))
    relay.restore()
    assert app.test_client().get("/").status_code == 200


@pytest.mark.postgres
def test_a_database_restart_between_requests_costs_one_maintenance_page_then_recovers(relay, app, db):
    """Without the pool's pre-ping (a round trip on every request): the first request after a restart finds its
    pooled connection dead and answers 503; that invalidates the pool, and the next request connects afresh."""
    client = app.test_client()
    assert client.get("/").status_code == 200
    db.session.close()
    relay.cut()
    relay.restore()
    first = client.get("/")
    assert first.status_code in (200, 503)
    if first.status_code == 503:
        assert_maintenance_page(first)
    assert client.get("/").status_code == 200
    assert client.get("/readyz").status_code == 200
