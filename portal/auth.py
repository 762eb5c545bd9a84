"""Flask-Login wiring shared by both sides: ids are ``p:<id>:<token>`` (applicant) or ``s:<id>:<token>`` (staff)."""

from __future__ import annotations

from flask import Flask, current_app, g, session
from flask_babel import lazy_gettext as _l

from .clock import utcnow
from .extensions import db, login_manager
from .models import Person, Staff
from .services.accounts.sessions import SessionPolicy, resume_session

_MODELS = {"p": Person, "s": Staff}


def load_user(user_id: str):
    """The account of a session cookie, if its token is still the live one and it has not been idle too long.

    While the database is unreachable the failure propagates to the 503 page (portal/errors.py), which marks the
    request so that rendering that page loads nobody: it is shown as to a visitor, and the session is kept.
    """
    if g.get("database_unavailable"):
        return None
    try:
        kind, pk, token = user_id.split(":", 2)
        model = _MODELS[kind]
        account = db.session.get(model, int(pk))
    except (ValueError, KeyError):
        return None
    if account is None or not account.is_active:
        return None
    policy = SessionPolicy.from_config(current_app.config)
    if not resume_session(account, token, utcnow(), policy):
        db.session.commit()  # persist the ended session even though this request will answer "log in again"
        return None
    return account


def login_prompt():
    """What a gate tells a visitor it sends to a login page: their session has ended (idle timeout, 安全退出
    elsewhere, unlocked by a body), or they have not logged in."""
    if session.get("_user_id"):
        return _l("您已长时间未操作或已在别处退出，请重新登录。")
    return _l("请先登录。")


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
