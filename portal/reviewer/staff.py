"""Central staff only: console accounts (create with an initial password, enable/disable, temporary password,
解锁) and the read-only audit log."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import DataRequired, Length, ValidationError

from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditLog, Body, BodyKind, Staff, StaffRole
from ..services.accounts.logins import LoginPolicy
from ..services.accounts.staff import create_staff
from ..services.accounts.staff_accounts import lock_state, reset_staff_password, set_staff_active, unlock_staff
from ..services.errors import DomainError
from ..services.infrastructure.audit_actions import ACTION_LABELS
from . import listing
from .filters import BodyFilter
from .forms import RecordForm, StaffCreateForm, select_choices
from .gate import CentralOnlyModelView, ChoiceFilter, LocalDateBetweenFilter, attempt, current_staff


def _policy() -> LoginPolicy:
    return LoginPolicy.from_config(current_app.config)


class StaffView(CentralOnlyModelView):
    """工作人员账号: reviewers of every body and central staff. Passwords are never shown or edited here."""

    can_create = True
    can_edit = True
    simple_list_pager = False
    column_list = ["username", "name", "role", "body.name", "active", "must_change_password"]
    column_labels = {"username": _l("用户名"), "name": _l("姓名"), "role": _l("角色"), "body.name": _l("所属注册机构"),
                     "active": _l("启用"), "must_change_password": _l("须修改密码")}
    column_formatters = {"role": lambda v, c, m, n: m.role.label}
    column_searchable_list = ["username", "name"]
    column_filters = [ChoiceFilter(Staff.role, _l("角色"), [(role.value, role.label) for role in StaffRole])]
    column_default_sort = ("username", False)
    column_sortable_list = ["username", "name"]
    column_select_related_list = [Staff.body]
    form_columns = ["name", "active"]
    form_args = {"name": {"label": _l("姓名"), "validators": [DataRequired(), Length(max=50)]},
                 "active": {"label": _l("启用（停用后立即退出且不能登录）")}}

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """新建工作人员账号: a reviewer of one body or a central staff member, with an initial password."""
        form = StaffCreateForm()
        bodies = db.session.scalars(select(Body).order_by(Body.sort_order, Body.code)).all()
        form.body.choices = select_choices((body.code, f"{body.name}（{body.code}）") for body in bodies)
        if form.validate_on_submit():
            role = StaffRole(form.role.data)  # one of the form's choices
            staff = attempt(lambda: create_staff(form.username.data, role, form.password.data,
                                                 body_code=form.body.data if role is StaffRole.REVIEWER else None,
                                                 name=form.name.data, actor=current_staff()),
                            back=None, form=form, show_form=lambda: self._render_new(form, bodies))
            staff.must_change_password = True
            flash(_l("已创建账号 %(username)s，请将初始密码告知本人；首次登录后须修改。", username=staff.username),
                  "success")
            return redirect(url_for(".details_view", id=staff.id))
        return self._render_new(form, bodies)

    def _render_new(self, form: StaffCreateForm, bodies: list[Body]):
        return self.render("reviewer/staff_new.html", form=form, central_code=next(
            (body.code for body in bodies if body.kind is BodyKind.CENTRAL), ""), return_url=url_for(".index_view"))

    def on_model_change(self, form, model, is_created):
        """Editing: the name, and 启用/停用 through the rule that nobody disables their own account."""
        if not is_created and form.active.object_data != form.active.data:
            model.active = form.active.object_data
            try:
                set_staff_active(model, current_staff(), form.active.data)
            except DomainError as error:
                raise ValidationError(str(error.message)) from None

    @expose("/details/")
    def details_view(self):
        """An account: its body and role, lock state, and the buttons 重置密码 / 解锁."""
        return self._render(self.get_one(request.args.get("id")))

    def _render(self, target: Staff, temporary_password: str | None = None):
        return self.render("reviewer/staff_detail.html", target=target, form=RecordForm(formdata=None, id=target.id),
                           lock=lock_state(target, utcnow(), _policy()), temporary_password=temporary_password,
                           return_url=url_for(".index_view"))

    @expose("/reset-password/", methods=("POST",))
    def reset_password(self):
        """A temporary password for a colleague, shown once; it must be changed at the next login."""
        target = self.posted_record()
        password = attempt(lambda: reset_staff_password(target, current_staff(), utcnow()),
                           back=url_for(".details_view", id=target.id))
        response = make_response(self._render(target, temporary_password=password))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/unlock/", methods=("POST",))
    def unlock(self):
        """解锁 a console account."""
        target = self.posted_record()
        unlock_staff(target, current_staff())
        flash(_l("已解锁。"), "success")
        return redirect(url_for(".details_view", id=target.id))


def _data(view, context, model, name):
    if not model.data:
        return ""
    rows = Markup("").join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(key, value)
                           for key, value in model.data.items())
    return Markup('<table class="table table-sm table-bordered mb-0">{}</table>').format(rows)


def _action(view, context, model, name):
    """The action in words, with its code for those who search by it (the words looked up once per page)."""
    label = ACTION_LABELS.get(model.action)
    words = listing.text(label) if label is not None else model.action
    return listing.html('{} <small class="text-muted">{}</small>', words, model.action)


class AuditLogView(CentralOnlyModelView):
    """审计日志: read-only; filter by actor, action and date."""

    can_view_details = True
    column_list = ["created_at", "actor_label", "action", "summary", "ip"]
    column_details_list = ["created_at", "actor_kind", "actor_label", "action", "target_type", "target_id", "body_id",
                           "summary", "data", "ip"]
    column_labels = {"created_at": _l("时间"), "actor_kind": _l("操作人类型"), "actor_label": _l("操作人"),
                     "action": _l("操作"), "target_type": _l("对象类型"), "target_id": _l("对象编号"),
                     "body_id": _l("注册机构编号"), "summary": _l("摘要"), "data": _l("详细信息"), "ip": _l("IP 地址")}
    column_formatters = {"created_at": lambda v, c, m, n: listing.local_time(m.created_at, seconds=True),
                         "action": _action, "data": _data}
    column_filters = [
        FilterLike(AuditLog.actor_label, _l("操作人")),
        ChoiceFilter(AuditLog.action, _l("操作"), list(ACTION_LABELS.items())),
        FilterEqual(AuditLog.action, _l("操作代码")),
        FilterLike(AuditLog.action, _l("操作代码")),
        LocalDateBetweenFilter(AuditLog.created_at, _l("日期")),
        BodyFilter(AuditLog.body_id),
    ]
    column_default_sort = ("created_at", True)
    column_sortable_list = ["created_at"]
    page_size = 50
    #: the columns the list shows (not ``data``: its JSON is shown on an entry's own page)
    list_row_attributes = ("id", "created_at", "actor_label", "action", "summary", "ip")
