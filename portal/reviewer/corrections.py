"""证件信息更正 (guide 七.3): the registration body files a request with the fax details; central staff view the
scan, then 予以更正 or 不予更正; the filing body sees the answer here."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.utils import secure_filename

from .. import clock
from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import CorrectionStatus, IdentityCorrection, Person
from ..services.corrections import (
    FIELD_LABELS,
    FIELDS,
    NumberHeldElsewhere,
    Scan,
    apply_correction,
    display_value,
    file_correction,
    pending_for,
    record_number_held_elsewhere,
    refuse_correction,
)
from ..services.review import queue as review_queue
from ..validators import mask_id_number
from . import listing
from .filters import BodyFilter
from .forms import CorrectionForm, ReasonForm, RecordForm
from .gate import ChoiceFilter, LocalDateBetweenFilter, ReviewerModelView, attempt, current_staff, deny


def _status_badge(view, context, model, name):
    return listing.html('<span class="badge badge-status badge-{}">{}</span>', model.status.value,
                        listing.label(model.status))


def _fields(view, context, model, name):
    return "、".join(listing.text(FIELD_LABELS[field]) if field in FIELD_LABELS else field
                    for field in (model.changes or {}))


class CorrectionView(ReviewerModelView):
    """证件信息更正: requests filed by the body (central staff: all requests)."""

    list_template = "reviewer/correction_list.html"
    column_list = ["created_at", "person.name", "person.id_number", "fields", "body.name", "fax_date", "status",
                   "decided_at"]
    column_labels = {"created_at": _l("提交时间"), "person.name": _l("姓名"), "person.id_number": _l("证件号码"),
                     "fields": _l("更正项目"), "body.name": _l("提交机构"), "fax_date": _l("传真日期"),
                     "status": _l("状态"), "decided_at": _l("答复时间")}
    column_formatters = {
        "person.name": lambda v, c, m, n: listing.html('<a href="{}">{}</a>',
                                                       listing.detail_urls(".details_view")(m.id), m.person.name),
        "person.id_number": lambda v, c, m, n: mask_id_number(m.person.id_number),
        "fields": _fields,
        "status": _status_badge,
        "created_at": lambda v, c, m, n: listing.local_time(m.created_at),
        "decided_at": lambda v, c, m, n: listing.local_time(m.decided_at),
    }
    column_sortable_list = ["created_at", "status"]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["person.name", "person.id_number"]
    prefix_search = True
    column_filters = [
        ChoiceFilter(IdentityCorrection.status, _l("状态"), [(s.value, s.label) for s in CorrectionStatus]),
        LocalDateBetweenFilter(IdentityCorrection.created_at, _l("提交日期")),
        BodyFilter(IdentityCorrection.body_id),
    ]
    column_select_related_list = [IdentityCorrection.person, IdentityCorrection.body]
    list_row_attributes = ("id", "created_at", "changes", "fax_date", "status", "decided_at", "person.name",
                           "person.id_number", "body.name")

    def search_placeholder(self):
        return str(_l("姓名或证件号码（从开头输入）"))

    def disabled_views(self) -> set[str]:
        return super().disabled_views() - {"create_view"}  # filed from the person's page, not from the list tab

    def pending_url(self) -> str:
        for index, flt in enumerate(self._filters):
            if getattr(flt.column, "key", None) == "status":
                return url_for(f"{self.endpoint}.index_view",
                               **{f"flt0_{self.get_filter_arg(index, flt)}": CorrectionStatus.PENDING.value})
        return url_for(f"{self.endpoint}.index_view")

    # --- filing (the registration body) ------------------------------------------------------------------------

    def _person_in_scope(self, person_id) -> Person:
        staff = current_staff()
        person = review_queue.get_in_scope(Person, person_id, staff)
        if person is None:
            if review_queue.exists(Person, person_id):
                deny(review_queue.get_any(Person, person_id),
                     f"{staff.username} 试图为其他注册机构的人员 #{person_id} 提交证件信息更正")
            abort(404)
        return person

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """提交证件信息更正: the form pre-filled with the record; the reviewer enters what the documents show."""
        person = self._person_in_scope(request.args.get("person_id"))
        pending = pending_for(person)
        if pending is not None:
            flash(_l("该人员已有一份待注册管理中心审核的更正申请，请等待答复后再提交。"), "warning")
            return redirect(url_for(".details_view", id=pending.id))
        form = CorrectionForm(data=None if request.method == "POST" else {
            "name": person.name, "gender": person.gender, "birth_date": person.birth_date,
            "id_type": person.id_type.value, "id_number": person.id_number})
        if form.validate_on_submit():
            upload = form.scan.data
            scan = None
            if upload is not None and getattr(upload, "filename", ""):
                scan = Scan(secure_filename(upload.filename) or "scan",
                            upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1))
            correction = attempt(lambda: self._file(person, form, scan), back=None, form=form,
                                 show_form=lambda: self._render_new(person, form))
            flash(_l("更正申请已提交，等待注册管理中心核对传真后答复。"), "success")
            return redirect(url_for(".details_view", id=correction.id))
        return self._render_new(person, form)

    def _file(self, person: Person, form: CorrectionForm, scan: Scan | None) -> IdentityCorrection:
        """``file_correction`` with the form's values. A new number held in another body is refused like any
        rule; the attempt's audit row is committed first, so it stays when ``attempt`` rolls the request back."""
        staff = current_staff()
        try:
            return file_correction(
                person, staff, {field: getattr(form, field).data for field in FIELDS},
                reason=form.reason.data, fax_date=form.fax_date.data, fax_pages=form.fax_pages.data, scan=scan,
                max_scan_bytes=current_app.config["UPLOAD_MAX_BYTES"], now=utcnow(), today=clock.today())
        except NumberHeldElsewhere as error:
            db.session.rollback()
            record_number_held_elsewhere(error, staff, path=request.path, method=request.method,
                                         ip=request.remote_addr)
            db.session.commit()
            raise

    def _render_new(self, person: Person, form: CorrectionForm):
        return self.render("reviewer/correction_new.html", person=person, form=form,
                           return_url=url_for("reviewer_people.details_view", id=person.id))

    # --- the request and the center's answer --------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        """A request: old → new values (full ID numbers: the opening is audit-logged), reason, fax details and
        scan, and its status or the center's buttons."""
        correction = self.get_one(request.args.get("id"))
        review_queue.record_correction_opening(correction, current_staff(), "correction.view")
        return self._render(correction)

    def _render(self, correction: IdentityCorrection, refuse_form: ReasonForm | None = None):
        staff = current_staff()
        can_decide = staff.is_central and correction.status is CorrectionStatus.PENDING
        changes = [(FIELD_LABELS.get(field, field), display_value(field, change.get("old")),
                    display_value(field, change.get("new"))) for field, change in (correction.changes or {}).items()]
        return self.render("reviewer/correction_detail.html", correction=correction, changes=changes,
                           can_decide=can_decide, own_filing=correction.filed_by_id == staff.id,
                           apply_form=RecordForm(formdata=None, id=correction.id),
                           refuse_form=refuse_form or ReasonForm(formdata=None, id=correction.id),
                           return_url=url_for(".index_view"))

    @expose("/scan/")
    def scan_view(self):
        """The faxed scan as uploaded (its type was checked by content when it was filed)."""
        correction = self.get_one(request.args.get("id"))
        if correction.scan is None:
            abort(404)
        review_queue.record_correction_opening(correction, current_staff(), "correction.scan_view")
        response = Response(correction.scan, mimetype=correction.scan_content_type or "application/octet-stream")
        name = correction.scan_filename or "scan"
        response.headers["Content-Disposition"] = f'inline; filename="{secure_filename(name) or "scan"}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def _posted(self, form) -> IdentityCorrection:
        correction = self.get_one(form.id.data)
        staff = current_staff()
        if not staff.is_central:
            deny(correction, f"审核人员 {staff.username} 试图审核证件信息更正申请 #{correction.id}", 403)
        return correction

    @expose("/apply/", methods=("POST",))
    def apply(self):
        """予以更正 (central staff, not the one who filed): the person's record changes now."""
        form = RecordForm()
        if not form.validate():
            abort(400)
        correction = self._posted(form)
        staff = current_staff()
        attempt(lambda: apply_correction(correction, staff, utcnow()), back=url_for(".details_view", id=correction.id))
        flash(_l("已予以更正，人员信息已修改；提交机构和申请人均可看到结果。"), "success")
        return redirect(url_for(".details_view", id=correction.id))

    @expose("/refuse/", methods=("POST",))
    def refuse(self):
        """不予更正, with a reason the filing body reads in its console."""
        form = ReasonForm()
        if not form.id.data:
            abort(400)
        correction = self._posted(form)
        if not form.validate():
            return self._render(correction, refuse_form=form)
        attempt(lambda: refuse_correction(correction, current_staff(), form.reason.data, utcnow()),
                back=url_for(".details_view", id=correction.id), form=form,
                show_form=lambda: self._render(self.get_one(correction.id), refuse_form=form))
        flash(_l("已作出不予更正的答复，提交机构可在控制台看到理由。"), "success")
        return redirect(url_for(".details_view", id=correction.id))
