"""Steps 3 and 4 of the 延续注册 wizard: the person's continuing-education entries (继续教育信息) and work history
(工作经历: 添加 adds a row; a row's 起止时间 opens it to edit or delete)."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import gettext as _

from ..clock import today
from ..services.errors import DomainError
from ..services.renewal import records
from . import bp
from .renewal_forms import ActionForm, EducationForm, WorkForm
from .renewal_wizard import remember_step, render_step, restored_form, rules, show_error, step_url, wizard_step

# --- step 3: 继续教育信息 -------------------------------------------------------------------------------


def _education_page(application, person, form, entry=None):
    summary = records.education_summary(person, application.certificate, today(), rules())
    return render_step("applicant/renewal/education.html", application, person, "education", form=form,
                       summary=summary, entry=entry, action_form=ActionForm())


@bp.route("/renewal/education", methods=["GET", "POST"])
@wizard_step("education")
def renewal_education(application, person):
    """Step 3: the entries with the running total of this registration period; the form adds an entry."""
    form = restored_form(application, "education", EducationForm) or EducationForm()
    if form.validate_on_submit():
        try:
            records.add_education(application, person, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("已添加一条继续教育记录。"), "success")
            return redirect(step_url("education"))
    elif request.method == "GET":
        remember_step(application, person, "education")
    return _education_page(application, person, form)


@bp.route("/renewal/education/<id:entry_id>", methods=["GET", "POST"])
@wizard_step("education")
def renewal_education_edit(application, person, entry_id: int):
    """Step 3: change one entry (another person's entry answers 404)."""
    entry = records.get_education(person, entry_id)
    form = EducationForm(obj=entry)
    if form.validate_on_submit():
        try:
            records.update_education(application, person, entry_id, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("继续教育记录已修改。"), "success")
            return redirect(step_url("education"))
    return _education_page(application, person, form, entry=entry)


@bp.post("/renewal/education/<id:entry_id>/delete")
@wizard_step("education")
def renewal_education_delete(application, person, entry_id: int):
    """Step 3: delete one entry."""
    records.get_education(person, entry_id)
    records.delete_education(application, person, entry_id)
    flash(_("继续教育记录已删除。"), "success")
    return redirect(step_url("education"))


@bp.post("/renewal/education/next")
@wizard_step("education")
def renewal_education_next(application, person):
    """Step 3 done → step 4 (the 学时 total is enforced at 上报)."""
    try:
        records.finish_education(application, person)
    except DomainError as error:
        show_error(None, error)
        return redirect(step_url("education"))
    return redirect(step_url("work"))


# --- step 4: 工作经历 -----------------------------------------------------------------------------------


def _work_page(application, person, form, row=None):
    return render_step("applicant/renewal/work.html", application, person, "work", form=form,
                       rows=records.work_rows(person), row=row, action_form=ActionForm())


@bp.route("/renewal/work", methods=["GET", "POST"])
@wizard_step("work")
def renewal_work(application, person):
    """Step 4: the rows of 工作经历; 添加 adds one (dates ordered, not in the future, no overlaps)."""
    form = restored_form(application, "work", WorkForm) or WorkForm()
    if form.validate_on_submit():
        try:
            records.add_work(application, person, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("已添加一条工作经历。"), "success")
            return redirect(step_url("work"))
    elif request.method == "GET":
        remember_step(application, person, "work")
    return _work_page(application, person, form)


@bp.route("/renewal/work/<id:row_id>", methods=["GET", "POST"])
@wizard_step("work")
def renewal_work_edit(application, person, row_id: int):
    """Step 4: the row opened through its 起止时间, to change it (or delete it)."""
    row = records.get_work(person, row_id)
    form = WorkForm(obj=row)
    if form.validate_on_submit():
        try:
            records.update_work(application, person, row_id, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("工作经历已修改。"), "success")
            return redirect(step_url("work"))
    return _work_page(application, person, form, row=row)


@bp.post("/renewal/work/<id:row_id>/delete")
@wizard_step("work")
def renewal_work_delete(application, person, row_id: int):
    """Step 4: delete the opened row."""
    records.get_work(person, row_id)
    records.delete_work(application, person, row_id)
    flash(_("工作经历已删除。"), "success")
    return redirect(step_url("work"))


@bp.post("/renewal/work/next")
@wizard_step("work")
def renewal_work_next(application, person):
    """Step 4 done (at least one row, no overlaps) → 预览."""
    try:
        records.finish_work(application, person, today())
    except DomainError as error:
        show_error(None, error)
        return redirect(step_url("work"))
    return redirect(step_url("preview"))
