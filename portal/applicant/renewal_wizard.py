"""Plumbing shared by the wizard views of every kind: the acting person, today's date, the rules, the step guard,
the URLs and the step navigator (延续注册流程, 初始注册流程 …).

延续注册 keeps its URLs (``/applicant/renewal/<step>``, endpoints ``renewal_<step>``); every other kind has the same
views under ``/applicant/apply/<kind>/<step>`` (endpoints ``apply_<step>``). ``step_route`` registers a view under
both, ``step_url`` builds the one of an application's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..clock import today
from ..i18n import gettext as _
from ..models import Application, ApplicationKind, Person
from ..services.errors import DomainError
from ..services.registration import kinds
from ..services.registration import wizard as registration
from ..services.renewal import window, wizard
from ..transaction import rollback_only
from . import bp

K = ApplicationKind
_NUMERALS = "一二三四五六七八九十"


def current_person() -> Person:
    """The logged-in applicant (the applicant gate already keeps staff and visitors out)."""
    if not current_user.is_authenticated or current_user.is_staff:
        abort(404)
    return current_user


def rules() -> window.RenewalRules:
    return window.RenewalRules.from_config(current_app.config)


def life_rules() -> kinds.LifeCycleRules:
    return kinds.LifeCycleRules.from_config(current_app.config)


def get_own_application_or_404(application_id: int, person: Person) -> Application:
    """The person's own application; another person's id raises NotFound, which answers 404."""
    return wizard.get_own_application(application_id, person)


def same_kind(a: ApplicationKind, b: ApplicationKind) -> bool:
    """逾期初始注册 is applied for as 初始注册: the two share their pages."""
    family = {K.INITIAL, K.LATE_INITIAL}
    return a is b or (a in family and b in family)


def url_kind(value: str | None) -> ApplicationKind:
    """The kind named in a URL (404 for anything else, and for 延续注册, which has its own URLs)."""
    try:
        kind = K(value)
    except ValueError:
        abort(404)
    if kind is K.RENEWAL:
        abort(404)
    return kind


def step_url(step: str, application: Application | None = None, kind: ApplicationKind | None = None,
             **values) -> str:
    """The URL of ``step`` (or of a step's sub-page: ``education_edit`` …) for the application's kind (延续注册 when
    neither is given)."""
    kind = application.kind if application is not None else (kind or K.RENEWAL)
    if kind is K.RENEWAL:
        return url_for(f"applicant.renewal_{step}", **values)
    return url_for(f"applicant.apply_{step}", kind=kind.value, **values)


def index_url(kind: ApplicationKind) -> str:
    """The entry page of a kind (eligibility, 开始申请, or the open application resumed)."""
    if kind is K.RENEWAL:
        return url_for("applicant.renewal_index")
    return url_for("applicant.apply_index", kind=K.INITIAL.value if kind is K.LATE_INITIAL else kind.value)


def next_step_url(application: Application, step: str) -> str:
    steps = wizard.steps_of(application)
    return step_url(steps[steps.index(step) + 1], application)


def previous_step_url(application: Application, step: str) -> str | None:
    steps = wizard.steps_of(application)
    index = steps.index(step)
    return step_url(steps[index - 1], application) if index > 0 else None


def resume_url(application: Application) -> str:
    """Where the applicant goes on with the application: its step, or its page once submitted."""
    if wizard.is_editable(application):
        return step_url(wizard.resume_step(application), application)
    return url_for("applicant.application_detail", application_id=application.id)


def wizard_step(step: str) -> Callable:
    """Guard a wizard view: the person's editable application of the URL's kind must exist, the step be one of its
    kind, and the steps before it complete (typing a later step's URL leads back to the first incomplete one).
    The view gets ``(application, person)``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, kind: str | None = None, **kwargs):
            person = current_person()
            wanted = url_kind(kind) if kind is not None else K.RENEWAL
            application = wizard.open_application(person)
            if application is None:
                flash(_("请先开始%(kind)s。", kind=wanted.label), "warning")
                return redirect(index_url(wanted))
            if not same_kind(application.kind, wanted):
                flash(wizard.busy_message(application, wanted), "warning")
                return redirect(resume_url(application))
            if not wizard.is_editable(application):
                flash(_("申请已上报，不能再修改。如需修改，请先撤回申请。"), "warning")
                return redirect(url_for("applicant.application_detail", application_id=application.id))
            if application.kind is not wanted or step not in wizard.steps_of(application):
                return redirect(resume_url(application))  # 初始 ↔ 逾期初始, or a step this kind has not
            if not wizard.step_allowed(application, step):
                target = wizard.first_open_step(application)
                flash(_("请按顺序填写，先完成“%(step)s”。", step=wizard.STEP_LABELS[target]), "warning")
                return redirect(step_url(target, application))
            return view(application, person, *args, **kwargs)

        return wrapper

    return decorator


def step_route(suffix: str, step: str, name: str | None = None, methods=("GET",), renewal: bool = True,
               others: bool = True) -> Callable:
    """Register a guarded wizard view for 延续注册 (``/renewal/<suffix>``, endpoint ``renewal_<name>``) and for the
    other kinds (``/apply/<kind>/<suffix>``, endpoint ``apply_<name>``); ``name`` defaults to ``step``."""

    def decorator(view: Callable) -> Callable:
        guarded = wizard_step(step)(view)
        endpoint = name or step
        if renewal:
            bp.add_url_rule(f"/renewal/{suffix}", f"renewal_{endpoint}", guarded, methods=list(methods))
        if others:
            bp.add_url_rule(f"/apply/<kind>/{suffix}", f"apply_{endpoint}", guarded, methods=list(methods))
        return guarded

    return decorator


def step_number(number: int) -> str:
    """第一步 … in Chinese, Step 1 … in English."""
    if str(get_locale() or "zh").startswith("zh") and 1 <= number <= len(_NUMERALS):
        return _NUMERALS[number - 1]
    return str(number)


def navigator(application: Application, current: str, person: Person | None = None) -> list[dict]:
    """The steps of the kind's 流程 with their state: done, current, incomplete (passed but still short, with what
    is missing: 继续教育 below the required 学时, a required document not uploaded), or to do (a link when the step
    may be opened)."""
    steps = wizard.steps_of(application)
    done = set(wizard.completed_steps(application))
    editable = wizard.is_editable(application)
    if not editable:
        done = set(steps)
    short = registration.step_shortfalls(application, person, today(), life_rules()) if editable and person else {}

    def state(step: str) -> str:
        if step in short and step in done:
            return "incomplete"
        return "current" if step == current else ("done" if step in done else "todo")

    return [{"name": step, "label": wizard.STEP_LABELS[step], "number": index, "state": state(step),
             "current": step == current, "missing": short.get(step) if step in done else None,
             "url": step_url(step, application) if editable and wizard.step_allowed(application, step) else None}
            for index, step in enumerate(steps, start=1)]


def eligibility_of(application: Application, person: Person):
    """What the kind's rules say today (the layout warns when they no longer allow the application)."""
    if application.kind is K.RENEWAL:
        return window.check_eligibility(person, today(), rules())
    return kinds.check(application.kind, person, today(), life_rules())


def render_step(template: str, application: Application, person: Person, step: str, **context):
    """Render a wizard page with the navigator, the returned application's reason and the eligibility warning."""
    steps = wizard.steps_of(application)
    number = steps.index(step) + 1
    return render_template(template, application=application, person=person, step=step, kind=application.kind,
                           steps=navigator(application, step, person), eligibility=eligibility_of(application, person),
                           step_heading=_("第%(number)s步：%(step)s", number=step_number(number),
                                          step=wizard.STEP_LABELS[step]),
                           wurl=lambda name, **values: step_url(name, application, **values),
                           previous_url=previous_step_url(application, step), kind_steps=steps, **context)


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


def save_step(application: Application, person: Person, step: str, form, save: Callable[[dict], object]):
    """The usual life of a step's form: a valid POST is saved through ``save(form.data)`` and leads to the next
    step (the redirect is returned), or shows the service's message beside its field; a GET notes the step for
    resuming. None when the page is to be shown."""
    if form.validate_on_submit():
        try:
            save(form.data)
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(next_step_url(application, step))
    elif request.method == "GET":
        remember_step(application, person, step)
    return None


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
