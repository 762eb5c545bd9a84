"""The wizard of the kinds besides 延续注册 (初始, 逾期初始, 变更, 重新, 注销), on the step engine of
``renewal.wizard``: starting an application of a kind, the steps only these kinds have — 资格信息 (``exam``),
变更事项 (``change``), 注销原因 (``cancellation``), 上传材料 (``materials``) — and 聘用单位信息 with the reviewing
body routed as RULES.md says, for the applicant to confirm instead of choosing it.

Draft parts besides the renewal's ``personal`` and ``employer``: ``exam`` ``{"category"}``, ``change``
``{"types": [employer|category|rename], "category" (the new one), "reason"}``, ``cancellation`` ``{"reason",
"note"}``; the employer part also keeps ``enterprise_body_id`` (备案央企) and the routed ``body_id``. Every
function takes plain arguments and the acting person, raises ``DomainError`` with a message for the user, and only
flushes.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, Body, BodyKind, Category, Person
from ..errors import DomainError
from ..infrastructure.dates import add_years
from ..renewal import wizard as engine
from ..renewal.fields import text
from ..renewal.records import EducationSummary, education_rows
from ..renewal.records import education_summary as renewal_education_summary
from ..review.queue import parse_id
from . import kinds, materials, routing
from .kinds import HOLDER_REASONS, LifeCycleRules

K = ApplicationKind
S = engine.S

#: 变更事项: the types of a 变更注册 (several may be chosen), lazy labels and the Chinese text the form prints
CHANGE_TYPES = {
    "employer": _l("变更聘用单位"),
    "category": _l("变更专业类别"),
    "rename": _l("聘用单位名称变更"),
}
CHANGE_TEXTS = {"employer": "变更聘用单位", "category": "变更专业类别", "rename": "聘用单位名称变更"}
MAX_REASON = 500
MAX_NOTE = 200


def zh(label) -> str:
    """A lazy label's Chinese text (what snapshots and audit rows store), whatever the page's language."""
    with force_locale("zh"):
        return str(label)


# --- starting -----------------------------------------------------------------------------------------------


def start(kind: ApplicationKind, person: Person, today: date, rules: LifeCycleRules) -> Application:
    """开始申请 of ``kind``: the person's open application of that kind if there is one, else a new draft (of the
    kind the eligibility names: 初始注册 after its deadline is 逾期初始注册) pre-filled from the profile.
    Refused with the reason when the person may not apply (another kind open, a holder asking for 初始 …)."""
    kind = K(kind)
    eligibility = kinds.check(kind, person, today, rules)
    if not eligibility.ok:
        raise DomainError(eligibility.reason)
    existing = engine.open_application(person)
    if existing is not None:
        return existing  # the same kind (check() refuses any other): resume it
    certificate = eligibility.certificate
    application = Application(person_id=person.id, kind=eligibility.kind, status=S.DRAFT,
                              certificate_id=certificate.id if certificate else None,
                              exam_record_id=eligibility.exam_record.id if eligibility.exam_record else None,
                              draft=_initial_draft(eligibility.kind, person, certificate, eligibility))
    if eligibility.kind is K.CANCELLATION:
        application.body_id = _cancellation_body_id(person, certificate)
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        existing = engine.open_application(person)
        if existing is None:
            raise
        return existing
    return application


def _initial_draft(kind, person, certificate, eligibility) -> dict:
    employer = person.employer
    draft = {"completed": [], "current": kinds.SPECS[kind].steps[0],
             "personal": {name: getattr(person, name) or "" for name in engine.PERSONAL_FIELDS}}
    if kind is not K.CHANGE:  # a 变更's employer form starts from what it changes (employer_of_profile)
        draft["employer"] = {
            "name": (employer.name if employer else (certificate.employer_name if certificate else "")) or "",
            "credit_code": employer.credit_code if employer else "",
            "kind": _kind_code(person, employer),
            "address": (employer.address if employer else "") or "",
            "contact_person": (employer.contact_person if employer else "") or "",
            "contact_phone": (employer.contact_phone if employer else "") or "",
        }
    if eligibility.exam_record is not None and kind in (K.INITIAL, K.LATE_INITIAL):
        category = eligibility.exam_record.category or person.category
        draft["exam"] = {"category": category.value if category else ""}
    return draft


def _kind_code(person: Person, employer) -> str:
    kind = person.employer_kind or (employer.kind if employer else None)
    return kind.value if kind else ""


def employer_of_profile(application: Application) -> dict:
    """The employer the form starts from when the draft has none: a 变更 that keeps the employer (a new name, a
    new category) starts from the current one; a change of employer starts empty."""
    if application.kind is not K.CHANGE or "employer" in change_types(application):
        return {}
    person, employer = application.person, application.person.employer
    name, code = current_employer(person, application.certificate)
    return {"name": name, "credit_code": code,
            "kind": _kind_code(person, employer),
            "address": (employer.address if employer else "") or "",
            "contact_person": (employer.contact_person if employer else "") or "",
            "contact_phone": (employer.contact_phone if employer else "") or ""}


def _cancellation_body_id(person: Person, certificate) -> int | None:
    """注销: the body that registered the certificate, else the one the person's employer routes to."""
    for body_id in (certificate.body_id if certificate else None, person.body_id):
        body = db.session.get(Body, body_id) if body_id else None
        if body is not None and not body.is_central:
            return body.id
    employer = person.employer
    body = routing.suggest_body(certificate.category if certificate else None,
                                employer.credit_code if employer else None)
    return body.id if body else None


