"""Fixtures: the app on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``), a client, factories, login.

The schema is built once per run by the real migrations (``flask db upgrade``), so every run also proves them;
each test starts from empty tables plus the reference registration bodies.

``--clock=INSTANT`` (or ``PORTAL_TEST_CLOCK=INSTANT``) runs the whole suite with the process clock moved to that
instant and ticking, e.g. ``--clock=2026-11-27T16:30Z`` (00:30 the next day in Beijing): the proof that the suite
does not depend on the hour it runs at. A test that needs a particular instant sets it with time-machine's
``time_machine`` fixture (see ``tests/clocks.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask_migrate import upgrade
from werkzeug.routing import Rule

from portal import create_app
from portal.extensions import db as _db
from portal.reference import ensure_reference_data
from portal.services.infrastructure import passwords

pytest_plugins = ["tests.factories"]

# argon2 at production cost takes ~110 ms a hash; the suite uses a cheap one (production code is unchanged).
passwords.configure_hasher(time_cost=1, memory_cost=8, parallelism=1)


def _share_url_builders() -> None:
    """Every test builds two apps, and Werkzeug compiles two URL-builder functions from an AST for each of an app's
    ~1,000 rules (Flask-Admin's views included): 70 % of ``create_app``'s 0.14 s. A builder is a function of the rule's
    shape only (it reaches the rule's converters through the ``self`` it is bound to), so one compiled for an earlier
    app's identical rule serves the next one. Written against Werkzeug 3.1's ``Rule._compile_builder``."""
    original = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def compile_builder(rule: Rule, append_unknown: bool = True):
        shape = (rule.rule, tuple(rule._trace), append_unknown,
                 tuple(sorted((key, repr(value)) for key, value in (rule.defaults or {}).items())))
        builder = builders.get(shape)
        if builder is None:
            builder = builders[shape] = original(rule, append_unknown)
        return builder

    Rule._compile_builder = compile_builder


_share_url_builders()


def pytest_addoption(parser) -> None:
    parser.addoption("--clock", default=os.environ.get("PORTAL_TEST_CLOCK") or None, metavar="INSTANT",
                     help="run the suite with the clock moved to this ISO 8601 instant, ticking "
                          "(naive means UTC), e.g. 2026-12-31T17:30Z; also PORTAL_TEST_CLOCK")


def pytest_configure(config) -> None:
    instant = config.getoption("--clock")
    if instant:
        moment = datetime.fromisoformat(instant)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config) -> str | None:
    if config.stash.get(_TRAVELLER, None) is not None:
        return f"clock moved to {config.getoption('--clock')} (ticking); now {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    return None


_TRAVELLER = pytest.StashKey[time_machine.travel]()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """SQLite in a temporary folder, or ``TEST_DATABASE_URL``. Under pytest-xdist (``make test`` runs two workers)
    each worker gets its own PostgreSQL database next to the given one, made here and dropped at the end."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    given = sa.engine.make_url(url)
    own = given.set(database=f"{given.database}_{worker}")
    server = sa.create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    yield own.render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
    server.dispose()


@pytest.fixture(scope="session")
def redis_db() -> int:
    """A Redis database number of this test process's own (15, then downwards per xdist worker), so that tests
    clearing their database do not clear another worker's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 15 - int(worker.removeprefix("gw"))


@pytest.fixture(scope="session")
def _schema(database_url: str) -> None:
    """Drop whatever is there and build the schema through the migrations, once per run."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if _db.engine.dialect.name == "sqlite":
            with _db.engine.connect() as connection:  # readers never block the live server's writes
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        upgrade()
        _db.engine.dispose()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module (or with @pytest.mark.parametrize) to change settings."""
    return {}


@pytest.fixture
def test_config(database_url: str, app_config: dict, tmp_path_factory) -> dict:
    """The settings of the app under test: its database, no captcha, and uploads in a folder of the test's own
    (never the checkout's instance folder)."""
    uploads = str(tmp_path_factory.mktemp("uploads"))
    return {"SQLALCHEMY_DATABASE_URI": database_url, "CAPTCHA_ENABLED": False, "UPLOAD_FOLDER": uploads,
            **app_config}


@pytest.fixture
def app(_schema, test_config: dict) -> Iterator[Flask]:
    """The app under test, on empty tables plus the reference bodies. No app context stays pushed, so every
    request gets its own (its own ``g``, DB session and logged-in user), as in production."""
    app = create_app(test_config)
    with app.app_context():
        _empty_tables()
        ensure_reference_data()
        _db.session.commit()
    yield app
    _stop_mail_delivery(app)
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app, test_config: dict):
    """The database as the test sees it: the context of a second app instance on the same database, like another
    process. Commit what a request must see; ``db.session.expire_all()`` (or a commit) before reading what a
    request changed."""
    data_app = create_app(test_config)
    with data_app.app_context():
        yield _db
        _db.session.remove()
        _stop_mail_delivery(data_app)  # a change committed here may have woken its delivery thread
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _stop_mail_delivery(app: Flask) -> None:
    """Mail still waiting in this app's in-process delivery (MAIL_DELIVERY=inline) dies with the test."""
    inline = app.extensions.get("mail_inline")
    if inline is not None:
        inline.stop()


def _empty_tables() -> None:
    tables = [table.name for table in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - table names from our metadata
    _db.session.commit()
