"""延续注册 (guide 一.3–一.9): the entry page, and the steps every kind shares — 个人基本信息, 预览 and 上报 — plus
延续注册's own 聘用单位信息 (the applicant chooses the body; the other kinds' employer step, with the routed body, is
in ``apply``).

Steps 继续教育信息 and 工作经历 are in ``renewal_records``; 历史记录, the application page, its PDF and 撤回 in
``renewal_history``; the shared guard, URLs and navigator in ``renewal_wizard``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..clock import today, utcnow
from ..services.documents.application_form import form_context, render_form_html
from ..services.errors import DomainError
from ..services.registration import submission
from ..services.renewal import window, wizard
from ..services.review.transitions import ConcurrentChange
from ..transaction import rollback_only
from . import bp
from .renewal_forms import ActionForm, EmployerForm, PersonalForm, SubmitForm
from .renewal_wizard import (
    K,
    current_person,
    index_url,
    life_rules,
    remember_step,
    render_step,
    restored_form,
    resume_url,
    rules,
    save_step,
    show_error,
    step_route,
)


@bp.get("/renewal/")
def renewal_index():
    """延续注册: resume the open application where the applicant left it (of whatever kind), show a submitted one,
    or say whether a renewal can be started now (the window, expiry, the age limit)."""
    person = current_person()
    application = wizard.open_application(person)
    if application is not None:
        return redirect(resume_url(application))
    eligibility = window.check_eligibility(person, today(), rules())
    return render_template("applicant/renewal/index.html", person=person, eligibility=eligibility,
                           rules=rules(), form=ActionForm(), steps=None, kind=K.RENEWAL)


@bp.post("/renewal/start")
def renewal_start():
    """开始延续注册: create the draft (or reuse the open one) and go to its first step."""
    person = current_person()
    try:
        wizard.start_renewal(person, today(), rules())
    except DomainError as error:
        rollback_only()
        flash(error.message, "error")
    return redirect(url_for("applicant.renewal_index"))


@step_route("personal", "personal", methods=("GET", "POST"))
def step_personal(application, person):
    """个人基本信息: update education, title, contact details; identity fields are shown read-only."""
    saved = (application.draft or {}).get("personal", {})
    form = restored_form(application, "personal", PersonalForm, saved) or PersonalForm(data=saved)
    done = save_step(application, person, "personal", form,
                     lambda data: wizard.save_personal(application, person, data))
    return done or render_step("applicant/renewal/personal.html", application, person, "personal", form=form)


@step_route("employer", "employer", methods=("GET", "POST"), others=False)
def renewal_employer(application, person):
    """延续注册 step 2 聘用单位信息: the employer (统一社会信用代码 checked) and the registration body for 初审."""
    data = dict((application.draft or {}).get("employer", {}))
    data["body_id"] = str(data.get("body_id") or "")
    form = restored_form(application, "employer", EmployerForm, data) or EmployerForm(data=data)
    form.set_bodies(wizard.reviewing_bodies())
    done = save_step(application, person, "employer", form,
                     lambda data: wizard.save_employer(application, person, data))
    return done or render_step("applicant/renewal/employer.html", application, person, "employer", form=form)


@step_route("preview", "preview")
def step_preview(application, person):
    """预览: the kind's 申请表 exactly as it will print, with anything still blocking 上报."""
    remember_step(application, person, "preview")
    snapshot = submission.build_snapshot(application, person, today(), life_rules())
    return render_step("applicant/renewal/preview.html", application, person, "preview",
                       form_html=render_form_html(snapshot, application.number),
                       form=form_context(snapshot, application.number),
                       problems=submission.submission_problems(application, person, today(), life_rules()))


@step_route("submit", "submit", methods=("GET", "POST"))
def step_submit(application, person):
    """上报: after an explicit confirmation every rule is checked again, the form is frozen, numbered and sent to
    the registration body; a second click, tab or replay finds it already submitted."""
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            submission.submit(application, person, today(), utcnow(), life_rules())
        except ConcurrentChange as error:
            rollback_only()
            flash(error.message, "warning")
            return redirect(index_url(application.kind))
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(url_for("applicant.application_detail", application_id=application.id, submitted=1))
    elif request.method == "GET":
        remember_step(application, person, "submit")
    problems = submission.submission_problems(application, person, today(), life_rules())
    return render_step("applicant/renewal/submit.html", application, person, "submit", form=form,
                       problems=problems, resubmission=application.status is wizard.S.RETURNED)

