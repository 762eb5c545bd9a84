"""A request's transaction (portal/transaction.py): a GET reads without one until it writes, then everything it
writes commits at its end or not at all; a POST and work outside a request keep theirs from the first statement.
On SQLite the driver behaves so by itself; on PostgreSQL ``reads_before_writes`` does it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify
from sqlalchemy.orm import Session

from portal.extensions import db as _db
from portal.models import Body, Person
from portal.transaction import rollback_only
from tests.factories import make_person


def _in_transaction() -> bool:
    """Whether the request's connection has begun a transaction on the server (psycopg: its status; sqlite3: its
    flag)."""
    driver = _db.session.connection().connection.driver_connection
    if hasattr(driver, "in_transaction"):
        return driver.in_transaction
    import psycopg

    return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


@pytest.fixture
def views(app):
    """Test views: one that reads and then renames a person, reporting whether a transaction had begun after
    each step (``fail`` makes it answer with an error after the write; ``discard`` rolls back instead)."""

    def rename(person_id: int):
        from flask import request

        name = _db.session.scalar(sa.select(Person.name).where(Person.id == person_id))
        after_read = _in_transaction()
        _db.session.get(Person, person_id).name = name + "（改）"
        _db.session.flush()
        after_write = _in_transaction()
        if request.args.get("discard"):
            rollback_only()
        status = 500 if request.args.get("fail") else 200
        return jsonify(after_read=after_read, after_write=after_write), status

    def read(person_id: int):
        _db.session.scalars(sa.select(Body)).all()
        person = _db.session.get(Person, person_id)
        return jsonify(name=person.name, in_transaction=_in_transaction())

    def stream():
        codes = [body.code for body in _db.session.scalars(sa.select(Body).execution_options(yield_per=5))]
        return jsonify(codes=len(codes), in_transaction=_in_transaction())

    def rename_in_a_cte(person_id: int):
        from flask import request

        renamed = (sa.update(Person).where(Person.id == person_id).values(name=Person.name + "（改）")
                   .returning(Person.id).cte("renamed"))
        _db.session.execute(sa.select(renamed.c.id)).all()
        return jsonify(in_transaction=_in_transaction()), 500 if request.args.get("fail") else 200

    def touch(person_id: int):
        _db.session.get(Person, person_id).name += "（改）"  # pending, not flushed: the commit flushes it
        return jsonify(in_transaction=_in_transaction())

    app.add_url_rule("/_test/touch/<int:person_id>", "test_touch", touch)
    app.add_url_rule("/_test/stream", "test_stream", stream)
    app.add_url_rule("/_test/cte/<int:person_id>", "test_cte", rename_in_a_cte)
    app.add_url_rule("/_test/rename/<int:person_id>", "test_rename", rename, methods=["GET", "POST"])
    app.add_url_rule("/_test/read/<int:person_id>", "test_read", read)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _name(db, person_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Person, person_id).name


def test_a_get_that_only_reads_begins_no_transaction(views, client, db):
    person = make_person(name="李读")
    db.session.commit()
    assert client.get(f"/_test/read/{person.id}").get_json() == {"name": "李读", "in_transaction": False}


def test_a_request_that_wrote_nothing_commits_nothing_and_one_with_a_pending_change_commits_it(views, client, db):
    """The end of a request commits only when there is something to commit (``wrote_nothing``): committing a
    session that only read expired every object it had read, for nothing."""
    person = make_person(name="李静")
    db.session.commit()
    commits = []

    def committed(session):
        commits.append(session)

    sa.event.listen(Session, "after_commit", committed)
    try:
        client.get(f"/_test/read/{person.id}")
        assert commits == []
        assert client.get(f"/_test/touch/{person.id}").get_json() == {"in_transaction": False}
        assert len(commits) == 1
        client.get(f"/_test/rename/{person.id}")  # flushed during the request: its transaction is committed
        assert len(commits) == 2
    finally:
        sa.event.remove(Session, "after_commit", committed)
    assert _name(db, person.id) == "李静（改）（改）"


def test_a_get_that_streams_rows_reads_them_in_a_transaction(views, client, db):
    """A server-side cursor (``yield_per``), which PostgreSQL declares only in a transaction, begins one."""
    answer = client.get("/_test/stream").get_json()
    assert answer["codes"] == db.session.scalar(sa.select(sa.func.count()).select_from(Body)) > 5
    assert answer["in_transaction"] is (db.engine.dialect.name == "postgresql")


@pytest.mark.parametrize("fail", [False, True])
def test_a_select_that_writes_in_a_cte_counts_as_a_write(views, client, db, fail):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no data-modifying CTEs")
    person = make_person(name="李表")
    db.session.commit()
    answer = client.get(f"/_test/cte/{person.id}" + ("?fail=1" if fail else ""))
    assert answer.get_json() == {"in_transaction": True}
    assert _name(db, person.id) == ("李表" if fail else "李表（改）")


def test_a_get_begins_its_transaction_at_its_first_write_and_commits_it_at_its_end(views, client, db):
    person = make_person(name="李写")
    db.session.commit()
    answer = client.get(f"/_test/rename/{person.id}").get_json()
    assert answer == {"after_read": False, "after_write": True}
    assert _name(db, person.id) == "李写（改）"


@pytest.mark.parametrize("how", ["fail=1", "discard=1"])
def test_what_a_get_wrote_is_rolled_back_whole_when_it_fails(views, client, db, how):
    person = make_person(name="李回")
    db.session.commit()
    client.get(f"/_test/rename/{person.id}?{how}")
    assert _name(db, person.id) == "李回"


def test_a_post_is_in_its_transaction_from_its_first_read(views, client, db):
    person = make_person(name="李提")
    db.session.commit()
    answer = client.post(f"/_test/rename/{person.id}").get_json()
    if db.engine.dialect.name == "postgresql":
        assert answer == {"after_read": True, "after_write": True}
    else:  # the sqlite3 driver begins at the first write whatever the request
        assert answer == {"after_read": False, "after_write": True}
    assert _name(db, person.id) == "李提（改）"


def test_outside_a_request_and_after_a_get_a_connection_is_in_a_transaction_from_its_first_read(views, client, db):
    """Commands and jobs keep their transactions, and a connection a GET used goes back to the pool with
    transactions on: the read below may get the very connection the request had."""
    person = make_person(name="李池")
    db.session.commit()
    client.get(f"/_test/read/{person.id}")
    with views.app_context():
        _db.session.scalars(sa.select(Body)).all()
        # the sqlite3 driver begins at the first write wherever it runs
        assert _in_transaction() is (_db.engine.dialect.name == "postgresql")
        _db.session.rollback()