# --- what a step needs to know ------------------------------------------------------------------------------


def category_of(application: Application) -> Category | None:
    """The 专业类别 the application registers: the confirmed exam category (初始), the new one of a 变更专业类别,
    else the certificate's."""
    draft = application.draft or {}
    if application.kind in (K.INITIAL, K.LATE_INITIAL):
        code = (draft.get("exam") or {}).get("category")
        if code:
            return Category(code)
        record = application.exam_record
        return record.category if record else application.person.category
    change = draft.get("change") or {}
    if application.kind is K.CHANGE and "category" in (change.get("types") or []) and change.get("category"):
        return Category(change["category"])
    if application.certificate is not None:
        return application.certificate.category
    return application.person.category


def change_types(application: Application) -> list[str]:
    return list(((application.draft or {}).get("change") or {}).get("types") or [])


def current_employer(person: Person, certificate) -> tuple[str, str]:
    """(name, 统一社会信用代码) of the holder's employer now (the code may be unknown: imported registrations)."""
    employer = person.employer
    if employer is not None:
        return employer.name, employer.credit_code
    return (certificate.employer_name if certificate else "") or "", ""


# --- 资格信息 (初始 / 逾期初始) ------------------------------------------------------------------------------


def save_exam(application: Application, person: Person, data: dict) -> None:
    """资格信息: the exam pass is shown as imported; the applicant confirms the 专业类别 to register."""
    engine.require_editable(application, person)
    if application.exam_record is None:
        raise DomainError(_l("没有您的考试合格信息，不能申请初始注册。"))
    try:
        category = Category(text(data.get("category")))
    except ValueError:
        raise DomainError(_l("请选择注册的专业类别。"), field="category") from None
    if not data.get("confirm"):
        raise DomainError(_l("请核对资格信息后勾选确认。"), field="confirm")
    engine.complete_step(application, "exam", exam={"category": category.value})


# --- 变更事项 (变更) -------------------------------------------------------------------------------------------


def category_change_refusal(application: Application, rules: LifeCycleRules) -> str | None:
    """Why this holder may not change 专业类别 (None: they may)."""
    if application.certificate is None:
        return str(_l("没有您的执业证注册信息。"))
    return kinds.may_change_category(application.person, application.certificate, rules)


