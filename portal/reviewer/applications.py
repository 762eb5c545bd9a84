"""初审 and 审批: the queue of submitted applications, an application's detail with the decision buttons,
its PDF, and the export of the queue to CSV and XLSX. Every query goes through the body scope of ``gate``."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.menu import MenuLink
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, load_only

from .. import clock
from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Application, ApplicationKind, ApplicationStatus, Body, Category, Person, Staff
from ..models.workflow import TRANSITIONS_BY_NAME, Actor
from ..services.infrastructure import workdays
from ..services.review import deadlines, desk
from ..services.review import exports as review_exports
from ..services.review import queue as review_queue
from ..services.review.transitions import available
from ..validators import mask_id_number
from . import listing, materials
from .desk import ClaimFilter
from .filters import BodyFilter, UrgencyFilter
from .forms import DecisionForm, RecordForm
from .gate import ChoiceFilter, LocalDateBetweenFilter, ReviewerModelView, attempt, current_staff, deny

S = ApplicationStatus


#: the list's messages, translated once per page (``listing.text``) and formatted per row
CLAIMED_BY = _l("由%(name)s处理中")
WAITED = _l("已等待%(n)s个工作日")
OVERDUE_BY = _l("已超期%(n)s个工作日")
DUE_TODAY = _l("今日到期")
REMAINING = _l("剩余%(n)s个工作日")
DUE_ON = _l("%(step)s期限：%(due)s")


def _status_badge(view, context, model, name):
    badge = listing.html('<span class="badge badge-status badge-{}">{}</span>', model.status.value,
                         listing.label(model.status))
    if model.claimed_by_id is not None:  # 认领: colleagues see who is working on it
        # by its key, as the relationship loads it: from the session when known (the staff member's own claims),
        # else one query per colleague and page; a join in the list's query doubled its planning (~0.9 ms)
        claimed_by = db.session.get(Staff, model.claimed_by_id)
        badge += listing.html(' <span class="badge badge-info" data-claimed>{}</span>',
                              listing.text(CLAIMED_BY) % {"name": claimed_by.name})
    return badge


def _number_link(view, context, model, name):
    # the detail page keeps the queue it was opened from (「通过并下一条」 walks on through it)
    cache = listing.memo()
    link = cache.get("number_link")
    if link is None:
        link = cache["number_link"] = listing.detail_urls(".details_view", url=request.full_path)
    return listing.html('<a href="{}">{}</a>', link(model.id), model.number)


def _day(view, context, model, name):
    """The day in the list (the time in its tooltip): the queue's columns then fit a 1280-px screen."""
    value = getattr(model, name)
    if not value:
        return ""
    local = listing.local_time(value)  # YYYY-MM-DD HH:MM
    return listing.html('<span title="{}">{}</span>', local, local[:10])


def _row_deadline(model: Application):
    """The row's current limit, computed once per row from its own dates (no query; the day and the calendar
    looked up once per page)."""
    if "_row_deadline" not in model.__dict__:
        cache = listing.memo()
        if "deadline_day" not in cache:
            cache["deadline_day"] = (clock.today(), workdays.current())
        today, calendar = cache["deadline_day"]
        model.__dict__["_row_deadline"] = deadlines.application_row_deadline(model, today, calendar)
    return model.__dict__["_row_deadline"]


def _waited(view, context, model, name):
    row = _row_deadline(model)
    return listing.text(WAITED) % {"n": row.waited} if row else ""


def _remaining(view, context, model, name):
    """「剩余N个工作日」, amber from 5 down, red when overdue; the step it concerns and the day in the tooltip."""
    row = _row_deadline(model)
    if row is None:
        return ""
    if row.remaining < 0:
        text = listing.text(OVERDUE_BY) % {"n": -row.remaining}
    elif row.remaining == 0:
        text = listing.text(DUE_TODAY)
    else:
        text = listing.text(REMAINING) % {"n": row.remaining}
    title = listing.text(DUE_ON) % {"step": listing.text(row.label), "due": row.due.isoformat()}
    return listing.html('<span class="deadline deadline-{}" title="{}">{}</span>', row.state.value, title, text)


