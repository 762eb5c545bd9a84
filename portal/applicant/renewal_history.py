"""历史记录 (guide 二), one application's page, its 申请表 PDF (导出 / 打印) and 撤回 — for every kind. After 上报
the page of a kind other than 延续注册 takes the upload of the signed and stamped 申请表 (helper M's checklist
partial), names the body's address for the paper route, and after 退回 shows the documents to replace."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from ..clock import utcnow
from ..i18n import gettext as _
from ..models import ApplicationKind
from ..services.documents.application_form import render_application_pdf
from ..services.documents.pdf import PdfRenderError
from ..services.errors import DomainError
from ..services.registration import wizard as registration
from ..services.renewal import submission as renewal_submission
from ..services.renewal import wizard
from ..services.review.transitions import NOT_WITHDRAWABLE, available, is_withdrawable
from ..transaction import rollback_only
from . import bp
from .public import content_disposition
from .renewal_forms import ActionForm
from .renewal_wizard import current_person, get_own_application_or_404, resume_url


@bp.get("/history")
def history():
    """历史记录: every application of the person, newest first, with its status, body, latest decision and the
    PDF of each submitted form."""
    person = current_person()
    return render_template("applicant/history.html", person=person, applications=wizard.applications_of(person),
                           certificate=person.current_certificate, actions=_actions(person),
                           latest_decision=wizard.latest_decision, continue_url=_continue_url)


@bp.get("/applications/<id:application_id>")
def application_detail(application_id: int):
    """One application: kind, status, number, body, its history of decisions; after 上报 the instructions to
    print, sign and stamp the form — handed in on paper (延续注册) or uploaded (the other kinds, or on paper to the
    body's address) — and after 退回 the documents the body asked to replace."""
    person = current_person()
    application = get_own_application_or_404(application_id, person)
    submitted = application.submitted_at is not None
    # 延续注册 keeps the guide's paper route; its uploads (the scanned form …) are offered, none required
    uploads = application.kind is not ApplicationKind.RENEWAL and submitted
    return render_template("applicant/renewal/detail.html", person=person, application=application,
                           just_submitted=request.args.get("submitted") == "1", actions=_actions(person),
                           items=registration.materials_checklist(application) if submitted else [],
                           uploads=uploads, continue_url=_continue_url(application),
                           next_url=url_for("applicant.application_detail", application_id=application.id))


@bp.get("/applications/<id:application_id>/form.pdf")
def application_pdf(application_id: int):
    """导出 / 打印: the submitted 申请表 of the application's kind as A4 PDF, from the snapshot frozen at 上报."""
    person = current_person()
    application = get_own_application_or_404(application_id, person)
    if not application.snapshot or not application.number:
        flash(_("申请上报后才能导出申请表。"), "warning")
        return redirect(url_for("applicant.application_detail", application_id=application.id))
    try:
        pdf = render_application_pdf(application)
    except PdfRenderError as error:
        flash(str(error), "error")
        return redirect(url_for("applicant.application_detail", application_id=application.id))
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response = Response(pdf, mimetype="application/pdf")
    name = f"{application.kind.text}申请表-{application.number}.pdf"
    response.headers["Content-Disposition"] = content_disposition(disposition, f"{application.number}.pdf", name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<id:application_id>/withdraw", methods=["GET", "POST"])
def application_withdraw(application_id: int):
    """撤回: confirm, then take back a draft, an application no reviewer has acted on, or a returned one."""
    person = current_person()
    application = get_own_application_or_404(application_id, person)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            renewal_submission.withdraw_application(application, person, utcnow())
        except DomainError as error:
            rollback_only()
            flash(error.message, "error")
        else:
            flash(_("申请已撤回。"), "success")
        return redirect(url_for("applicant.history"))
    if not is_withdrawable(application):
        flash(NOT_WITHDRAWABLE, "warning")
        return redirect(url_for("applicant.application_detail", application_id=application.id))
    return render_template("applicant/renewal/withdraw.html", person=person, application=application, form=form)


def _continue_url(application) -> str:
    """继续填写 / 修改: the wizard step where the applicant goes on."""
    return resume_url(application) if wizard.is_editable(application) else url_for(
        "applicant.application_detail", application_id=application.id)


def _actions(person):
    """For the templates: the names of the transitions the applicant may take on an application now."""
    return lambda application: {transition.name for transition in available(application, person=person)}
