"""初始注册 (and 逾期初始注册), 变更注册, 重新注册 and 注销注册: the entry page of each kind (who may apply and why
not, 开始申请), and the steps only these kinds have — 资格信息, 变更事项, 注销原因, 上传材料 — and their
聘用单位信息, whose reviewing body is routed for the applicant to confirm. The steps they share with 延续注册
(个人基本信息, 继续教育信息, 工作经历, 预览, 上报) are the same views, registered in ``renewal`` and
``renewal_records`` for these kinds' URLs too.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request

from ..clock import today
from ..i18n import gettext as _
from ..services.errors import DomainError
from ..services.registration import kinds
from ..services.registration import wizard as registration
from ..services.renewal import wizard
from ..transaction import rollback_only
from . import bp
from .kinds_forms import CancellationForm, ChangeForm, ExamForm, RoutedEmployerForm
from .renewal_forms import ActionForm
from .renewal_wizard import (
    current_person,
    index_url,
    life_rules,
    next_step_url,
    remember_step,
    render_step,
    restored_form,
    resume_url,
    same_kind,
    save_step,
    show_error,
    step_route,
    step_url,
    url_kind,
)


@bp.get("/apply/<kind>/")
def apply_index(kind: str):
    """A kind's entry page: resume the open application of that kind; otherwise whether this person may apply
    today, what the kind needs, and 开始申请 — or why not."""
    person = current_person()
    wanted = url_kind(kind)
    application = wizard.open_application(person)
    if application is not None and same_kind(application.kind, wanted):
        return redirect(resume_url(application))
    eligibility = kinds.check(wanted, person, today(), life_rules())
    return render_template("applicant/apply/index.html", person=person, kind=eligibility.kind, asked=wanted,
                           eligibility=eligibility, spec=kinds.SPECS[eligibility.kind], form=ActionForm(),
                           open_application=application, steps=None, application=None)


@bp.post("/apply/<kind>/start")
def apply_start(kind: str):
    """开始申请: create the draft of the kind (or resume the open one) and go to its first step; refused with the
    reason, nothing created, when the person may not apply."""
    person = current_person()
    wanted = url_kind(kind)
    try:
        application = registration.start(wanted, person, today(), life_rules())
    except DomainError as error:
        rollback_only()
        flash(error.message, "error")
        return redirect(index_url(wanted))
    return redirect(resume_url(application))


# --- 资格信息 ----------------------------------------------------------------------------------------------


@step_route("exam", "exam", methods=("GET", "POST"), renewal=False)
def apply_exam_step(application, person):
    """资格信息: the exam pass as imported (资格证书编号, 考试年度, 专业类别), read-only; the applicant confirms the
    专业类别 to register. 逾期初始注册 says what continuing education it needs."""
    saved = (application.draft or {}).get("exam", {})
    form = ExamForm(data=saved)
    done = save_step(application, person, "exam", form,
                     lambda data: registration.save_exam(application, person, data))
    if done:
        return done
    record = application.exam_record
    rules = life_rules()
    return render_step("applicant/apply/exam.html", application, person, "exam", form=form, record=record,
                       qualified_on=kinds.qualified_on(record) if record else None,
                       deadline=kinds.initial_deadline(record, rules) if record else None, rules=rules)


# --- 变更事项 ----------------------------------------------------------------------------------------------


@step_route("change", "change", methods=("GET", "POST"), renewal=False)
def apply_change_step(application, person):
    """变更事项: 变更聘用单位, 变更专业类别 (where the holder may), 聘用单位名称变更; and the reason."""
    saved = dict((application.draft or {}).get("change", {}))
    saved["new_category"] = saved.pop("category", "")
    form = ChangeForm(data=saved)
    done = save_step(application, person, "change", form,
                     lambda data: registration.save_change(application, person, data, life_rules()))
    if done:
        return done
    old_name, old_code = registration.current_employer(person, application.certificate)
    return render_step("applicant/apply/change.html", application, person, "change", form=form,
                       certificate=application.certificate, old_name=old_name, old_code=old_code,
                       category_refusal=registration.category_change_refusal(application, life_rules()))


# --- 注销原因 ----------------------------------------------------------------------------------------------


@step_route("cancellation", "cancellation", methods=("GET", "POST"), renewal=False)
def apply_cancellation_step(application, person):
    """注销原因: the holder's reason (退休, 离职, 不再从事安全生产工作, 其他) and a note."""
    form = CancellationForm(data=(application.draft or {}).get("cancellation", {}))
    done = save_step(application, person, "cancellation", form,
                     lambda data: registration.save_cancellation(application, person, data))
    return done or render_step("applicant/apply/cancellation.html", application, person, "cancellation", form=form,
                       certificate=application.certificate)


# --- 聘用单位信息 with the routed body ----------------------------------------------------------------------


@step_route("employer", "employer", methods=("GET", "POST"), renewal=False)
def apply_employer_step(application, person):
    """聘用单位信息: the employer (统一社会信用代码 checked; for a 变更 a new employer, or the new name of the same
    one), a filed central enterprise if it is one, and the registration body the rules route the application to,
    shown for the applicant to confirm."""
    saved = (application.draft or {}).get("employer") or registration.employer_of_profile(application)
    data = {name: str(value) if value is not None else "" for name, value in saved.items()}
    routed = registration.routed_body(application)
    data["confirm_body"] = str(routed.id) if routed else ""
    form = restored_form(application, "employer", RoutedEmployerForm, data) or RoutedEmployerForm(data=data)
    form.set_enterprises(registration.enterprise_bodies())
    if form.validate_on_submit():
        try:
            body, confirmed = registration.save_routed_employer(application, person, form.data)
        except DomainError as error:
            show_error(form, error)
        else:
            if confirmed:
                return redirect(next_step_url(application, "employer"))
            flash(_("根据您填写的聘用单位信息，受理初审的注册机构为%(body)s。请核对后点击“确认，下一步”。",
                    body=body.name), "info")
            return redirect(step_url("employer", application))
    elif request.method == "GET":
        remember_step(application, person, "employer")
    routed = registration.routed_body(application)
    if routed is not None:
        form.confirm_body.data = str(routed.id)
    old_name, old_code = registration.current_employer(person, application.certificate)
    return render_step("applicant/apply/employer.html", application, person, "employer", form=form, routed=routed,
                       change_types=registration.change_types(application), old_name=old_name, old_code=old_code)


# --- 上传材料 ----------------------------------------------------------------------------------------------


@step_route("materials", "materials", methods=("GET",), renewal=False)
def apply_materials_step(application, person):
    """上传材料: the kind's checklist — each document uploaded, its thumbnails, replaced or removed before 上报."""
    remember_step(application, person, "materials")
    return render_step("applicant/apply/materials.html", application, person, "materials",
                       items=registration.materials_checklist(application),
                       problems=registration.materials_problems(application), action_form=ActionForm(),
                       next_url=step_url("materials", application))


@step_route("materials/next", "materials", "materials_next", methods=("POST",), renewal=False)
def apply_materials_next(application, person):
    """上传材料 done → 预览 (missing documents are checked at 上报, and shown in the navigator)."""
    try:
        registration.finish_materials(application, person)
    except DomainError as error:
        show_error(None, error)
        return redirect(step_url("materials", application))
    return redirect(next_step_url(application, "materials"))

