"""上报 of an application of any kind: the snapshot of everything its 申请表 shows (the contract of
``documents.snapshot``: the exam, change, cancellation and materials parts), every rule checked again on the server
(eligibility, each step, the materials), then the submission through the state machine. 延续注册 keeps its own
rules in ``renewal.submission``; these functions hand it over.

Each function takes plain arguments and the acting person, raises ``DomainError``, and only flushes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, Body, Person
from ..documents.snapshot import (
    ApplicationSnapshot,
    CancellationPart,
    ChangePart,
    Education,
    EducationEntry,
    ExamPart,
    MaterialRow,
)
from ..errors import DomainError
from ..renewal import submission as renewal
from ..renewal import wizard as engine
from ..review import transitions
from . import kinds, materials
from . import wizard as steps
from .kinds import LifeCycleRules

K = ApplicationKind
S = engine.S
StepProblem = renewal.StepProblem


def build_snapshot(application: Application, person: Person, today: date, rules: LifeCycleRules
                   ) -> ApplicationSnapshot:
    """Everything the application's 申请表 shows (labels in Chinese, dates ISO), as of ``today``."""
    if application.kind is K.RENEWAL:
        return renewal.build_snapshot(application, person, today, rules.renewal)
    base = renewal.build_snapshot(application, person, today, rules.renewal)
    kind_steps = engine.steps_of(application)
    category = steps.category_of(application)
    # the renewal's parts this kind's form prints; education and work only where the kind has those steps
    values = {"person": base.person, "certificate": base.certificate, "employer": base.employer, "body": base.body,
              "education": Education(), "work": ()}
    if category is not None:
        values["person"] = replace(base.person, category=category.text)
    if "employer" not in kind_steps:  # 注销: the employer as the profile has it
        name, code = steps.current_employer(person, application.certificate)
        values["employer"] = type(base.employer).from_json({"name": name, "credit_code": code})
    if "education" in kind_steps:
        summary = steps.education_summary(application, person, today, rules)
        values["education"] = Education(
            entries=tuple(EducationEntry(course=entry.course, organiser=entry.organiser,
                                         start_date=entry.start_date.isoformat(),
                                         end_date=entry.end_date.isoformat(), hours=entry.hours, counted=counted)
                          for entry, counted in summary.entries if counted),
            total=summary.total, required=summary.required,
            period_from=summary.period_from.isoformat() if summary.period_from else "",
            period_to=summary.period_to.isoformat())
    if "work" in kind_steps:
        values["work"] = base.work
    record = application.exam_record or (kinds.exam_record_of(person) if application.kind is K.REREGISTRATION
                                         else None)
    if record is not None:
        values["exam"] = ExamPart(qualification_no=record.qualification_no, exam_year=str(record.exam_year),
                                  qualified_on=kinds.qualified_on(record).isoformat(),
                                  category=(category or record.category).text if (category or record.category)
                                  else "")
    if application.kind is K.CHANGE:
        values["change"] = _change_part(application, person)
    if application.kind is K.CANCELLATION:
        values["cancellation"] = CancellationPart(
            reason=steps.cancellation_text((application.draft or {}).get("cancellation") or {}), filed_by="本人")
    values["materials"] = _material_rows(application)
    return ApplicationSnapshot(kind=application.kind.value, date=today.isoformat(), **values)


def _change_part(application: Application, person: Person) -> ChangePart:
    change = (application.draft or {}).get("change") or {}
    types = change.get("types") or []
    old_name, old_code = steps.current_employer(person, application.certificate)
    certificate = application.certificate
    new_category = steps.category_of(application) if "category" in types else None
    return ChangePart(types="、".join(steps.CHANGE_TEXTS[code] for code in types if code in steps.CHANGE_TEXTS),
                      old_employer_name=old_name, old_credit_code=old_code,
                      old_category=certificate.category.text if certificate else "",
                      new_category=new_category.text if new_category else "", reason=change.get("reason") or "")


def _material_rows(application: Application) -> tuple[MaterialRow, ...]:
    """The 附件清单: each item with files, how many and their pages."""
    return tuple(MaterialRow(item_label=label, count=count, pages=pages)
                 for label, count, pages in materials.summary(application))