def _category(application: Application):
    return listing.label(application.person.category) if application.person.category else ""


#: what an export row reads (``_export_row``); anything else is loaded when asked for. The person's own body (eagerly
#: joined elsewhere) is not exported. (A list page reads ``ApplicationView.list_row_attributes`` as plain rows.)
_EXPORT_COLUMNS = (
    load_only(Application.id, Application.number, Application.person_id, Application.kind, Application.status,
              Application.body_id, Application.submitted_at, Application.decided_at, Application.last_reason),
    joinedload(Application.person).options(load_only(Person.id, Person.name, Person.id_number, Person.category),
                                            lazyload(Person.body)),
    joinedload(Application.body).load_only(Body.id, Body.name),
)


class ApplicationView(materials.MaterialsConsole, ReviewerModelView):
    """申请审核: the body's applications once submitted (drafts stay private to the applicant)."""

    list_template = "reviewer/application_list.html"
    column_list = ["number", "person.name", "person.id_number", "category", "kind", "body.name", "submitted_at",
                   "waited", "remaining", "status"]
    column_labels = {
        "number": _l("申请编号"), "person.name": _l("姓名"), "person.id_number": _l("证件号码"),
        "category": _l("专业类别"), "kind": _l("申请类型"), "body.name": _l("注册机构"),
        "submitted_at": _l("上报时间"), "status": _l("状态"), "decided_at": _l("审核时间"),
        "last_reason": _l("理由"), "waited": _l("已等待"), "remaining": _l("期限"),
    }
    column_formatters = {
        "number": _number_link,
        "person.id_number": lambda v, c, m, n: mask_id_number(m.person.id_number),
        "category": lambda v, c, m, n: _category(m),
        "kind": lambda v, c, m, n: listing.label(m.kind),
        "status": _status_badge,
        "submitted_at": _day,
        "waited": _waited,
        "remaining": _remaining,
    }
    column_sortable_list = ["number", "submitted_at", "status"]
    column_default_sort = ("submitted_at", False)  # oldest first (审批: oldest 初审通过 first, _get_default_order)
    column_searchable_list = ["number", "person.name", "person.id_number"]
    prefix_search = True
    column_filters = [
        ChoiceFilter(Application.status, _l("状态"), [(s.value, s.label) for s in S if s is not S.DRAFT]),
        ChoiceFilter("person.category", _l("专业类别"), Category.choices()),
        LocalDateBetweenFilter(Application.submitted_at, _l("上报日期")),
        UrgencyFilter(Application.submitted_at),
        BodyFilter(Application.body_id),
        ClaimFilter(Application.claimed_by_id),
        # last, so that the filters' URL arguments before it (bookmarked queues) keep their numbers
        ChoiceFilter(Application.kind, _l("申请类型"), ApplicationKind.choices()),
    ]
    column_select_related_list = [Application.person, Application.body]
    list_row_attributes = ("id", "number", "kind", "status", "submitted_at", "decided_at", "claimed_by_id",
                           "person.name", "person.id_number", "person.category", "body.name",
                           "certificate.valid_until")
    can_export = True
    export_types = ["csv", "xlsx"]

    def is_visible(self) -> bool:
        return False  # the menu reaches the list through the queue links (初审, 审批, 全部申请)

    def search_placeholder(self):
        return str(_l("姓名、证件号码或申请编号（从开头输入）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for flt in self._filters:
            if isinstance(flt, UrgencyFilter):
                flt.status_of = self.active_status  # 即将超期 within the 初审 or 审批 queue: an index range

    def _get_default_order(self):
        """Oldest first: by the day the current step began (审批: 初审通过; otherwise 上报), then by id."""
        for column, direction in review_queue.oldest_first(self.active_status()):
            yield column, [], direction

    def listed(self, query):
        """Submitted applications (drafts stay private to the applicant)."""
        return query.where(Application.submitted_at.is_not(None))

    def get_query(self):
        """Loading for the export only the columns it shows (not the form's JSON: ``snapshot`` and ``draft`` are
        read when a page needs them)."""
        return super().get_query().options(*_EXPORT_COLUMNS)

    def get_one(self, id):
        """A submitted application within the staff's scope. A draft (never submitted) belongs to the applicant
        alone: its detail, PDF and decisions answer 404, as for an id that does not exist."""
        application = super().get_one(id)
        if application.submitted_at is None:
            abort(404)
        return application

    # --- menu links to the queues ------------------------------------------------------------------------------

    def queue_url(self, status: str | None = None) -> str:
        """The list filtered to one status (初审: 已上报, 审批: 初审通过), or unfiltered."""
        if status is None:
            return url_for(f"{self.endpoint}.index_view")
        return url_for(f"{self.endpoint}.index_view", **{f"flt0_{self._status_filter_arg()}": status})

    def filtered_url(self, *, status: str | None = None, urgency: str | None = None,
                     body_code: str | None = None) -> str:
        """The list filtered to a status, 即将超期/已超期 (``deadlines.Urgency``) and a body (central staff)."""
        wanted = [(lambda f: f.column is Application.status or getattr(f.column, "key", None) == "status", status),
                  (lambda f: isinstance(f, UrgencyFilter), urgency), (lambda f: isinstance(f, BodyFilter), body_code)]
        args, position = {}, 0
        for matches, value in wanted:
            if value is None:
                continue
            index, flt = next((i, f) for i, f in enumerate(self._filters) if matches(f))
            args[f"flt{position}_{self.get_filter_arg(index, flt)}"] = value
            position += 1
        return url_for(f"{self.endpoint}.index_view", **args)

    def _status_filter_arg(self) -> str:
        for index, flt in enumerate(self._filters):
            if flt.column is Application.status or getattr(flt.column, "key", None) == "status":
                return self.get_filter_arg(index, flt)
        raise LookupError("status filter")

    def active_status(self) -> str | None:
        return request.args.get(f"flt0_{self._status_filter_arg()}")

    # --- detail and decisions ----------------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        """An application as submitted (the full form, with the full ID number: the opening is audit-logged),
        its PDF, the person's history, who has claimed it, and the decisions this staff member may take."""
        application = self.get_one(request.args.get("id"))
        staff = current_staff()
        review_queue.record_opening(application, staff)
        return self._render_detail(application, queue=self._queue_from(request.args.get("url")))

    def _queue_from(self, value: str | None) -> str:
        """The queue a detail page was opened from: a URL of this list only; otherwise (from the dashboard, a
        link, anything else) the staff member's own queue — 初审 for reviewers, 审批 for central staff."""
        parts = urlsplit(value or "")
        if value and not parts.scheme and not parts.netloc and parts.path == url_for(".index_view"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
        staff = current_staff()
        return self.queue_url(S.INITIAL_PASSED.value if staff is not None and staff.is_central else S.SUBMITTED.value)

    def _render_detail(self, application: Application, failed: DecisionForm | None = None,
                       failed_decision: str | None = None, queue: str | None = None):
        from ..services.documents.application_form import render_form_html

        queue = queue or self._queue_from(failed.queue.data if failed is not None else None)
        checklist = [item.text for item in desk.checklist_items()]
        forms = []  # (transition, form): the decisions of the table this staff member may take now
        for transition in available(application, staff=current_staff()):
            if transition.name == failed_decision and failed is not None:
                form = failed
            else:
                form = DecisionForm(prefix=transition.name, formdata=None, id=application.id,
                                    version=application.version, queue=queue)
            if transition.reason_label:
                form.reason.label.text = transition.reason_label
            if transition.name == "return":
                form.reason.label.text = _l("其他需要补正的内容")
            forms.append((transition, form))
        history = db.session.scalars(
            select(Application).where(Application.person_id == application.person_id,
                                      Application.submitted_at.is_not(None))
            .order_by(Application.submitted_at.desc())).all()
        return self.render("reviewer/application_detail.html", application=application, decision_forms=forms,
                           history=history, form_html=render_form_html(application.snapshot, application.number),
                           return_url=queue, checklist=checklist,
                           claim_form=RecordForm(formdata=None, id=application.id))

    @expose("/decide/<decision>/", methods=("POST",))
    def decide(self, decision: str):
        """通过 / 退回 / 不通过 (初审, reviewers) and 准予延续注册 / 不予注册 (审批, central staff). 初审通过,
        准予延续注册 and the refusals are asked once more on a confirmation page; 「…并下一条」 then opens the next
        application of the queue the reviewer came from."""
        transition = TRANSITIONS_BY_NAME.get(decision)
        if transition is None or not transition.is_decision:
            abort(404)
        staff = current_staff()
        form = DecisionForm(prefix=decision)
        application = self.get_one(form.id.data)
        transition = transition.for_kind(application.kind)  # its button, confirmation and message for this kind
        if (transition.actor is Actor.CENTRAL) != staff.is_central:
            deny(application, f"{staff.username} 试图对申请 {application.number} 进行无权限的操作 {decision}", 403)
        if not form.validate():
            return self._render_detail(application, form, decision)
        queue = self._queue_from(form.queue.data)
        show_form = lambda: self._render_detail(db.session.get(Application, application.id), form, decision)  # noqa: E731
        reason = form.reason.data
        marks = materials.posted_marks(application) if decision == "return" else {}  # documents to replace
        if decision == "return":
            if not form.items.data and not (reason or "").strip() and not marks:
                form.reason.errors.append(_l("请勾选需要补正的材料，或填写退回原因。"))
                return show_form()
            reason = attempt(lambda: materials.return_reason(application, marks, form.items.data, form.reason.data),
                             back=None, form=form, show_form=show_form)
        if decision in desk.CONFIRMED_DECISIONS and form.confirmed.data != "1":
            if transition.reason_required:
                attempt(lambda: desk.check_reason(reason), back=None, form=form, show_form=show_form)
            return self.render("reviewer/decision_confirm.html", application=application, transition=transition,
                               form=form, reason=reason, return_url=url_for(".details_view", id=application.id,
                                                                            url=queue))
        attempt(lambda: (materials.service.mark_for_replacement(application, staff, marks, utcnow()),
                         review_queue.decide(application, staff, decision, reason, utcnow(),
                                             expected_version=form.expected_version())),
                back=url_for(".details_view", id=application.id, url=queue), form=form, show_form=show_form)
        flash(transition.done, "success")  # the applicant's mail is in the outbox, committed with the decision
        if form.then.data == "next":
            return redirect(self._next_url(application.id, queue))
        return redirect(url_for(".details_view", id=application.id, url=queue))

    def _next_url(self, after: int, queue: str) -> str:
        query = urlsplit(queue).query
        return url_for(".next_view") + "?" + "&".join(part for part in (query, urlencode({"after": after})) if part)

    @expose("/next/")
    def next_view(self):
        """The application after ``after`` in the queue these arguments describe (its filters, search and order,
        as the list shows them), skipping those a colleague has claimed; the queue itself when none is left."""
        staff = current_staff()
        after = review_queue.parse_id(request.args.get("after"))
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "after"]
        queue = url_for(".index_view") + (f"?{urlencode(args)}" if args else "")
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        _count, rows = self.get_list(0, sort[0] if sort else None, view_args.sort_desc, view_args.search,
                                     view_args.filters, page_size=desk.STREAM_WINDOW)
        rows = list(rows)
        ids = [row.id for row in rows]
        following = rows[ids.index(after) + 1:] if after in ids else rows
        upcoming = next((row for row in following if row.id != after and not desk.claimed_by_other(row, staff)),
                        None)
        if upcoming is None:
            flash(_l("当前队列中已没有下一条申请。"), "info")
            return redirect(queue)
        return redirect(url_for(".details_view", id=upcoming.id, url=queue))

    @expose("/claim/", methods=("POST",))
    def claim(self):
        """认领: colleagues see 「由XX处理中」 on the queue and the detail page."""
        application = self.posted_record()
        back = url_for(".details_view", id=application.id, url=self._queue_from(request.form.get("queue")))
        attempt(lambda: desk.claim(application, current_staff(), utcnow()), back=back)
        flash(_l("已认领该申请，其他人员将看到由您处理中。"), "success")
        return redirect(back)

    @expose("/release/", methods=("POST",))
    def release(self):
        """释放认领."""
        application = self.posted_record()
        back = url_for(".details_view", id=application.id, url=self._queue_from(request.form.get("queue")))
        attempt(lambda: desk.release(application, current_staff()), back=back)
        flash(_l("已释放认领。"), "success")
        return redirect(back)

    @expose("/pdf/")
    def pdf_view(self):
        """The 申请表 of the application as printed by the applicant (A4 PDF); a form that cannot be rendered sends
        the staff member back to the application with the message."""
        from ..services.documents.application_form import render_application_pdf
        from ..services.documents.pdf import PdfRenderError

        application = self.get_one(request.args.get("id"))
        if not application.snapshot:
            abort(404)
        try:
            data = render_application_pdf(application)
        except PdfRenderError as error:
            flash(str(error), "error")
            return redirect(url_for(".details_view", id=application.id))
        review_queue.record_opening(application, current_staff(), "application.pdf")
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- export ------------------------------------------------------------------------------------------------

    EXPORT_HEADERS = (_l("申请编号"), _l("姓名"), _l("证件号码"), _l("专业类别"), _l("申请类型"), _l("注册机构"),
                      _l("上报时间"), _l("状态"), _l("审核时间"), _l("理由"))

    def _export_row(self, a: Application) -> list:
        return [a.number, a.person.name, mask_id_number(a.person.id_number), _category(a), a.kind.label,
                a.body.name if a.body else "", a.submitted_at, a.status.label, a.decided_at, a.last_reason]

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        """The list as it is filtered and searched, within the staff's scope, as CSV or Excel: every row, streamed
        a batch at a time (no row limit; the audit row says how many)."""
        if export_type not in self.export_types:
            abort(404)
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        _count, query = self.get_list(0, sort[0] if sort else None, view_args.sort_desc, view_args.search,
                                      view_args.filters, execute=False, page_size=0)
        count = query.order_by(None).count()
        staff = current_staff()
        # the audit row is committed when the response starts, before the rows are streamed
        review_queue.record_export(staff, count, export_type, request.query_string.decode()[:300])
        headers = [str(header) for header in self.EXPORT_HEADERS]
        rows = (self._export_row(application) for application in review_exports.stream_query(query))
        stamp = utcnow().strftime("%Y%m%d%H%M")
        if export_type == "csv":
            body, mimetype = review_exports.csv_stream(headers, rows), "text/csv; charset=utf-8"
        else:
            body = review_exports.xlsx_stream(headers, rows, str(_l("申请")), widths=(18, 10, 22, 14, 10, 24, 18,
                                                                                    12, 18, 40))
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = Response(stream_with_context(body), mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="applications-{stamp}.{export_type}"'
        return response


class QueueLink(MenuLink):
    """A menu entry to the applications list filtered to one status, shown to reviewers or to central staff."""

    def __init__(self, name, view: ApplicationView, status: str | None, central: bool | None):
        super().__init__(name)
        self.view = view
        self.status = status
        self.central = central  # None: both

    def get_url(self) -> str:
        return self.view.queue_url(self.status)

    def is_accessible(self) -> bool:
        staff = current_staff()
        return staff is not None and (self.central is None or self.central == staff.is_central)

    def is_active(self, view) -> bool:
        return view is self.view and self.view.active_status() == self.status
