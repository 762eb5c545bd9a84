"""One transaction per request: services only flush; the request commits once at the end, or rolls back.

A view that has caught a domain error after a service changed something calls ``rollback_only()`` so that
nothing is half-saved while the page is shown again with the message.

On PostgreSQL a GET or HEAD request reads without a transaction until it writes (``reads_before_writes``): its
queries run in autocommit, and the transaction begins with its first statement that is not a plain SELECT. A page
that only reads (the personal page, the console's lists) then sends no BEGIN and no COMMIT: two round trips to the
server fewer, each ~0.1 ms of the worker's CPU (issue 10). Nothing a request sees changes: at READ
COMMITTED, PostgreSQL's level here, each statement of a transaction sees its own snapshot anyway, and no read of the
portal locks rows (no SELECT … FOR UPDATE; one would begin the transaction first). SQLite already works this way:
its driver begins a transaction at the first write.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, has_request_context, request
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

from .extensions import db

#: the requests whose reads run outside a transaction (those that change something are POSTs, and a GET that
#: writes — a session's activity, an audit row for an opened file — begins its transaction at that write)
READING_METHODS = frozenset({"GET", "HEAD"})

#: what SQLAlchemy raises when the database cannot be reached: the server is down or refuses connections, the
#: connection was dropped mid-request, or the database is gone (portal/errors.py answers these with the 503 page)
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def rollback_only() -> None:
    """Discard this request's changes (they are rolled back now, and nothing is committed at the end)."""
    db.session.rollback()
    g.rollback_only = True


def discard_changes() -> None:
    """Roll back this request's changes; when the database has gone away there is nothing left to roll back, and
    the dead connection is released instead (the failure invalidated the pool: the next request connects afresh)."""
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE as error:
        current_app.logger.warning("Rollback failed, the database is unreachable: %s", error.orig or error)
        db.session.close()


def init_transactions(app: Flask) -> None:
    with app.app_context():
        reads_before_writes(db.engine)

    @app.after_request
    def commit_or_rollback(response: Response) -> Response:
        if not db.session.registry.has():
            return response  # the request never used the database (/healthz, static files): nothing to end
        if g.get("rollback_only") or response.status_code >= 400:
            discard_changes()
        elif not wrote_nothing(db.session()):
            db.session.commit()
        return response


def wrote_nothing(session) -> bool:
    """Whether the request's session has nothing to commit: no change pending, and no transaction open on its
    connection (a reading request that never wrote: ``reads_before_writes``; SQLite's driver begins one at the first
    write). Committing it would only expire every object read, a twentieth of the personal page's CPU (issue 10);
    the session is closed at the end of the request anyway. A change flushed earlier has left a transaction open."""
    if session.new or session.deleted or session.identity_map.check_modified():
        return False
    transaction = session.get_transaction()
    if transaction is None:
        return True
    if not transaction.is_active or session.in_nested_transaction():
        return False
    connection = session.connection().connection.dbapi_connection
    info = getattr(connection, "info", None)
    if hasattr(info, "transaction_status"):  # psycopg
        return info.transaction_status == TransactionStatus.IDLE
    return getattr(connection, "in_transaction", True) is False  # sqlite3 (another driver: committed as before)


def reads_before_writes(engine: Engine) -> None:
    """On PostgreSQL, run a GET or HEAD request's statements in autocommit until its first write (above): the
    connection is put in autocommit when the request checks it out of the pool, taken out of it before the first
    statement that is not a plain SELECT (psycopg then sends BEGIN first), and given back to the pool as it was.
    The request still commits at its end (``init_transactions``); psycopg sends nothing when no transaction began.
    Outside a request (commands, jobs, the raw COPY of an import) connections keep their transactions."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def read_in_autocommit(dbapi_connection, record, proxy):
        if has_request_context() and request.method in READING_METHODS:
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def begin_before_writing(connection, cursor, statement, parameters, context, executemany):
        dbapi_connection = cursor.connection
        if dbapi_connection.autocommit and not _plain_read(context):
            dbapi_connection.autocommit = False

    @event.listens_for(engine, "checkin")
    def back_to_transactions(dbapi_connection, record):
        if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False


def _plain_read(context) -> bool:
    """A SELECT built with SQLAlchemy that locks no rows, writes in none of its CTEs and is read at once; any other
    statement (DML, DDL, a SAVEPOINT, text SQL) counts as a write, and a streamed SELECT (``yield_per``,
    ``stream_results``: a server-side cursor, which PostgreSQL declares only in a transaction) begins the
    transaction too. (A lock taken by a function in a SELECT, such as ``pg_advisory_xact_lock``, would last only
    for that statement: a view that takes one begins the transaction first, e.g. by writing. The portal takes none.)"""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    return (isinstance(statement, Select) and statement._for_update_arg is None
            and not any(isinstance(cte.element, UpdateBase) for cte in compiled.ctes or ())
            and not context.execution_options.get("stream_results"))
