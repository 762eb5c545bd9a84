"""邮件发送 (central staff only): the mail outbox — what was sent to whom and when, what waits, and the messages
given up on (a permanent refusal, or every attempt failed) with their last error and a 重试 button (audited)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import format_datetime
from markupsafe import Markup

from ..clock import utcnow
from ..i18n import lazy_gettext as _l
from ..models import OutboxMessage, OutboxState
from ..services.infrastructure.outbox import retry
from .forms import RecordForm
from .gate import CentralOnlyModelView, ChoiceFilter, LocalDateBetweenFilter, attempt, current_staff

#: what each template of portal/templates/mail/ tells the applicant
TEMPLATE_LABELS = {
    "application_submit": _l("申请已上报"),
    "application_withdraw": _l("申请已撤回"),
    "application_initial_pass": _l("初审通过"),
    "application_return": _l("退回修改"),
    "application_initial_reject": _l("初审不通过"),
    "application_approve": _l("准予延续注册"),
    "application_refuse": _l("不予注册"),
    "identity_corrected": _l("证件信息已更正"),
    "temporary_password": _l("临时密码领取通知"),
    "password_changed": _l("登录密码已修改"),
    "reset_link": _l("找回密码链接"),
    "reminder_window_open": _l("延续注册开放提醒"),
    "reminder_days_30": _l("到期前30天提醒"),
    "reminder_days_7": _l("到期前7天提醒"),
    "deadline_digest": _l("办理期限提醒（注册机构）"),
}
STATE_BADGES = {"pending": "secondary", "sending": "info", "sent": "success", "failed": "danger"}


def _when(view, context, model, name):
    value = getattr(model, name)
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss") if value else ""


def _template(view, context, model, name):
    return TEMPLATE_LABELS.get(model.template, model.template)


def _state(view, context, model, name):
    return Markup('<span class="badge badge-{}">{}</span>').format(STATE_BADGES.get(model.state, "secondary"),
                                                                 model.state_label)


def _error(view, context, model, name):
    return (model.last_error or "")[:120]


class OutboxView(CentralOnlyModelView):
    """邮件发送: newest first; filter 发送失败 to see what needs attention."""

    details_template = "reviewer/outbox_detail.html"
    column_list = ["created_at", "recipient", "template", "state", "attempts", "sent_at", "last_error"]
    column_labels = {"created_at": _l("写入时间"), "recipient": _l("收件人"), "template": _l("邮件"),
                     "state": _l("状态"), "attempts": _l("尝试次数"), "sent_at": _l("发出时间"),
                     "last_error": _l("最近一次错误")}
    column_formatters = {"created_at": _when, "sent_at": _when, "template": _template, "state": _state,
                         "last_error": _error}
    column_searchable_list = ["recipient"]
    column_filters = [
        ChoiceFilter(OutboxMessage.state, _l("状态"), [(state.value, state.label) for state in OutboxState]),
        LocalDateBetweenFilter(OutboxMessage.created_at, _l("写入日期")),
    ]
    column_default_sort = ("id", True)
    column_sortable_list = ["created_at"]
    page_size = 50

    @expose("/details/")
    def details_view(self):
        message = self.get_one(request.args.get("id"))
        return self.render(self.details_template, message=message, label=TEMPLATE_LABELS.get(message.template,
                                                                                              message.template),
                           form=RecordForm(formdata=None, id=message.id), return_url=url_for(".index_view"),
                           now=utcnow())

    @expose("/retry/", methods=("POST",))
    def retry_view(self):
        """重试: a failed message gets a new round of attempts (audited); it leaves after this request commits."""
        message = self.posted_record()
        attempt(lambda: retry(message, current_staff()), back=url_for(".details_view", id=message.id))
        flash(_l("已重新排队发送，稍后刷新查看结果。"), "success")
        return redirect(url_for(".details_view", id=message.id))
