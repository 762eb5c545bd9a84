"""The review desk at volume: bulk decisions (select, confirm, result), the 申请注册人员汇总表 export, and the 退回
checklist kept by central staff. Every page goes through the console gate and the body scope; every action is
audited (``portal/services/review/desk.py``, ``exports.py``)."""

from __future__ import annotations

from flask import Response, abort, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.menu import MenuLink
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField
from wtforms.validators import Optional, ValidationError

from ..clock import today, utcnow
from ..extensions import db
from ..forms import SiteForm
from ..i18n import lazy_gettext as _l
from ..models import Application, ApplicationStatus, Body, BodyKind, ReturnChecklistItem
from ..models.workflow import TRANSITIONS_BY_NAME
from ..services.review import desk
from ..services.review import exports as review_exports
from ..services.review.queue import scoped
from ..validators import mask_id_number
from .content import AuditedModelView
from .forms import select_choices
from .gate import ReviewerView, attempt, current_staff, deny

S = ApplicationStatus
#: which status each bulk decision starts from
SOURCE = {"initial_pass": S.SUBMITTED, "approve": S.INITIAL_PASSED}
#: the most rows the selection page lists (oldest first); the rest follow once these are decided
LIST_LIMIT = desk.BULK_MAX


class ClaimFilter(BaseSQLAFilter):
    """「我的」 (claimed by me) / 未认领 on the queue."""

    def __init__(self, column):
        super().__init__(column, _l("认领"), options=[("mine", _l("我的")), ("unclaimed", _l("未认领"))])

    def operation(self):
        return _l("为")

    def validate(self, value) -> bool:
        return value in ("mine", "unclaimed")

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        if value == "mine":
            staff = current_staff()
            return query.filter(column == (staff.id if staff is not None else -1))
        return query.filter(column.is_(None))


class MineLink(MenuLink):
    """「我的」 in the menu: the queue filtered to the applications this staff member has claimed."""

    def __init__(self, name, view):
        super().__init__(name)
        self.view = view

    def get_url(self) -> str:
        for index, flt in enumerate(self.view._filters or ()):
            if isinstance(flt, ClaimFilter):
                return url_for(f"{self.view.endpoint}.index_view", **{f"flt0_{self.view.get_filter_arg(index, flt)}":
                                                                       "mine"})
        return url_for(f"{self.view.endpoint}.index_view")

    def is_accessible(self) -> bool:
        return current_staff() is not None


class BulkForm(SiteForm):
    """The selected applications (ids), the decision, and ``confirmed`` from the confirmation page."""

    ids = SelectMultipleField(choices=[], validate_choice=False, coerce=str)
    confirmed = HiddenField()


class SummaryForm(SiteForm):
    """申请注册人员汇总表: body (central staff choose), date range, format."""

    class Meta:
        csrf = False  # a GET download that changes nothing

    body = SelectField(_l("注册机构"), choices=[], validate_choice=False)
    start = DateField(_l("上报日期自"), validators=[Optional()])
    end = DateField(_l("至"), validators=[Optional()])
    format = SelectField(_l("格式"), choices=select_choices([("xlsx", "Excel（XLSX）"), ("pdf", "PDF")]))