def clean_change(application: Application, data: dict, rules: LifeCycleRules) -> dict:
    """变更事项: at least one type; 变更聘用单位 and 聘用单位名称变更 exclude each other; a new 专业类别 other than the
    current one, where the holder may change it; the reason."""
    types = [code for code in CHANGE_TYPES if code in (data.get("types") or [])]
    if not types:
        raise DomainError(_l("请选择变更事项。"), field="types")
    if "employer" in types and "rename" in types:
        raise DomainError(_l("“变更聘用单位”和“聘用单位名称变更”只能选择其一：单位名称变更时聘用单位不变。"),
                          field="types")
    values = {"types": types, "category": "", "reason": text(data.get("reason"))}
    if "category" in types:
        refusal = category_change_refusal(application, rules)
        if refusal:
            raise DomainError(refusal, field="types")
        try:
            category = Category(text(data.get("new_category") or data.get("category")))  # the form's or the draft's
        except ValueError:
            raise DomainError(_l("请选择变更后的专业类别。"), field="new_category") from None
        if application.certificate is not None and category is application.certificate.category:
            raise DomainError(_l("变更后的专业类别与现专业类别相同，请重新选择。"), field="new_category")
        values["category"] = category.value
    if not values["reason"]:
        raise DomainError(_l("请填写变更原因。"), field="reason")
    if len(values["reason"]) > MAX_REASON:
        raise DomainError(_l("不能超过%(max)d个字。", max=MAX_REASON), field="reason")
    return values


def save_change(application: Application, person: Person, data: dict, rules: LifeCycleRules) -> None:
    """变更事项 saved; a changed choice of types asks for the employer step again."""
    engine.require_editable(application, person)
    values = clean_change(application, data, rules)
    before = (application.draft or {}).get("change") or {}
    if before and (before.get("types") != values["types"] or before.get("category") != values["category"]):
        done = [step for step in engine.completed_steps(application) if step == "change"]
        engine.update_draft(application, completed=done)  # the employer and body must be confirmed again
    engine.complete_step(application, "change", change=values)


# --- 注销原因 (注销) -----------------------------------------------------------------------------------------


def clean_cancellation(data: dict) -> dict:
    reason = text(data.get("reason"))
    if reason not in HOLDER_REASONS:
        raise DomainError(_l("请选择注销原因。"), field="reason")
    note = text(data.get("note"))
    if reason == "other" and not note:
        raise DomainError(_l("选择“其他”时，请说明注销原因。"), field="note")
    if len(note) > MAX_NOTE:
        raise DomainError(_l("不能超过%(max)d个字。", max=MAX_NOTE), field="note")
    return {"reason": reason, "note": note}


def save_cancellation(application: Application, person: Person, data: dict) -> None:
    """注销原因: one of the holder's reasons, with a note (required for 其他)."""
    engine.require_editable(application, person)
    engine.complete_step(application, "cancellation", cancellation=clean_cancellation(data))


def cancellation_text(values: dict) -> str:
    """The reason as the form prints it: 退休 / 其他（note）…"""
    label = zh(HOLDER_REASONS.get(values.get("reason"), ""))
    note = values.get("note") or ""
    return f"{label}（{note}）" if note else label


# --- 聘用单位信息 with the routed body ---------------------------------------------------------------------


def enterprise_bodies() -> list[Body]:
    return routing.enterprise_bodies()


def clean_routed_employer(application: Application, person: Person, data: dict) -> tuple[dict, Body]:
    """The employer fields, the 变更 rules on them (a new employer must differ from the current one; a renamed one
    keeps its 统一社会信用代码 and takes a new name), and the body the rules route the application to."""
    values = engine.clean_employer_fields(data)
    enterprise_id = parse_id(data.get("enterprise_body_id"))
    enterprise = db.session.get(Body, enterprise_id) if enterprise_id else None
    if text(data.get("enterprise_body_id")) and (enterprise is None or enterprise.kind is not BodyKind.ENTERPRISE):
        raise DomainError(_l("请选择列表中的备案央企。"), field="enterprise_body_id")
    values["enterprise_body_id"] = enterprise.id if enterprise else None
    if application.kind is K.CHANGE:
        _check_change_employer(application, person, values)
    body = routing.suggest_body(category_of(application), values["credit_code"], values["enterprise_body_id"])
    if body is None:
        raise DomainError(_l("无法根据统一社会信用代码确定受理初审的注册机构，请核对统一社会信用代码。"),
                          field="credit_code")
    values["body_id"] = body.id
    return values, body