def submission_problems(application: Application, person: Person, today: date, rules: LifeCycleRules) -> list:
    """Every rule of 上报, checked again on the server; an empty list means the application may be submitted."""
    if application.kind is K.RENEWAL:
        return renewal.submission_problems(application, person, today, rules.renewal)
    problems: list = []
    resubmission = application.status is S.RETURNED
    eligibility = kinds.check(application.kind, person, today, rules)
    if not eligibility.ok:
        problems.append(eligibility.reason)
    elif eligibility.kind is not application.kind and not resubmission:
        # 初始注册 begun in time whose deadline has passed meanwhile (a returned one was lodged in time)
        problems.append(_l("初始注册期限已过，本申请不能再上报。请撤回后重新申请，系统将按逾期初始注册办理。"))
    kind_steps = engine.steps_of(application)
    done = set(engine.completed_steps(application))
    missing = [engine.STEP_LABELS[step] for step in kind_steps if step not in ("preview", "submit")
               and step not in done]
    if missing:
        problems.append(_l("请先完成以下步骤：%(steps)s。", steps="、".join(str(label) for label in missing)))
    draft = application.draft or {}
    checks = {
        "personal": lambda: engine.clean_personal(draft.get("personal", {})),
        "exam": lambda: _check_exam(application),
        "change": lambda: steps.clean_change(application, draft.get("change", {}), rules),
        "cancellation": lambda: steps.clean_cancellation(draft.get("cancellation", {})),
        "employer": lambda: _check_employer(application, person),
    }
    for step, check in checks.items():
        if step not in kind_steps:
            continue
        try:
            check()
        except DomainError as error:
            problems.append(StepProblem(_l("%(step)s：%(message)s", step=engine.STEP_LABELS[step],
                                           message=error.message), step))
    if "education" in kind_steps:
        summary = steps.education_summary(application, person, today, rules)
        if not summary.enough:
            problems.append(StepProblem(_l("近%(years)d年内的继续教育为%(total)d学时，不足%(required)d学时，不能上报。",
                                           years=rules.ce_years, total=summary.total, required=summary.required),
                                        "education"))
    if "work" in kind_steps and (problem := renewal.work_problem(person, today)) is not None:
        problems.append(problem)
    if "materials" in kind_steps:
        problems.extend(StepProblem(message, "materials") for message in steps.materials_problems(application))
    if application.body_id is None or db.session.get(Body, application.body_id) is None:
        problems.append(_l("受理初审的注册机构尚未确定。"))
    return problems


def _check_exam(application: Application) -> None:
    if application.exam_record is None:
        raise DomainError(_l("没有您的考试合格信息。"))
    if not ((application.draft or {}).get("exam") or {}).get("category"):
        raise DomainError(_l("请确认注册的专业类别。"))


def _check_employer(application: Application, person: Person) -> None:
    employer = dict((application.draft or {}).get("employer") or {})
    values, body = steps.clean_routed_employer(application, person, employer)
    if body.id != application.body_id:
        raise DomainError(_l("受理初审的注册机构已变化，请重新确认。"))


def submit(application: Application, person: Person, today: date, now: datetime,
           rules: LifeCycleRules) -> Application:
    """上报 (or 重新上报) of any kind: re-check every rule, copy the confirmed personal data and employer into the
    profile (not for 注销, which changes nothing of it), freeze the snapshot, and move it to 已上报."""
    if application.kind is K.RENEWAL:
        return renewal.submit_renewal(application, person, today, now, rules.renewal)
    engine.require_editable(application, person)
    problems = submission_problems(application, person, today, rules)
    if problems:
        raise DomainError("；".join(str(problem) for problem in problems))
    kind_steps = engine.steps_of(application)
    if "personal" in kind_steps:
        for name, value in engine.clean_personal((application.draft or {}).get("personal", {})).items():
            setattr(person, name, value or None)
    snapshot = build_snapshot(application, person, today, rules)
    return transitions.submit(application, person, snapshot.to_json(), now)
