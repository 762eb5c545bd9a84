"""Flask-Login wiring shared by both sides: ids are ``p:<id>:<token>`` (applicant) or ``s:<id>:<token>`` (staff)."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from .clock import utcnow
from .extensions import db, login_manager
from .i18n import lazy_gettext as _l
from .models import Person, Staff
from .services.accounts.logins import was_taken_over
from .services.accounts.sessions import SessionPolicy, ended_because, resume_session

#: the login check's one query per kind of account, built once (building it and its cache key for every request
#: cost a fifth of running it; issue 10). An applicant's certificates come with the account: the personal page, the
#: wizard and the certificate download read the current one (a separate query otherwise). The applicant's body
#: does not, nor a staff member's (the ORM's joined ``Body`` cost ~50 µs of every page): the pages show its name from
#: ``kept_bodies``, and the few that use the ``Body`` itself load it when they read ``.body``.
_ACCOUNTS = {"p": select(Person).where(Person.id == bindparam("id"))
             .options(lazyload(Person.body), joinedload(Person.certificates)),
             "s": select(Staff).where(Staff.id == bindparam("id")).options(lazyload(Staff.body))}
#: values the login check reads with an applicant's account on a page, on PostgreSQL: endpoint → a SQL expression
#: of the account's id (``:person``), registered by the page (``read_with_account``). The page then runs one
#: statement fewer (issue 10: each costs the worker ~0.15 ms of CPU beside what it reads).
_READ_WITH_ACCOUNT: dict[str, object] = {}
#: the login check's statements with those values, built once per endpoint
_ACCOUNT_AND: dict[str, object] = {}
#: requests a page makes by itself, which are not the person's activity: the idle warning's logout (it checks
#: whether another tab was active meanwhile, which its own request must not seem to be)
PASSIVE_ENDPOINTS = frozenset({"applicant.session_idle_logout"})


def load_user(user_id: str):
    """The account of a session cookie, if its token is still the live one and it has not been idle too long.

    While the database is unreachable the failure propagates to the 503 page (portal/errors.py), which marks the
    request so that rendering that page loads nobody: it is shown as to a visitor, and the session is kept.
    """
    if g.get("database_unavailable"):
        return None
    try:
        kind, pk, token = user_id.split(":", 2)
        account = _read_account(kind, int(pk))
    except (ValueError, KeyError):
        return None
    if account is None or not account.is_active:
        return None
    policy = SessionPolicy.from_config(current_app.config)
    now = utcnow()
    if kind == "p":
        g.session_ended = _why_ended(account, token, now, policy)
    activity = not has_request_context() or request.endpoint not in PASSIVE_ENDPOINTS
    if not resume_session(account, token, now, policy, activity=activity):
        db.session.commit()  # persist the ended session even though this request will answer "log in again"
        return None
    return account


def read_with_account(endpoint: str, value) -> None:
    """Have the login check read ``value`` (a SQL expression of the applicant's id, ``:person``) with the account
    when it runs for ``endpoint`` on PostgreSQL; the page finds it with ``read_for_page``."""
    _READ_WITH_ACCOUNT[endpoint] = value
    _ACCOUNT_AND.pop(endpoint, None)


def read_for_page():
    """What the login check read for this page with the account (``read_with_account``), or None when it did not
    (another database, another page, nobody logged in): the page then reads it itself."""
    return g.get("read_with_account")


def _read_account(kind: str, pk: int):
    endpoint = request.endpoint if has_request_context() else None
    if kind != "p" or endpoint not in _READ_WITH_ACCOUNT or db.engine.dialect.name != "postgresql":
        return db.session.execute(_ACCOUNTS[kind], {"id": pk}).unique().scalar_one_or_none()
    statement = _ACCOUNT_AND.get(endpoint)
    if statement is None:
        statement = _ACCOUNT_AND[endpoint] = _ACCOUNTS["p"].add_columns(_READ_WITH_ACCOUNT[endpoint])
    row = db.session.execute(statement, {"id": pk, "person": pk}).unique().one_or_none()
    if row is None:
        return None
    g.read_with_account = row[1]
    return row[0]


def _why_ended(person, token: str, now, policy: SessionPolicy) -> str | None:
    """An applicant's ended session: idle, ended by 「结束其他登录并继续」 elsewhere (``taken_over``), or otherwise."""
    reason = ended_because(person, token, now, policy)
    if reason == "replaced" and was_taken_over(person, token):
        return "taken_over"
    return reason


def idle_logout_message():
    return _l("您已因%(minutes)d分钟未操作自动退出，请重新登录。",
              minutes=max(1, round(current_app.config["IDLE_TIMEOUT_MINUTES"])))


def clear_session_keeping_language() -> None:
    """Empty the browser's cookie session (after a logout, before a new login); the language choice survives."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def login_prompt():
    """What a gate tells a visitor it sends to a login page: their session has ended (an applicant is told whether
    by the idle timeout or by a login elsewhere; otherwise 安全退出 elsewhere or unlocked by a body), or they have
    not logged in."""
    reason = g.get("session_ended")
    if reason == "idle":
        return idle_logout_message()
    if reason == "taken_over":
        return _l("您的账号已在其他地方登录（选择了“结束其他登录并继续”），本次登录已结束。如不是您本人操作，"
                  "请立即修改密码或联系所属注册机构。")
    if session.get("_user_id"):
        return _l("您已长时间未操作或已在别处退出，请重新登录。")
    return _l("请先登录。")


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