def _check_change_employer(application: Application, person: Person, values: dict) -> None:
    old_name, old_code = current_employer(person, application.certificate)
    types = change_types(application)
    same_code = bool(old_code) and values["credit_code"] == old_code
    same_name = bool(old_name) and values["name"] == old_name
    if "employer" in types:
        if same_code or (not old_code and same_name):
            raise DomainError(_l("您填写的是现聘用单位（%(name)s）。变更聘用单位须填写新的聘用单位；单位只是更名的，"
                                 "请在“变更事项”中选择“聘用单位名称变更”。", name=old_name), field="credit_code")
    elif "rename" in types:
        if old_code and not same_code:
            raise DomainError(_l("聘用单位名称变更时统一社会信用代码不变，应为%(code)s；如果换了单位，请在“变更事项”中"
                                 "选择“变更聘用单位”。", code=old_code), field="credit_code")
        if same_name:
            raise DomainError(_l("请填写聘用单位变更后的名称（现名称为%(name)s）。", name=old_name), field="name")
    elif old_code and not same_code:
        raise DomainError(_l("只变更专业类别时聘用单位不变，统一社会信用代码应为%(code)s。", code=old_code),
                          field="credit_code")


def save_routed_employer(application: Application, person: Person, data: dict) -> tuple[Body, bool]:
    """聘用单位信息 of the kinds with a routed body: save the employer and the body it routes to; the step is
    complete once the applicant has confirmed that body (``confirm_body`` names it). Returns (body, confirmed):
    a body other than the one confirmed is saved and shown, for the applicant to confirm."""
    engine.require_editable(application, person)
    values, body = clean_routed_employer(application, person, data)
    confirmed = parse_id(data.get("confirm_body")) == body.id
    application.body_id = body.id
    if confirmed:
        engine.complete_step(application, "employer", employer=values)
    else:
        done = engine.completed_steps(application)
        steps = engine.steps_of(application)
        kept = [step for step in done if steps.index(step) < steps.index("employer")] if "employer" in steps else done
        engine.update_draft(application, employer=values, completed=kept)
    return body, confirmed


def routed_body(application: Application) -> Body | None:
    """The body the saved employer routes to (shown on the employer step)."""
    employer = (application.draft or {}).get("employer") or {}
    if not employer.get("body_id"):
        return None
    return db.session.get(Body, employer["body_id"])


# --- 继续教育信息 of 逾期初始 / 重新 -------------------------------------------------------------------------


def required_hours(application: Application, rules: LifeCycleRules) -> int:
    return rules.late_initial_ce_hours if application.kind is K.LATE_INITIAL else rules.reregistration_ce_hours


def education_summary(application: Application, person: Person, today: date, rules: LifeCycleRules
                      ) -> EducationSummary:
    """The CE entries and what counts: 延续注册 the current registration period; 逾期初始 and 重新 the last
    ``ce_years`` years (RULES.md *setting*)."""
    if application.kind is K.RENEWAL:
        return renewal_education_summary(person, application.certificate, today, rules.renewal)
    since = add_years(today, -rules.ce_years)
    entries = [(entry, since <= entry.start_date and entry.end_date <= today) for entry in education_rows(person)]
    summary = EducationSummary(entries, since, today, required_hours(application, rules))
    summary.total = sum(entry.hours for entry, counted in entries if counted)
    return summary


def step_shortfalls(application: Application, person: Person, today: date, rules: LifeCycleRules
                    ) -> dict[str, str]:
    """Steps passed but still blocking 上报, with what is missing (the navigator shows them as incomplete):
    继续教育 below the required 学时; 上传材料 with a required document missing."""
    short = {}
    steps = engine.steps_of(application)
    if "education" in steps:
        summary = education_summary(application, person, today, rules)
        if not summary.enough:
            short["education"] = str(_l("还差%(hours)d学时（已有%(total)d/%(required)d学时）",
                                        hours=summary.required - summary.total, total=summary.total,
                                        required=summary.required))
    if "materials" in steps:
        problems = materials_problems(application)
        if problems:
            short["materials"] = str(_l("还有%(count)d项材料未上传或需更换", count=len(problems)))
    return short


# --- 上传材料 ---------------------------------------------------------------------------------------------


def materials_checklist(application: Application) -> list:
    """The kind's checklist with the files uploaded (``registration.materials``)."""
    return materials.checklist(application)


def materials_problems(application: Application) -> list[str]:
    """What the materials still lack before 上报: required documents, those 退回 marked for replacement."""
    return materials.problems_before_submit(application)


def finish_materials(application: Application, person: Person) -> None:
    """上传材料 done (what is still missing is checked at 上报, so the applicant may go on and come back)."""
    engine.require_editable(application, person)
    engine.complete_step(application, "materials")
