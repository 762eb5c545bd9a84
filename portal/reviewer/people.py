"""注册人员: the applicants of the reviewer's body — their page (with the full ID number, audit-logged), a temporary
password for someone without email, 解锁, and the way to 证件信息更正."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Application, Category, IdentityCorrection, IdType, Person
from ..services.accounts.logins import LoginPolicy
from ..services.accounts.staff_accounts import lock_state, reset_applicant_password, unlock_applicant
from ..services.corrections import pending_for
from ..services.review import queue as review_queue
from ..validators import mask_id_number
from . import listing
from .cancellation import CancellationActions, may_file_cancellation
from .filters import BodyFilter
from .forms import RecordForm
from .gate import ChoiceFilter, ReviewerModelView, attempt, current_staff


def _policy() -> LoginPolicy:
    return LoginPolicy.from_config(current_app.config)


#: the list's words, translated once per page (``listing.text``)
PASSWORD_LOCKED = _l("密码错误锁定")
SESSION_LOCKED = _l("在线/会话锁定")
EMAIL_KEPT = _l("已留存")
NO_EMAIL = _l("无")


def _lock_text(person: Person) -> str:
    cache = listing.memo()  # the instant and the policy once per page
    if "lock_now" not in cache:
        cache["lock_now"] = (utcnow(), _policy())
    state = lock_state(person, *cache["lock_now"])
    if state.locked_until:
        return listing.text(PASSWORD_LOCKED)
    if state.session_until:
        return listing.text(SESSION_LOCKED)
    return ""


class PersonView(CancellationActions, ReviewerModelView):
    """注册人员 of the body (central staff: everyone)."""

    column_list = ["name", "id_type", "id_number", "category", "body.name", "email", "lock"]
    column_labels = {"name": _l("姓名"), "id_type": _l("证件类型"), "id_number": _l("证件号码"),
                     "category": _l("专业类别"), "body.name": _l("注册机构"), "email": _l("邮箱"),
                     "lock": _l("锁定")}
    column_formatters = {
        "name": lambda v, c, m, n: listing.html('<a href="{}">{}</a>', listing.detail_urls(".details_view")(m.id),
                                                m.name),
        "id_type": lambda v, c, m, n: listing.label(m.id_type),
        "id_number": lambda v, c, m, n: mask_id_number(m.id_number),
        "category": lambda v, c, m, n: listing.label(m.category) if m.category else "",
        "email": lambda v, c, m, n: listing.text(EMAIL_KEPT if m.email else NO_EMAIL),
        "lock": lambda v, c, m, n: _lock_text(m),
    }
    column_sortable_list = ["name"]
    column_default_sort = ("name", False)
    column_searchable_list = ["name", "id_number"]
    prefix_search = True
    column_filters = [
        ChoiceFilter(Person.category, _l("专业类别"), Category.choices()),
        ChoiceFilter(Person.id_type, _l("证件类型"), IdType.choices()),
        BodyFilter(Person.body_id),
    ]
    column_select_related_list = [Person.body]
    #: what the list reads (``_lock_text`` reads the lock and session columns)
    list_row_attributes = ("id", "name", "id_type", "id_number", "category", "email", "locked_until", "session_token",
                           "last_seen_at", "body.name")

    def search_placeholder(self):
        return str(_l("姓名或证件号码（从开头输入）"))

    @expose("/details/")
    def details_view(self):
        """A person's page: identity (full ID number, audit-logged), certificates, applications, corrections,
        lock state and the buttons 重置密码 / 解锁 / 证件信息更正."""
        person = self.get_one(request.args.get("id"))
        review_queue.record_person_opening(person, current_staff())
        return self._render(person)

    def _render(self, person: Person, temporary_password: str | None = None):
        applications = db.session.scalars(
            select(Application).where(Application.person_id == person.id, Application.submitted_at.is_not(None))
            .order_by(Application.submitted_at.desc())).all()
        corrections = db.session.scalars(
            review_queue.scoped(select(IdentityCorrection), IdentityCorrection, current_staff())
            .where(IdentityCorrection.person_id == person.id).order_by(IdentityCorrection.id.desc())).all()
        return self.render("reviewer/person_detail.html", person=person, applications=applications,
                           corrections=corrections, pending=pending_for(person),
                           lock=lock_state(person, utcnow(), _policy()),
                           form=RecordForm(formdata=None, id=person.id),
                           temporary_password=temporary_password, return_url=url_for(".index_view"),
                           may_cancel=may_file_cancellation(person, current_staff()))

    @expose("/reset-password/", methods=("POST",))
    def reset_password(self):
        """重置密码 for an applicant without email: a temporary password, shown once on this page only."""
        person = self.posted_record()
        password = attempt(lambda: reset_applicant_password(person, current_staff(), utcnow()),
                           back=url_for(".details_view", id=person.id))
        response = make_response(self._render(person, temporary_password=password))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/unlock/", methods=("POST",))
    def unlock(self):
        """解锁: release the failed-login lock and the live-session lock at once."""
        person = self.posted_record()
        before = unlock_applicant(person, current_staff(), utcnow(), _policy())
        message = _l("已解锁，该人员现在可以登录。") if before.locked else _l("该人员未被锁定，已确认可以登录。")
        flash(message, "success")
        return redirect(url_for(".details_view", id=person.id))
