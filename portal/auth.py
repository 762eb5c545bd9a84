"""Flask-Login wiring shared by both sides: ids are ``p:<id>:<token>`` (applicant) or ``s:<id>:<token>`` (staff)."""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from .clock import utcnow
from .extensions import db, login_manager
from .models import Person, Staff
from .services.sessions import SessionPolicy, resume_session

_MODELS = {"p": Person, "s": Staff}


def load_user(user_id: str):
    """The account of a session cookie, if its token is still the live one and it has not been idle too long."""
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


def unauthorized():
    """Send the user to the login of the side they were trying to reach."""
    had_session = bool(request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]))
    flash(_l("您已长时间未操作或已在别处退出，请重新登录。") if had_session else _l("请先登录。"), "warning")
    if request.blueprint and request.blueprint.startswith("reviewer"):
        return redirect(url_for("reviewer_auth.login"))
    return redirect(url_for("public.index"))


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
