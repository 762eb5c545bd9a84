"""The step engine of every kind's wizard (延续注册's own and, through ``steps_of``, the steps of every other
kind in ``registration.kinds.SPECS``): starting a 延续注册, resuming, the step navigator, steps 个人基本信息,
聘用单位信息 and 预览.

The wizard keeps its data in ``Application.draft``: ``{"personal": {...}, "employer": {...}, "completed":
[steps], "current": step}`` (the other kinds add their own parts, see ``registration.wizard``). Every function
takes plain arguments and the acting person, raises ``DomainError`` with a message for the user, and only flushes.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Body,
    BodyKind,
    Certificate,
    EmployerKind,
    Person,
)
from ...models.workflow import EDITABLE_STATUSES
from ...validators import (
    CreditCodeError,
    EmailError,
    MobileError,
    normalize_email,
    normalize_mobile,
    validate_credit_code,
)
from ..errors import DomainError, NotFound
from ..registration.kinds import SPECS
from ..registration.kinds import STEP_LABELS as STEP_LABELS  # the labels of every kind's steps, re-exported
from ..review import transitions
from ..review.queue import parse_id
from .fields import optional, required, text
from .window import RenewalRules, check_eligibility

S = ApplicationStatus

#: 延续注册's steps, in order (延续注册流程, guide 图30); every kind's are ``SPECS[kind].steps``
STEPS = SPECS[ApplicationKind.RENEWAL].steps
PERSONAL_FIELDS = ("education", "major", "title", "mobile", "email", "address", "postcode")
EMPLOYER_FIELDS = ("name", "credit_code", "kind", "address", "contact_person", "contact_phone", "body_id")
_PHONE_RE = re.compile(r"[0-9()（）+\-\s转]{7,30}")
_POSTCODE_RE = re.compile(r"\d{6}")


# --- the application and its steps -----------------------------------------------------------------------


def open_application(person: Person) -> Application | None:
    """The person's one open application of any kind (填写中, 已上报, 退回修改 or 初审通过), if any; a 注销 a
    registration body filed for the person is not the person's own."""
    return db.session.scalar(select(Application).where(Application.person_id == person.id,
                                                       Application.filed_by_id.is_(None),
                                                       Application.status.in_(OPEN_STATUSES)))


def steps_of(application: Application) -> tuple[str, ...]:
    """The wizard steps of the application's kind, in order (the navigator shows these)."""
    return SPECS[application.kind].steps


def get_own_application(application_id: int, person: Person) -> Application:
    """An application of ``person``; NotFound for anyone else's (answered 404)."""
    return get_owned(Application, application_id, person, _l("申请不存在。"))


def get_owned(model, record_id: int, person: Person, missing):
    """The ``model`` row ``record_id`` when it belongs to ``person``; NotFound(``missing``) for a missing one and
    for anyone else's alike."""
    record = db.session.get(model, record_id)
    if record is None or record.person_id != person.id:
        raise NotFound(missing)
    return record


def applications_of(person: Person) -> list[Application]:
    """历史记录: every application of the person, newest first (with their history rows; the page shows each
    body's name from ``kept_bodies``)."""
    return list(db.session.scalars(select(Application).where(Application.person_id == person.id)
                                   .options(selectinload(Application.events))
                                   .order_by(Application.created_at.desc(), Application.id.desc())))


def latest_decision(application: Application) -> ApplicationEvent | None:
    """The last decision a reviewer or the management center took on the application, if any."""
    decisions = [event for event in application.events if event.staff_id is not None]
    return decisions[-1] if decisions else None


def start_renewal(person: Person, today: date, rules: RenewalRules) -> Application:
    """开始延续注册: the open application if there is one, else a new draft pre-filled from the profile.

    Two tabs starting at once: the partial unique index lets one insert win; the other reuses that draft.
    """
    existing = open_application(person)
    if existing is not None:
        if existing.kind is not ApplicationKind.RENEWAL:
            raise DomainError(busy_message(existing, ApplicationKind.RENEWAL))
        return existing
    eligibility = check_eligibility(person, today, rules)
    if not eligibility.ok:
        raise DomainError(eligibility.message)
    certificate = eligibility.certificate
    application = Application(person_id=person.id, certificate_id=certificate.id, kind=ApplicationKind.RENEWAL,
                              status=S.DRAFT, body_id=_default_body_id(person, certificate),
                              draft=_initial_draft(person, certificate))
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        existing = open_application(person)
        if existing is None:
            raise
        return existing
    return application


def busy_message(current: Application, kind: ApplicationKind) -> str:
    """Why no application of ``kind`` can be started while ``current`` is open (one open application per person)."""
    return str(_l("您有一份正在办理的%(kind)s申请，办结或撤回后才能申请%(other)s。", kind=current.kind.label,
                  other=kind.label))


