"""Console login (用户名 + 密码 + 验证码), 安全退出 and the staff member's own password change."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_login import current_user, login_user, logout_user

from ..auth import clear_session_keeping_language
from ..clock import utcnow
from ..core import safe_next
from ..extensions import limiter
from ..i18n import lazy_gettext as _l
from ..services.accounts.logins import LoginPolicy, LoginRefused, log_out
from ..services.accounts.staff_accounts import change_own_password, staff_login, staff_logout
from ..services.errors import DomainError
from ..transaction import rollback_only
from .forms import ChangePasswordForm, StaffLoginForm
from .gate import LOGIN_ENDPOINT, current_staff


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _start_staff_session(staff) -> None:
    """A fresh cookie session for the staff member (the language choice survives)."""
    if current_user.is_authenticated and not getattr(current_user, "is_staff", False):
        log_out(current_user)  # an applicant logged in in this browser: end that session properly
    clear_session_keeping_language()
    login_user(staff)
    session.permanent = True


class StaffAuthView(BaseView):
    """Open to everyone (it is the way in); not shown in the menu."""

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    @limiter.limit(_login_rate_limit, methods=["POST"])
    def login(self):
        """工作人员登录: username, password and captcha; 5 wrong passwords lock the account for 15 minutes."""
        if current_staff() is not None:
            return redirect(url_for("reviewer.index"))
        form = StaffLoginForm()
        if form.validate_on_submit():
            try:
                staff = staff_login(form.username.data, form.password.data, utcnow(),
                                    LoginPolicy.from_config(current_app.config), ip=request.remote_addr)
            except LoginRefused as refused:
                form.password.errors.append(refused.message)  # the failure count is committed with the page
            else:
                _start_staff_session(staff)
                if staff.must_change_password:
                    flash(_l("您正在使用临时密码，请先修改密码。"), "warning")
                    return redirect(url_for(".password"))
                return redirect(safe_next(request.args.get("next"), url_for("reviewer.index")))
        return self.render("reviewer/login.html", form=form,
                           captcha_enabled=current_app.config["CAPTCHA_ENABLED"])

    @expose("/logout", methods=("POST",))
    def logout(self):
        """安全退出: the session ends now, so the next login is not refused (guide 七.4)."""
        staff = current_staff()
        if staff is not None:
            staff_logout(staff)
        logout_user()
        flash(_l("您已安全退出。"), "success")
        return redirect(url_for(LOGIN_ENDPOINT))

    @expose("/password", methods=("GET", "POST"))
    def password(self):
        """修改密码: required after a temporary password, available to every staff member."""
        staff = current_staff()
        if staff is None:
            return redirect(url_for(LOGIN_ENDPOINT, next=request.path))
        form = ChangePasswordForm()
        if form.validate_on_submit():
            try:
                change_own_password(staff, form.current.data, form.new.data, utcnow())
            except DomainError as error:
                rollback_only()
                getattr(form, error.field or "new").errors.append(error.message)
            else:
                login_user(staff)  # the session token changed with the password
                session.permanent = True
                flash(_l("密码已修改。"), "success")
                return redirect(url_for("reviewer.index"))
        return self.render("reviewer/password.html", form=form, staff=staff)