class DeskView(ReviewerView):
    """批量审核 and 汇总表, for reviewers (初审通过) and central staff (准予延续注册)."""

    def _decision(self) -> str:
        return "approve" if current_staff().is_central else "initial_pass"

    def _check_decision(self, decision: str) -> None:
        """A reviewer may bulk-pass (初审), central staff bulk-approve (审批); anything else is refused."""
        if decision not in desk.BULK_DECISIONS:
            abort(404)
        if decision != self._decision():
            staff = current_staff()
            deny(None, f"{staff.username} 试图批量办理无权限的操作 {decision}", 403)

    @expose("/")
    def index(self):
        """批量审核: the oldest waiting applications of the staff member's queue (central: optionally one body),
        each with a tick box; the selection goes to a confirmation page."""
        staff = current_staff()
        decision = self._decision()
        body_id = request.args.get("body", type=int) if staff.is_central else None
        mine = request.args.get("mine") == "1"
        query = scoped(select(Application), Application, staff).where(Application.status == SOURCE[decision])
        if body_id:
            query = query.where(Application.body_id == body_id)
        if mine:
            query = query.where(Application.claimed_by_id == staff.id)
        rows = db.session.scalars(query.order_by(Application.submitted_at, Application.id).limit(LIST_LIMIT)).all()
        return self.render("reviewer/bulk_select.html", rows=rows, decision=TRANSITIONS_BY_NAME[decision],
                           form=BulkForm(formdata=None), bodies=self._bodies() if staff.is_central else [],
                           body_id=body_id, mine=mine, limit=LIST_LIMIT, mask=mask_id_number, staff=staff)

    def _bodies(self) -> list[Body]:
        return list(db.session.scalars(select(Body).where(Body.kind != BodyKind.CENTRAL)
                                       .order_by(Body.sort_order, Body.code)))

    @expose("/confirm/<decision>/", methods=("POST",))
    def confirm(self, decision: str):
        """The selected applications listed once more, with what will happen to each; then 确认."""
        self._check_decision(decision)
        form = BulkForm()
        if not form.validate():
            abort(400)
        back = url_for(".index")
        rows = self._candidates(form.ids.data, decision)
        return self.render("reviewer/bulk_confirm.html", rows=rows, decision=TRANSITIONS_BY_NAME[decision],
                           form=form, back=back, mask=mask_id_number, staff=current_staff())

    @expose("/run/<decision>/", methods=("POST",))
    def run(self, decision: str):
        """Each selected application decided on its own (checked and audited through the transition table); the
        result page lists which went through and which did not, and why."""
        self._check_decision(decision)
        form = BulkForm()
        if not form.validate() or form.confirmed.data != "1":
            abort(400)
        staff = current_staff()
        candidates = self._candidates(form.ids.data, decision)
        outcomes = []
        for application in candidates:  # each item in its own transaction: one refusal never undoes the others
            outcome = desk.decide_one(application, decision, staff, utcnow())
            if outcome.ok:
                db.session.commit()
            else:
                db.session.rollback()
            outcomes.append(outcome)
        desk.record_bulk(decision, staff, outcomes)
        transition = TRANSITIONS_BY_NAME[decision]  # each applicant's mail is queued by the transition itself
        return self.render("reviewer/bulk_result.html", outcomes=outcomes, decision=transition,
                           succeeded=sum(outcome.ok for outcome in outcomes), back=url_for(".index"))

    def _candidates(self, ids, decision: str) -> list[Application]:
        """The selected applications in scope; a selection naming another body's application is refused (404)
        and audit-logged, as opening it by URL would be."""
        staff = current_staff()
        rows = attempt(lambda: desk.bulk_candidates(ids, decision, staff), back=url_for(".index"))
        foreign = desk.unseen(ids, rows)
        if foreign:
            deny(None, f"{staff.username} 试图批量办理其他注册机构的申请 {', '.join(map(str, foreign[:20]))}")
        return rows

    # --- 申请注册人员汇总表 ---------------------------------------------------------------------------------------

    @expose("/summary/")
    def summary(self):
        """申请注册人员汇总表 of one body (reviewers: their own) for a range of 上报 dates, as XLSX or PDF. The
        XLSX holds every row (streamed); the PDF up to ``SUMMARY_PDF_MAX_ROWS`` and says so beyond."""
        staff = current_staff()
        form = SummaryForm(request.args)
        bodies = self._bodies() if staff.is_central else [staff.body]
        form.body.choices = select_choices(((str(body.id), body.name) for body in bodies),
                                           str(_l("请选择")) if staff.is_central else None)
        if not request.args.get("start") and not request.args.get("end"):
            return self._render_summary(form)
        if not form.validate():
            return self._render_summary(form)
        wanted = attempt(lambda: review_exports.summary_request(staff, form.body.data, form.start.data,
                                                                form.end.data),
                         back=None, form=form, show_form=lambda: self._render_summary(form))
        count = review_exports.summary_count(wanted, staff)
        export_type = form.format.data
        if export_type == "pdf" and count > review_exports.SUMMARY_PDF_MAX_ROWS:
            form.format.errors.append(_l("该期间共%(count)d条，超过PDF的%(max)d条上限，请缩小日期范围或导出Excel。",
                                         count=count, max=review_exports.SUMMARY_PDF_MAX_ROWS))
            return self._render_summary(form)
        review_exports.record_summary_export(wanted, staff, count, export_type)  # committed before the stream
        if export_type == "pdf":
            response = Response(review_exports.summary_pdf(wanted, staff, today()), mimetype="application/pdf")
        else:
            rows = review_exports.summary_rows(wanted, staff)
            response = Response(stream_with_context(review_exports.xlsx_stream(
                review_exports.SUMMARY_HEADERS, rows, "汇总表", review_exports.SUMMARY_WIDTHS, wanted.heading)),
                mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Content-Disposition"] = f'attachment; filename="{wanted.filename}.{export_type}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    def _render_summary(self, form: SummaryForm):
        return self.render("reviewer/summary.html", form=form, pdf_max=review_exports.SUMMARY_PDF_MAX_ROWS)


class ChecklistView(AuditedModelView):
    """退回补正项目: the common missing items a reviewer ticks on 退回修改 (central staff keep the list)."""

    audit_name, audit_label = "checklist", "退回补正项目"
    can_delete = True
    column_list = ["text", "sort_order", "active"]
    column_labels = {"text": _l("补正项目"), "sort_order": _l("排序"), "active": _l("启用")}
    column_default_sort = ("sort_order", False)
    column_sortable_list = ["sort_order", "text"]
    form_columns = ["text", "sort_order", "active"]
    form_args = {"text": {"label": _l("补正项目"),
                          "description": _l("申请人看到的文字，例如：申请表未加盖聘用单位公章。")},
                 "sort_order": {"label": _l("排序")}, "active": {"label": _l("启用（停用后不再出现在退回页面）")}}
    page_size = 50

    def describe(self, model: ReturnChecklistItem) -> str:
        return model.text

    def on_model_change(self, form, model, is_created):
        """A clear message for an item that exists already (instead of the database's refusal)."""
        model.text = (model.text or "").strip()
        query = select(ReturnChecklistItem.id).where(ReturnChecklistItem.text == model.text)
        if model.id is not None:
            query = query.where(ReturnChecklistItem.id != model.id)
        with db.session.no_autoflush:
            same = db.session.scalar(query)
        if not model.text or same is not None:
            raise ValidationError(str(_l("请填写补正项目。") if not model.text else _l("该补正项目已存在。")))
        super().on_model_change(form, model, is_created)
