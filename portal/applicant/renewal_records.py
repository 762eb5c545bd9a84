"""The wizard steps 继续教育信息 (the person's continuing-education entries) and 工作经历 (添加 adds a row; a row's
起止时间 opens it to edit or delete), for 延续注册 and every kind that has them."""

from __future__ import annotations

from flask import flash, redirect, request

from ..clock import today
from ..i18n import gettext as _
from ..services.errors import DomainError
from ..services.registration import wizard as registration
from ..services.renewal import records
from .renewal_forms import ActionForm, EducationForm, WorkForm
from .renewal_wizard import (
    life_rules,
    next_step_url,
    remember_step,
    render_step,
    restored_form,
    show_error,
    step_route,
    step_url,
)

# --- step 3: 继续教育信息 -------------------------------------------------------------------------------


def _education_page(application, person, form, entry=None):
    summary = registration.education_summary(application, person, today(), life_rules())
    return render_step("applicant/renewal/education.html", application, person, "education", form=form,
                       summary=summary, entry=entry, action_form=ActionForm())


@step_route("education", "education", methods=("GET", "POST"))
def step_education(application, person):
    """继续教育信息: the entries with the running total of this registration period; the form adds an entry."""
    form = restored_form(application, "education", EducationForm) or EducationForm()
    if form.validate_on_submit():
        try:
            records.add_education(application, person, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("已添加一条继续教育记录。"), "success")
            return redirect(step_url("education", application))
    elif request.method == "GET":
        remember_step(application, person, "education")
    return _education_page(application, person, form)


@step_route("education/<id:entry_id>", "education", "education_edit", methods=("GET", "POST"))
def step_education_edit(application, person, entry_id: int):
    """继续教育信息: change one entry (another person's entry answers 404)."""
    entry = records.get_education(person, entry_id)
    form = EducationForm(obj=entry)
    if form.validate_on_submit():
        try:
            records.update_education(application, person, entry_id, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("继续教育记录已修改。"), "success")
            return redirect(step_url("education", application))
    return _education_page(application, person, form, entry=entry)


@step_route("education/<id:entry_id>/delete", "education", "education_delete", methods=("POST",))
def step_education_delete(application, person, entry_id: int):
    """继续教育信息: delete one entry."""
    records.get_education(person, entry_id)
    records.delete_education(application, person, entry_id)
    flash(_("继续教育记录已删除。"), "success")
    return redirect(step_url("education", application))


@step_route("education/next", "education", "education_next", methods=("POST",))
def step_education_next(application, person):
    """继续教育信息 done → the next step (the 学时 total is enforced at 上报)."""
    try:
        records.finish_education(application, person)
    except DomainError as error:
        show_error(None, error)
        return redirect(step_url("education", application))
    return redirect(next_step_url(application, "education"))


# --- step 4: 工作经历 -----------------------------------------------------------------------------------


def _work_page(application, person, form, row=None):
    return render_step("applicant/renewal/work.html", application, person, "work", form=form,
                       rows=records.work_rows(person), row=row, action_form=ActionForm())


@step_route("work", "work", methods=("GET", "POST"))
def step_work(application, person):
    """工作经历: the rows of 工作经历; 添加 adds one (dates ordered, not in the future, no overlaps)."""
    form = restored_form(application, "work", WorkForm) or WorkForm()
    if form.validate_on_submit():
        try:
            records.add_work(application, person, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("已添加一条工作经历。"), "success")
            return redirect(step_url("work", application))
    elif request.method == "GET":
        remember_step(application, person, "work")
    return _work_page(application, person, form)


@step_route("work/<id:row_id>", "work", "work_edit", methods=("GET", "POST"))
def step_work_edit(application, person, row_id: int):
    """工作经历: the row opened through its 起止时间, to change it (or delete it)."""
    row = records.get_work(person, row_id)
    form = WorkForm(obj=row)
    if form.validate_on_submit():
        try:
            records.update_work(application, person, row_id, form.data, today())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("工作经历已修改。"), "success")
            return redirect(step_url("work", application))
    return _work_page(application, person, form, row=row)


@step_route("work/<id:row_id>/delete", "work", "work_delete", methods=("POST",))
def step_work_delete(application, person, row_id: int):
    """工作经历: delete the opened row."""
    records.get_work(person, row_id)
    records.delete_work(application, person, row_id)
    flash(_("工作经历已删除。"), "success")
    return redirect(step_url("work", application))


@step_route("work/next", "work", "work_next", methods=("POST",))
def step_work_next(application, person):
    """工作经历 done (at least one row, no overlaps) → the next step."""
    try:
        records.finish_work(application, person, today())
    except DomainError as error:
        show_error(None, error)
        return redirect(step_url("work", application))
    return redirect(next_step_url(application, "work"))
