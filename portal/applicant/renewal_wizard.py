"""Plumbing shared by the 延续注册 views: the acting person, today's date, the rules, the step guard and the
step navigator (延续注册流程)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..clock import today
from ..models import Application, Person
from ..services.errors import DomainError
from ..services.renewal import window, wizard
from ..transaction import rollback_only


def current_person() -> Person:
    """The logged-in applicant (the applicant gate already keeps staff and visitors out)."""
    if not current_user.is_authenticated or current_user.is_staff:
        abort(404)
    return current_user


def rules() -> window.RenewalRules:
    return window.RenewalRules.from_config(current_app.config)


def get_own_application_or_404(application_id: int, person: Person) -> Application:
    """The person's own application; another person's id raises NotFound, which answers 404."""
    return wizard.get_own_application(application_id, person)


def step_url(step: str) -> str:
    return url_for(f"applicant.renewal_{step}")


def wizard_step(step: str) -> Callable:
    """Guard a wizard view: the person's editable application must exist and the steps before ``step`` be complete
    (typing a later step's URL leads back to the first incomplete one). The view gets ``(application, person)``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            person = current_person()
            application = wizard.open_application(person)
            if application is None:
                flash(_("请先开始延续注册。"), "warning")
                return redirect(url_for("applicant.renewal_index"))
            if not wizard.is_editable(application):
                flash(_("申请已上报，不能再修改。如需修改，请先撤回申请。"), "warning")
                return redirect(url_for("applicant.application_detail", application_id=application.id))
            if not wizard.step_allowed(application, step):
                target = wizard.first_open_step(application)
                flash(_("请按顺序填写，先完成“%(step)s”。", step=wizard.STEP_LABELS[target]), "warning")
                return redirect(step_url(target))
            return view(application, person, *args, **kwargs)

        return wrapper

    return decorator


def navigator(application: Application, current: str, person: Person | None = None) -> list[dict]:
    """The steps of 延续注册流程 with their state: done, current, incomplete (passed but still short, with what is
    missing: 继续教育 below the required 学时), or to do (a link when the step may be opened)."""
    done = set(wizard.completed_steps(application))
    editable = wizard.is_editable(application)
    if not editable:
        done = set(wizard.STEPS)
    short = wizard.step_shortfalls(application, person, today(), rules()) if editable and person else {}

    def state(step: str) -> str:
        if step in short and step in done:
            return "incomplete"
        return "current" if step == current else ("done" if step in done else "todo")

    return [{"name": step, "label": wizard.STEP_LABELS[step], "number": index, "state": state(step),
             "current": step == current, "missing": short.get(step) if step in done else None,
             "url": step_url(step) if editable and wizard.step_allowed(application, step) else None}
            for index, step in enumerate(wizard.STEPS, start=1)]


def render_step(template: str, application: Application, person: Person, step: str, **context):
    """Render a wizard page with the navigator, the returned application's reason and the window warning."""
    eligibility = window.check_eligibility(person, today(), rules())
    return render_template(template, application=application, person=person, step=step,
                           steps=navigator(application, step, person), eligibility=eligibility, **context)


def remember_step(application: Application, person: Person, step: str) -> None:
    """Note the step being viewed (for resuming) — or, for 预览, that the form has been seen. A concurrent
    change of the draft (two tabs) only skips the note: the page is shown anyway."""
    try:
        if step == "preview":
            wizard.mark_previewed(application, person)
        else:
            wizard.visit_step(application, step)
    except DomainError:
        rollback_only()


def show_error(form, error: DomainError) -> None:
    """Undo what the service changed and put its message beside the field it names (or above the form)."""
    rollback_only()
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "error")


def restored_form(application: Application, step: str, form_class, base: dict | None = None):
    """On opening a step: the form filled with what an idle logout kept of it (over ``base``, the saved values),
    with a message to check and save it; None when nothing was kept."""
    if request.method != "GET":
        return None
    try:
        values = wizard.take_unsaved(application, step)
    except DomainError:
        rollback_only()
        return None
    if not values:
        return None
    flash(_("已恢复您因长时间未操作自动退出前填写但未保存的内容，请核对后保存。"), "info")
    merged = {name: str(value) for name, value in (base or {}).items() if value is not None}
    return form_class(formdata=MultiDict({**merged, **values}))