def _default_body_id(person: Person, certificate: Certificate) -> int | None:
    for body_id in (person.body_id, certificate.body_id):
        body = db.session.get(Body, body_id) if body_id else None
        if body is not None and not body.is_central:
            return body.id
    return None


def _initial_draft(person: Person, certificate: Certificate) -> dict:
    employer = person.employer
    return {
        "personal": {name: getattr(person, name) or "" for name in PERSONAL_FIELDS},
        "employer": {
            "name": (employer.name if employer else certificate.employer_name) or "",
            "credit_code": employer.credit_code if employer else "",
            "kind": (person.employer_kind or (employer.kind if employer else None) or ""),
            "address": (employer.address if employer else "") or "",
            "contact_person": (employer.contact_person if employer else "") or "",
            "contact_phone": (employer.contact_phone if employer else "") or "",
            "body_id": _default_body_id(person, certificate),
        },
        "completed": [],
        "current": "personal",
    }


def is_editable(application: Application) -> bool:
    """Whether the applicant edits the application in the wizard (it is in a status 上报 or 重新上报 leaves)."""
    return application.status in EDITABLE_STATUSES


def completed_steps(application: Application) -> list[str]:
    return list((application.draft or {}).get("completed", []))


def first_open_step(application: Application) -> str:
    """The first step not yet completed (``submit`` when all before it are)."""
    done = set(completed_steps(application))
    return next(step for step in steps_of(application) if step not in done or step == "submit")


def step_allowed(application: Application, step: str) -> bool:
    """A step may be opened once every step before it is complete (no skipping by URL)."""
    steps = steps_of(application)
    if step not in steps:
        return False
    done = set(completed_steps(application))
    return all(earlier in done for earlier in steps[:steps.index(step)])


def resume_step(application: Application) -> str:
    """Where the applicant was: the last step visited, if still allowed, else the first open one."""
    current = (application.draft or {}).get("current")
    if application.status is S.RETURNED and current == "submit":
        return "preview"  # back from the reviewer: first see the whole form, with the reason above it
    if current in steps_of(application) and step_allowed(application, current):
        return current
    return first_open_step(application)


def visit_step(application: Application, step: str) -> None:
    """Remember the step the applicant is on, so that the wizard resumes there after a new login."""
    if (application.draft or {}).get("current") != step:
        update_draft(application, current=step)


def complete_step(application: Application, step: str, **values) -> None:
    done = completed_steps(application)
    if step not in done:
        done.append(step)
    steps = steps_of(application)
    update_draft(application, completed=done, current=steps[steps.index(step) + 1], **values)


def update_draft(application: Application, **values) -> None:
    """JSON columns track reassignment only: write a new dict."""
    application.draft = {**(application.draft or {}), **values}
    try:
        db.session.flush()
    except StaleDataError as error:
        raise transitions.ConcurrentChange(_l("该申请已在其他页面被修改，请刷新后重试。")) from error


def require_editable(application: Application, person: Person) -> None:
    """The application is the person's own (404 otherwise) and still being filled in (draft or returned)."""
    if application.person_id != person.id:
        raise NotFound(_l("申请不存在。"))
    if not is_editable(application):
        raise DomainError(_l("申请已上报，不能再修改。如需修改，请先撤回申请。"))


# --- step 1: 个人基本信息 -----------------------------------------------------------------------------


def clean_personal(data: dict) -> dict:
    """Check the editable personal fields; name, ID, gender and birth date are identity fields (read-only)."""
    values = {name: text(data.get(name)) for name in PERSONAL_FIELDS}
    required(values, "education", _l("学历"), 20)
    required(values, "major", _l("所学专业"), 50)
    optional(values, "title", 50)
    try:
        values["mobile"] = normalize_mobile(values["mobile"])
    except MobileError as error:
        raise DomainError(_l(str(error)), field="mobile") from None
    if values["email"]:
        try:
            values["email"] = normalize_email(values["email"])
        except EmailError as error:
            raise DomainError(_l(str(error)), field="email") from None
        optional(values, "email", 120)
    required(values, "address", _l("通讯地址"), 200)
    if values["postcode"] and not _POSTCODE_RE.fullmatch(values["postcode"]):
        raise DomainError(_l("邮政编码应为6位数字。"), field="postcode")
    return values


def save_personal(application: Application, person: Person, data: dict) -> None:
    """Step 1: save the personal basic information into the draft and mark the step complete."""
    require_editable(application, person)
    complete_step(application, "personal", personal=clean_personal(data))


# --- step 2: 聘用单位信息 -----------------------------------------------------------------------------


