"""注册申请登录, 安全退出, 设置密码 and 忘记密码 (guide 一.1, 一.2, 七.1, 七.2, 七.4)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..auth import clear_session_keeping_language
from ..clock import utcnow
from ..core import safe_next
from ..extensions import limiter
from ..i18n import lazy_gettext as _l
from ..models import Person
from ..services.accounts import applicants as accounts
from ..services.accounts.logins import LoginPolicy, LoginRefused, check_password_login, log_out
from ..services.errors import DomainError
from ..services.infrastructure.audit import record
from ..services.notifications.events import mail_reset_link
from ..transaction import rollback_only
from . import bp
from .forms import ForgotPasswordForm, IdentityForm, LoginForm, SetPasswordForm, attach_error
from .public import render_home
from .session import offer_take_over

TICKET_KEY = "set_password_ticket"


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _applicant_logged_in() -> bool:
    return current_user.is_authenticated and not current_user.is_staff


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    """注册申请登录: 证件类型, 证件号码, 密码, 验证码 → the personal page (or the page the person asked for)."""
    form = LoginForm()
    if request.method == "GET":
        return redirect(url_for("public.index", next=request.args.get("next") or None))
    if not form.validate_on_submit():
        return render_home(form)
    try:
        person = _find_login_person(form)
        check_password_login(person, form.password.data, utcnow(), LoginPolicy.from_config(current_app.config))
    except LoginRefused as refused:
        if refused.newly_locked:
            record("account.locked", f"{person.name}（{person.masked_id_number}）密码连续输错，账号锁定",
                   person=person, target=person, body_id=person.body_id, ip=request.remote_addr)
        if refused.reason == "live_session":
            return offer_take_over(person, refused.message, form.next.data)
        form.form_errors.append(refused.message)
        return render_home(form)  # 200: the failure count is committed
    except DomainError as error:
        attach_error(form, error)
        return render_home(form)
    login_user(person)
    session.permanent = True
    session.pop(TICKET_KEY, None)
    record("account.login", f"{person.name}（{person.masked_id_number}）登录", person=person, target=person,
           body_id=person.body_id, ip=request.remote_addr)
    return redirect(safe_next(form.next.data, url_for("applicant.home")))


def _find_login_person(form: LoginForm) -> Person | None:
    number = accounts.normalise_id_number(form.id_type.data, form.id_number.data)
    form.id_number.data = number
    return accounts.find_person(form.id_type.data, number)


@bp.post("/logout")
def logout():
    """安全退出: ends the session at once, so the account can log in again right away (guide 七.4)."""
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("public.index"))  # the console has its own 退出; leave that session alone
    was_logged_in = _applicant_logged_in()
    if was_logged_in:
        log_out(current_user)
        logout_user()
    clear_session_keeping_language()
    if was_logged_in:
        flash(_l("您已安全退出。"), "success")
    return redirect(url_for("public.index"))


# --- 设置密码 --------------------------------------------------------------------------------------------------

@bp.route("/set-password", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def set_password():
    """设置密码, step 1: identity verification against registration records (holders) or exam records (passers)."""
    if _applicant_logged_in():
        return redirect(url_for("applicant.home"))
    form = IdentityForm()
    failure = None
    if form.validate_on_submit():
        try:
            match = accounts.verify_identity(form.kind.data, form.name.data, form.id_type.data, form.id_number.data)
        except accounts.IdentityNotFound as not_found:
            failure = not_found.kind
        except accounts.PasswordAlreadySet:
            return render_template("applicant/set_password_exists.html")
        except DomainError as error:
            attach_error(form, error)
        else:
            session[TICKET_KEY] = accounts.issue_identity_ticket(match, current_app.config["SECRET_KEY"])
            return redirect(url_for("applicant.set_password_new"))
    return render_template("applicant/set_password.html", form=form, failure=failure)


@bp.route("/set-password/password", methods=["GET", "POST"])
def set_password_new():
    """设置密码, step 2: the verified person chooses a password (typed twice), then logs in with it."""
    if _applicant_logged_in():
        return redirect(url_for("applicant.home"))
    try:
        match = accounts.read_identity_ticket(session.get(TICKET_KEY), current_app.config["SECRET_KEY"])
        name, masked_id = accounts.describe_match(match)
    except DomainError as error:
        session.pop(TICKET_KEY, None)
        flash(error.message, "warning")
        return redirect(url_for("applicant.set_password"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_initial_password(match, form.password.data, form.confirm.data, utcnow(),
                                          ip=request.remote_addr)
        except accounts.PasswordAlreadySet:
            rollback_only()
            session.pop(TICKET_KEY, None)
            return render_template("applicant/set_password_exists.html")
        except DomainError as error:
            rollback_only()
            attach_error(form, error)
        else:
            session.pop(TICKET_KEY, None)
            flash(_l("密码设置成功，请使用证件号码和新密码登录。"), "success")
            return redirect(url_for("public.index"))
    return render_template("applicant/set_password_new.html", form=form, name=name, masked_id=masked_id)


# --- 忘记密码 --------------------------------------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def forgot_password():
    """忘记密码: mails a single-use link to the email on file; without email, points to the registration body."""
    if _applicant_logged_in():
        return redirect(url_for("applicant.home"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        minutes = current_app.config["RESET_LINK_MINUTES"]
        try:
            outcome = accounts.request_password_reset(form.name.data, form.id_type.data, form.id_number.data,
                                                      form.email.data, utcnow(), timedelta(minutes=minutes),
                                                      ip=request.remote_addr)
        except DomainError as error:
            attach_error(form, error)
        else:
            if isinstance(outcome, accounts.NoEmailOnFile):
                return render_template("applicant/forgot_password_no_email.html", body=outcome.body)
            if outcome is not None:  # an outbox row in this request's transaction; a worker sends it after the commit
                person, token = outcome
                mail_reset_link(person, url_for("applicant.reset_password", token=token, _external=True), minutes)
            return redirect(url_for("applicant.forgot_password_sent"))
    return render_template("applicant/forgot_password.html", form=form)


@bp.get("/forgot-password/sent")
def forgot_password_sent():
    """The same answer for every 忘记密码 request: where the mail went if the details matched, and what else to do."""
    return render_template("applicant/forgot_password_sent.html",
                           minutes=current_app.config["RESET_LINK_MINUTES"])


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """The page a 忘记密码 link opens: choose a new password; the link then stops working."""
    try:
        accounts.find_reset_token(token, utcnow())
    except accounts.ResetLinkInvalid as error:
        return _no_referrer(render_template("applicant/reset_password.html", form=None, invalid=error.message))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, form.confirm.data, utcnow(), ip=request.remote_addr)
        except DomainError as error:
            rollback_only()
            attach_error(form, error)
        else:
            if _applicant_logged_in():
                logout_user()
            flash(_l("新密码已设置，请使用新密码登录。"), "success")
            return redirect(url_for("public.index"))
    return _no_referrer(render_template("applicant/reset_password.html", form=form, invalid=None))


def _no_referrer(body: str):
    """The token is in the URL: never send it on to another site."""
    response = make_response(body)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

