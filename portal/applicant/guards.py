"""The applicant gate, the one place that decides access to the ``applicant.*`` views (registered in
``portal/applicant/__init__.py`` to run before each of them):

- login, 设置密码, 忘记密码 and its link, and 安全退出 are open to everybody;
- every other page needs a logged-in applicant (anonymous visitors and staff go to the home page with a message);
- a person with a temporary password is led to 修改密码 until it is changed;
- a person whose 注册类别 or 单位属性 is missing is led to 首次登录补全信息 until it is filled (guide 四).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from ..auth import login_prompt
from ..i18n import lazy_gettext as _l

#: Endpoints without login.
OPEN_ENDPOINTS = frozenset({
    "applicant.login", "applicant.logout", "applicant.set_password", "applicant.set_password_new",
    "applicant.forgot_password", "applicant.forgot_password_sent", "applicant.reset_password", "applicant.take_over",
})
#: Endpoints a person may still reach while a temporary password or an incomplete profile holds them back.
ALWAYS_REACHABLE = frozenset({"applicant.logout", "applicant.change_password", "applicant.session_keep_alive",
                              "applicant.session_idle_logout"})


def _requested_path() -> str:
    return request.full_path if request.query_string else request.path


def applicant_gate():
    """Send the visitor where the rules above say; None lets the view run."""
    endpoint = request.endpoint or ""
    if endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        flash(login_prompt(), "warning")
        next_path = _requested_path() if request.method == "GET" else None
        return redirect(url_for("public.index", next=next_path))
    if current_user.is_staff:
        flash(_l("审核人员账号不能进入注册人员页面。请先在审核控制台退出，再以注册人员身份登录。"), "warning")
        return redirect(url_for("public.index"))
    if endpoint in ALWAYS_REACHABLE:
        return None
    if current_user.must_change_password:
        flash(_l("您正在使用注册机构设置的临时密码，请先修改密码。"), "warning")
        return redirect(url_for("applicant.change_password"))
    if current_user.profile_incomplete and endpoint != "applicant.complete_profile":
        flash(_l("请先补全注册类别和单位属性等信息。"), "warning")
        return redirect(url_for("applicant.complete_profile"))
    return None
