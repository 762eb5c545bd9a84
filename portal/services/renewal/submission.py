"""上报 and 撤回 of a 延续注册 (guide 一.9): the snapshot of everything the 延续注册申请表 shows, the rules checked
again on the server, the submission through the state machine, and the withdrawal.

Like the wizard, each function takes plain arguments and the acting person, raises ``DomainError``, and only
flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, Body, Employer, EmployerKind, Person
from ..documents.snapshot import (
    ApplicationSnapshot,
    BodyPart,
    CertificatePart,
    Education,
    EducationEntry,
    EmployerPart,
    PersonPart,
    WorkRow,
)
from ..errors import DomainError, NotFound
from ..review import transitions
from .records import check_work_history, education_summary, work_rows
from .window import RenewalRules, birth_date_of, check_eligibility
from .wizard import (
    PERSONAL_FIELDS,
    STEP_LABELS,
    STEPS,
    S,
    clean_employer,
    clean_personal,
    completed_steps,
    require_editable,
)


def build_snapshot(application: Application, person: Person, today: date, rules: RenewalRules) -> ApplicationSnapshot:
    """Everything the 延续注册申请表 shows (labels in Chinese, dates ISO), as of ``today``."""
    draft = application.draft or {}
    personal = {**{name: getattr(person, name) or "" for name in PERSONAL_FIELDS}, **draft.get("personal", {})}
    employer = dict(draft.get("employer", {}))
    certificate = application.certificate
    body = db.session.get(Body, application.body_id) if application.body_id else None
    birth = birth_date_of(person)
    summary = education_summary(person, certificate, today, rules)
    return ApplicationSnapshot(
        kind=application.kind.value,
        date=today.isoformat(),
        person=PersonPart.from_json({
            **personal,
            "name": person.name,
            "gender": person.gender or "",
            "birth_date": birth.isoformat() if birth else "",
            "id_type": person.id_type.text,
            "id_number": person.id_number,
            "category": person.category.text if person.category else "",
        }),
        certificate=CertificatePart(
            number=certificate.number, category=certificate.category.text,
            valid_from=certificate.valid_from.isoformat(), valid_until=certificate.valid_until.isoformat(),
        ) if certificate else CertificatePart(),
        employer=EmployerPart.from_json({**employer, "kind": _employer_kind_text(employer.get("kind"))}),
        body=BodyPart(id=body.id, code=body.code, name=body.name) if body else BodyPart(),
        education=Education(
            entries=tuple(EducationEntry(course=entry.course, organiser=entry.organiser,
                                         start_date=entry.start_date.isoformat(), end_date=entry.end_date.isoformat(),
                                         hours=entry.hours, counted=counted) for entry, counted in summary.entries),
            total=summary.total,
            required=summary.required,
            period_from=summary.period_from.isoformat() if summary.period_from else "",
            period_to=summary.period_to.isoformat(),
        ),
        work=tuple(WorkRow(start_date=row.start_date.isoformat(),
                           end_date=row.end_date.isoformat() if row.end_date else "",
                           employer_name=row.employer_name, position=row.position or "", duties=row.duties or "")
                   for row in work_rows(person)),
    )


@dataclass(frozen=True)
class StepProblem:
    """A problem that blocks 上报 and the wizard step where it is put right (the page links to it)."""

    message: object
    step: str

    def __str__(self) -> str:
        return str(self.message)


def submission_problems(application: Application, person: Person, today: date, rules: RenewalRules) -> list:
    """Every rule of 上报, checked again on the server; an empty list means the application may be submitted."""
    problems = []
    eligibility = check_eligibility(person, today, rules)
    resubmission = application.status is S.RETURNED
    # A returned application was lodged inside the window; only the age rule and the certificate apply again.
    if not eligibility.ok and not (resubmission and eligibility.problem in ("not_open", "expired")):
        problems.append(eligibility.message)
    missing = [STEP_LABELS[step] for step in STEPS[:5] if step not in completed_steps(application)]
    if missing:
        problems.append(_l("请先完成以下步骤：%(steps)s。", steps="、".join(str(label) for label in missing)))
    draft = application.draft or {}
    checks = {"personal": lambda data: clean_personal(data),
              "employer": lambda data: clean_employer(data, application.certificate)}
    for key, check in checks.items():
        try:
            check(draft.get(key, {}))
        except DomainError as error:
            problems.append(StepProblem(_l("%(step)s：%(message)s", step=STEP_LABELS[key], message=error.message), key))
    summary = education_summary(person, application.certificate, today, rules)
    if not summary.enough:
        problems.append(StepProblem(_l("本注册周期内的继续教育学时为%(total)d学时，不足%(required)d学时，不能上报。",
                                       total=summary.total, required=summary.required), "education"))
    problem = work_problem(person, today)
    if problem is not None:
        problems.append(problem)
    return problems


def work_problem(person: Person, today: date) -> StepProblem | None:
    """What blocks 上报 in 工作经历 (none entered, or rows that do not hold together), if anything."""
    rows = work_rows(person)
    try:
        if not rows:
            raise DomainError(_l("请至少添加一条工作经历。"))
        check_work_history(rows, today)
    except DomainError as error:
        return StepProblem(error.message, "work")
    return None


def submit_renewal(application: Application, person: Person, today: date, now: datetime,
                   rules: RenewalRules) -> Application:
    """上报 (or 重新上报 of a returned application): re-check every rule, copy the confirmed personal and employer
    data into the profile, freeze the snapshot, and move the application to 已上报."""
    require_editable(application, person)
    problems = submission_problems(application, person, today, rules)
    if problems:
        raise DomainError("；".join(str(problem) for problem in problems))
    _apply_to_profile(application, person)
    snapshot = build_snapshot(application, person, today, rules)
    return transitions.submit(application, person, snapshot.to_json(), now)


def _apply_to_profile(application: Application, person: Person) -> None:
    """The confirmed personal data and employer become the person's profile (the snapshot keeps this form's)."""
    draft = application.draft or {}
    personal = clean_personal(draft.get("personal", {}))
    for name, value in personal.items():
        setattr(person, name, value or None)
    employer_data = clean_employer(draft.get("employer", {}), application.certificate)
    employer = _employer_by_code(employer_data["credit_code"])
    if employer is None:
        try:
            with db.session.begin_nested():  # another applicant may be adding the same employer right now
                employer = Employer(credit_code=employer_data["credit_code"], name=employer_data["name"])
                db.session.add(employer)
        except IntegrityError:
            employer = _employer_by_code(employer_data["credit_code"])
    # Fill what the shared employer record lacks; never overwrite what another applicant's form gave.
    for name in ("kind", "address", "contact_person", "contact_phone"):
        if not getattr(employer, name):
            setattr(employer, name, employer_data[name])
    person.employer = employer
    person.employer_kind = EmployerKind(employer_data["kind"])
    db.session.flush()


def _employer_by_code(code: str) -> Employer | None:
    return db.session.scalar(select(Employer).where(Employer.credit_code == code))


def withdraw_application(application: Application, person: Person, now: datetime) -> Application:
    """撤回: the applicant takes back a draft, an application no reviewer has acted on, or a returned one."""
    if application.person_id != person.id:
        raise NotFound(_l("申请不存在。"))
    return transitions.withdraw(application, person, now)


def _employer_kind_text(code) -> str:
    try:
        return EmployerKind(code).text
    except ValueError:
        return ""
