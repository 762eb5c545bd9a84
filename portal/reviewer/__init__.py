"""The reviewer console (审核控制台): a Flask-Admin 2 console under ``/reviewer/`` for the reviewers of the
registration bodies and the staff of the management center. ``init_console(app)`` builds it for one app."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, request

from ..i18n import lazy_gettext as _l

#: every endpoint of the console starts with "reviewer" (portal/auth.py sends those to the console login)
ENDPOINTS = {
    "home": "reviewer",
    "auth": "reviewer_auth",
    "applications": "reviewer_applications",
    "people": "reviewer_people",
    "corrections": "reviewer_corrections",
    "bodies": "reviewer_bodies",
    "announcements": "reviewer_announcements",
    "documents": "reviewer_documents",
    "staff": "reviewer_staff",
    "audit": "reviewer_audit",
    "calendar": "reviewer_calendar",
    "outbox": "reviewer_outbox",
    "desk": "reviewer_desk",
    "checklist": "reviewer_checklist",
    "imports": "reviewer_imports",
}


def init_console(app: Flask) -> None:
    """Build the console for this app (never a module-global Admin): views, menu and Chinese chrome."""
    from flask_admin import Admin
    from flask_admin.menu import MenuLink
    from flask_admin.theme import Bootstrap4Theme

    from ..models import (
        Announcement,
        Application,
        AuditLog,
        Body,
        CalendarDay,
        Document,
        IdentityCorrection,
        OutboxMessage,
        Person,
        ReturnChecklistItem,
        Staff,
    )
    from ..services.review import kind_facts
    from ..services.review.deadlines import deadlines_for
    from . import frame, listing
    from .applications import ApplicationView, QueueLink
    from .auth import StaffAuthView
    from .calendar import CalendarDayView
    from .content import AnnouncementView, BodyView, DocumentView
    from .corrections import CorrectionView
    from .desk import ChecklistView, DeskView, MineLink
    from .home import ConsoleHomeView
    from .i18n import use_chinese_admin_chrome
    from .imports import ImportView
    from .outbox import OutboxView
    from .people import PersonView
    from .staff import AuditLogView, StaffView

    use_chinese_admin_chrome()
    app.register_blueprint(Blueprint("reviewer_templates", __name__, template_folder="templates"))

    home = ConsoleHomeView(name=_l("首页"), url="/reviewer", endpoint=ENDPOINTS["home"])
    admin = Admin(app, name=_l("注册管理控制台"), url="/reviewer", endpoint=ENDPOINTS["home"], index_view=home,
                  theme=Bootstrap4Theme(base_template="reviewer/master.html", fluid=True))
    admin.add_view(StaffAuthView(name=_l("登录"), endpoint=ENDPOINTS["auth"], url="account"))

    applications = ApplicationView(Application, name=_l("申请审核"), endpoint=ENDPOINTS["applications"],
                                   url="applications")
    admin.add_view(applications)
    admin.add_menu_item(QueueLink(_l("初审"), applications, "submitted", central=False))
    admin.add_menu_item(QueueLink(_l("审批"), applications, "initial_passed", central=True))
    admin.add_menu_item(QueueLink(_l("全部申请"), applications, None, central=None))
    admin.add_menu_item(MineLink(_l("我的"), applications))
    admin.add_view(DeskView(name=_l("批量审核"), endpoint=ENDPOINTS["desk"], url="desk"))
    admin.add_menu_item(MenuLink(_l("汇总表"), endpoint=f"{ENDPOINTS['desk']}.summary"))  # 申请注册人员汇总表

    admin.add_view(PersonView(Person, name=_l("注册人员"), endpoint=ENDPOINTS["people"], url="people"))
    corrections = CorrectionView(IdentityCorrection, name=_l("证件信息更正"), endpoint=ENDPOINTS["corrections"],
                                 url="corrections")
    admin.add_view(corrections)

    system = _l("系统管理")
    admin.add_view(BodyView(Body, name=_l("注册机构"), category=system, endpoint=ENDPOINTS["bodies"], url="bodies"))
    admin.add_view(AnnouncementView(Announcement, name=_l("公告信息"), category=system,
                                    endpoint=ENDPOINTS["announcements"], url="announcements"))
    admin.add_view(DocumentView(Document, name=_l("注册表格与相关制度"), category=system,
                                endpoint=ENDPOINTS["documents"], url="documents"))
    admin.add_view(StaffView(Staff, name=_l("工作人员账号"), category=system, endpoint=ENDPOINTS["staff"],
                             url="staff"))
    admin.add_view(ImportView(name=_l("数据导入"), category=system, endpoint=ENDPOINTS["imports"], url="imports"))
    admin.add_view(ChecklistView(ReturnChecklistItem, name=_l("退回补正项目"), category=system,
                                 endpoint=ENDPOINTS["checklist"], url="checklist"))
    admin.add_view(AuditLogView(AuditLog, name=_l("审计日志"), category=system, endpoint=ENDPOINTS["audit"],
                                url="audit"))
    admin.add_view(OutboxView(OutboxMessage, name=_l("邮件发送"), category=system, endpoint=ENDPOINTS["outbox"],
                              url="outbox"))
    admin.add_view(CalendarDayView(CalendarDay, name=_l("工作日历"), category=system, endpoint=ENDPOINTS["calendar"],
                                   url="calendar"))

    home.applications = applications
    app.add_template_global(deadlines_for, "application_deadlines")  # the detail page's 法定期限
    home.corrections = corrections
    app.add_template_global(kind_facts.facts, "application_kind_facts")  # the detail page's 申请事项
    app.add_template_global(kind_facts.masked_holder, "masked_exam_holder")
    app.extensions["reviewer_console"] = admin
    app.add_template_global(frame.menu_state, "console_menu_state")
    app.add_template_global(frame.url, "console_url")  # the frame's parts kept once per process
    app.add_template_global(frame.StaticFiles(admin.endpoint), "admin_static")
    app.add_template_global(frame.block, "console_block")
    app.add_template_global(listing.lean_header, "console_list_header")
    app.before_request(_refuse_nul_bytes)


def _refuse_nul_bytes():
    """A NUL character in a console URL or form is never legitimate and PostgreSQL refuses it in text: answer 400
    (a readable error page) instead of letting it reach a query."""
    if request.path.startswith("/reviewer") and any(
            "\x00" in value for source in (request.args, request.form) for values in source.listvalues()
            for value in values):
        abort(400)