def reviewing_bodies() -> list[Body]:
    """Bodies an applicant may submit to: every registration body except the management center."""
    return list(db.session.scalars(select(Body).where(Body.kind != BodyKind.CENTRAL)
                                   .order_by(Body.sort_order, Body.code)))


def clean_employer_fields(data: dict) -> dict:
    """Check the employer (name, 统一社会信用代码, 单位属性, address, contact), without the reviewing body."""
    values = {name: text(data.get(name)) for name in EMPLOYER_FIELDS if name != "body_id"}
    required(values, "name", _l("单位名称"), 200)
    try:
        values["credit_code"] = validate_credit_code(values["credit_code"])
    except CreditCodeError as error:
        raise DomainError(_l(str(error)), field="credit_code") from error
    try:
        values["kind"] = EmployerKind(values["kind"]).value
    except ValueError as error:
        raise DomainError(_l("请选择单位属性。"), field="kind") from error
    required(values, "address", _l("单位地址"), 200)
    required(values, "contact_person", _l("联系人"), 50)
    if not _PHONE_RE.fullmatch(values["contact_phone"]):
        raise DomainError(_l("请填写正确的联系电话。"), field="contact_phone")
    return values


def clean_employer(data: dict, certificate: Certificate | None) -> dict:
    """Check the employer and the reviewing body the applicant chose (延续注册)."""
    values = clean_employer_fields(data)
    body_id = parse_id(data.get("body_id"))  # None for anything no record can have (a huge number overflows)
    body = db.session.get(Body, body_id) if body_id is not None else None
    if body is None or body.is_central:
        raise DomainError(_l("请选择受理初审的注册机构。"), field="body_id")
    if body.kind is BodyKind.DEPARTMENT and certificate is not None and body.category is not None \
            and body.category != certificate.category:
        raise DomainError(_l("%(body)s只受理%(category)s类别的注册申请。", body=body.name,
                             category=body.category.label), field="body_id")
    values["body_id"] = body.id
    return values


def save_employer(application: Application, person: Person, data: dict) -> None:
    """Step 2: save the employer and the body that will run 初审."""
    require_editable(application, person)
    values = clean_employer(data, application.certificate)
    application.body_id = values["body_id"]
    complete_step(application, "employer", employer=values)


# --- step 5 and 6: 预览, 上报 --------------------------------------------------------------------------


def mark_previewed(application: Application, person: Person) -> None:
    """Step 5: the applicant has seen the form as it will print."""
    require_editable(application, person)
    if "preview" not in completed_steps(application):
        complete_step(application, "preview")
    else:
        visit_step(application, "preview")


# --- what an idle logout keeps ----------------------------------------------------------------------------

#: the steps whose typed but unsaved values an idle logout keeps in the draft, with their fields
UNSAVED_FIELDS = {
    "personal": PERSONAL_FIELDS,
    "employer": EMPLOYER_FIELDS,
    "education": ("course", "organiser", "start_date", "end_date", "hours"),
    "work": ("start_date", "end_date", "employer_name", "position", "duties"),
}
_UNSAVED_MAX = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def keep_unsaved(application: Application, person: Person, step: str, data) -> bool:
    """Before an idle logout: keep what was typed into ``step``'s form, unchecked, for the next visit of the step
    (``take_unsaved``). Nothing else of the draft changes. False when there was nothing to keep."""
    if step not in UNSAVED_FIELDS or application.person_id != person.id or not is_editable(application):
        return False
    values = {name: _CONTROL.sub("", text(data.get(name)))[:_UNSAVED_MAX] for name in UNSAVED_FIELDS[step]
              if isinstance(data.get(name), str)}
    if not any(values.values()):
        return False
    unsaved = {**(application.draft or {}).get("unsaved", {}), step: values}
    update_draft(application, unsaved=unsaved)
    return True


def take_unsaved(application: Application, step: str) -> dict | None:
    """The values an idle logout kept for ``step``, removed from the draft (they are back in the form now)."""
    unsaved = dict((application.draft or {}).get("unsaved", {}))
    values = unsaved.pop(step, None)
    if values is not None:
        update_draft(application, unsaved=unsaved)
    return values


# --- steps marked done that are still short -------------------------------------------------------------


def step_shortfalls(application: Application, person: Person, today: date, rules) -> dict[str, str]:
    """Steps the applicant has passed but that still block 上报, with what is missing: 继续教育信息 below the
    required 学时 (e.g. 24 of 48) is shown as incomplete in the navigator, not as done."""
    from .records import education_summary  # records builds on this module

    summary = education_summary(person, application.certificate, today, rules)
    if summary.enough:
        return {}
    return {"education": str(_l("还差%(hours)d学时（已有%(total)d/%(required)d学时）",
                                hours=summary.required - summary.total, total=summary.total,
                                required=summary.required))}
