"""One transaction per request: services only flush; the request commits once at the end, or rolls back.

A view that has caught a domain error after a service changed something calls ``rollback_only()`` so that
nothing is half-saved while the page is shown again with the message.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import InterfaceError, OperationalError

from .extensions import db

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
    @app.after_request
    def commit_or_rollback(response: Response) -> Response:
        if not db.session.registry.has():
            return response  # the request never used the database (/healthz, static files): nothing to end
        if g.get("rollback_only") or response.status_code >= 400:
            discard_changes()
        else:
            db.session.commit()
        return response
