"""The applicant's session beyond plain login and logout.

「结束其他登录并继续」 (guide 七.4): a login refused only because the account is live elsewhere (often a phone tab
closed without 安全退出) may end that session; the other browser is told why on its next request.

The idle warning's server side (guide 七.5): 继续 extends the session; at the end of the countdown the page logs
out, keeping an unsaved wizard step as a draft, and the home page says why.

``idle_session`` (a context processor) gives the pages of a logged-in applicant what static/js/idle.js counts
down: the seconds left before the idle logout and when to warn.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..auth import clear_session_keeping_language, idle_logout_message
from ..clock import utcnow
from ..core import safe_next
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..models import Person
from ..services.accounts.logins import log_out, take_over_session
from ..services.accounts.sessions import SessionPolicy, keep_alive, remaining
from ..services.errors import DomainError
from ..services.infrastructure.audit import record
from ..services.renewal import wizard
from . import bp
from .forms import TakeOverForm

#: the session key of a login refused for a live session elsewhere
TAKE_OVER_KEY = "take_over_ticket"
#: how long after the right password and captcha 「结束其他登录并继续」 may be chosen
TAKE_OVER_SECONDS = 300


def _password_digest(person: Person) -> str:
    """A keyed digest of the password hash: the ticket (in the signed, readable session cookie) changes with the
    password and tells nothing about it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (person.password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def offer_take_over(person: Person, message, next_url: str | None):
    """The login view's answer when the password and captcha were right but the account is live elsewhere: the
    refusal (when the session lapses by itself), 「结束其他登录并继续」, and the registration body's phone number.
    The session remembers who proved the password, when, and a digest of the password hash."""
    session[TAKE_OVER_KEY] = {"person": person.id, "at": utcnow().timestamp(), "next": next_url or "",
                              "password": _password_digest(person)}
    return render_template("applicant/take_over.html", message=message, body=person.body, form=TakeOverForm())


def _ticket_person(ticket) -> Person | None:
    """The person of a fresh take-over ticket whose password has not changed and who is not locked; else None."""
    if not isinstance(ticket, dict) or not isinstance(ticket.get("person"), int):
        return None
    if not 0 <= utcnow().timestamp() - float(ticket.get("at") or 0) <= TAKE_OVER_SECONDS:
        return None
    person = db.session.get(Person, ticket["person"])
    if person is None or not person.is_active or not person.password_hash:
        return None
    if not hmac.compare_digest(_password_digest(person), str(ticket.get("password"))):
        return None
    if person.locked_until is not None and person.locked_until > utcnow():
        return None
    return person


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.post("/login/take-over")
@limiter.limit(_login_rate_limit)
def take_over():
    """「结束其他登录并继续」: end the other session (audit-logged; it is told why on its next request) and log in
    here, going where the login was going."""
    form = TakeOverForm()
    ticket = session.pop(TAKE_OVER_KEY, None)
    person = _ticket_person(ticket) if form.validate_on_submit() else None
    if person is None:
        flash(_l("操作已过期，请重新输入密码登录。"), "warning")
        return redirect(url_for("public.index"))
    take_over_session(person, utcnow(), ip=request.remote_addr)
    login_user(person)
    session.permanent = True
    record("account.login", f"{person.name}（{person.masked_id_number}）结束其他登录后登录", person=person,
           target=person, body_id=person.body_id, ip=request.remote_addr)
    return redirect(safe_next(ticket.get("next"), url_for("applicant.home")))


def _policy() -> SessionPolicy:
    return SessionPolicy.from_config(current_app.config)


def _seconds_left(person=None) -> int:
    return int(remaining(person or current_user, utcnow(), _policy()).total_seconds())


@bp.app_context_processor
def idle_session() -> dict:
    """For the applicant's own pages: the countdown of the idle warning (nothing for visitors, staff, public pages)."""
    if not has_request_context() or request.blueprint != "applicant":  # mail and PDFs are also rendered outside a
        return {"idle_session": None}                                   # request (workers, commands)
    person = current_user._get_current_object()
    if not person.is_authenticated or person.is_staff:
        return {"idle_session": None}
    return {"idle_session": {"remaining": _seconds_left(person), "warning": int(_policy().warning.total_seconds()),
                             "keep_alive": url_for("applicant.session_keep_alive"),
                             "logout": url_for("applicant.session_idle_logout")}}


@bp.post("/session/keep-alive")
def session_keep_alive():
    """继续 in the idle warning: the session counts as active now; answers the seconds left."""
    keep_alive(current_user, utcnow())
    return jsonify(remaining=_seconds_left())


@bp.post("/session/idle-logout")
def session_idle_logout():
    """The end of the idle warning's countdown: keep the step being typed as a draft, end the session, and send the
    page home with 「您已因30分钟未操作自动退出」. When another tab was active meanwhile, the session goes on: the
    answer gives the seconds left instead."""
    left = _seconds_left()
    if left > _policy().warning.total_seconds():
        return jsonify(remaining=left)
    person = current_user._get_current_object()
    application = wizard.open_application(person)
    if application is not None:
        try:
            wizard.keep_unsaved(application, person, request.form.get("draft_step", ""), request.form)
        except DomainError:
            db.session.rollback()  # a concurrent change of the draft: the typed values are lost; the logout
            #                       below is still committed
    log_out(person)
    logout_user()
    clear_session_keeping_language()
    flash(idle_logout_message(), "warning")
    return jsonify(redirect=url_for("public.index"))
