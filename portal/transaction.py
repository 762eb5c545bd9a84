"""One transaction per request: services only flush; the request commits once at the end, or rolls back.

A view that has caught a domain error after a service changed something calls ``rollback_only()`` so that
nothing is half-saved while the page is shown again with the message.
"""

from __future__ import annotations

from flask import Flask, Response, g

from .extensions import db


def rollback_only() -> None:
    """Discard this request's changes (they are rolled back now, and nothing is committed at the end)."""
    db.session.rollback()
    g.rollback_only = True


def init_transactions(app: Flask) -> None:
    @app.after_request
    def commit_or_rollback(response: Response) -> Response:
        if g.get("rollback_only") or response.status_code >= 400:
            db.session.rollback()
        else:
            db.session.commit()
        return response
