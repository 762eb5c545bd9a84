"""延续注册 steps 3 and 4: the person's own records the wizard edits — continuing-education entries (继续教育) with
the 学时 counted in the current registration period, and work history (工作经历) free of overlaps. Every change goes
through ``require_editable`` of the wizard; each function only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    Application,
    Certificate,
    ContinuingEducation,
    Person,
    WorkHistory,
)
from ..errors import DomainError
from .fields import optional, period, required, text
from .window import RenewalRules
from .wizard import complete_step, get_owned, require_editable

MAX_HOURS_PER_ENTRY = 200


def education_rows(person: Person) -> list[ContinuingEducation]:
    return list(db.session.scalars(select(ContinuingEducation).where(ContinuingEducation.person_id == person.id)
                                   .order_by(ContinuingEducation.start_date, ContinuingEducation.id)))


def clean_education(data: dict, today: date) -> dict:
    """A CE entry: course, organiser, dates ordered and not in the future, 学时 1..200."""
    values = {"course": text(data.get("course")), "organiser": text(data.get("organiser"))}
    required(values, "course", _l("培训课程"), 100)
    required(values, "organiser", _l("培训机构"), 100)
    values["start_date"], values["end_date"] = period(data, today, open_end=False)
    hours = data.get("hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_HOURS_PER_ENTRY:
        raise DomainError(_l("学时应为1至%(max)d之间的整数。", max=MAX_HOURS_PER_ENTRY), field="hours")
    values["hours"] = hours
    return values

def get_education(person: Person, entry_id: int) -> ContinuingEducation:
    return get_owned(ContinuingEducation, entry_id, person, _l("记录不存在。"))


def work_rows(person: Person) -> list[WorkHistory]:
    return list(db.session.scalars(select(WorkHistory).where(WorkHistory.person_id == person.id)
                                   .order_by(WorkHistory.start_date, WorkHistory.id)))


def clean_work(data: dict, today: date) -> dict:
    """A work-history row: dates ordered and not in the future (no end date = 至今), employer, position, duties."""
    values = {"employer_name": text(data.get("employer_name")), "position": text(data.get("position")),
              "duties": text(data.get("duties"))}
    required(values, "employer_name", _l("工作单位"), 200)
    optional(values, "position", 100)
    optional(values, "duties", 500)
    values["start_date"], values["end_date"] = period(data, today, open_end=True)
    values["position"] = values["position"] or None
    values["duties"] = values["duties"] or None
    return values


def check_work_history(rows: list, today: date) -> None:
    """No two periods overlap; only the latest row may run 至今 (no end date)."""
    ordered = sorted(rows, key=lambda row: row.start_date)
    for previous, row in zip(ordered, ordered[1:], strict=False):
        if row.start_date <= (previous.end_date or today):
            message = _l("工作经历的时间不能重叠：%(a)s 与 %(b)s。", a=_describe(previous), b=_describe(row))
            if previous.end_date is None:
                message = _l("%(overlap)s只有最近的一段工作经历可以填写“至今”（结束日期留空）。", overlap=message)
            raise DomainError(message, field="start_date")


def _describe(row) -> str:
    if row.end_date is None:
        return str(_l("%(start)s至今（%(employer)s）", start=row.start_date.isoformat(), employer=row.employer_name))
    return str(_l("%(start)s至%(end)s（%(employer)s）", start=row.start_date.isoformat(),
                  end=row.end_date.isoformat(), employer=row.employer_name))

def get_work(person: Person, row_id: int) -> WorkHistory:
    return get_owned(WorkHistory, row_id, person, _l("记录不存在。"))


# --- step 3: 继续教育信息 -----------------------------------------------------------------------------


@dataclass
class EducationSummary:
    """The person's CE entries, which of them count in the current registration period, and the total."""

    entries: list[tuple[ContinuingEducation, bool]]
    period_from: date | None
    period_to: date
    required: int
    total: int = 0
    problems: list = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.total >= self.required


def education_summary(person: Person, certificate: Certificate | None, today: date,
                      rules: RenewalRules) -> EducationSummary:
    """Entries entirely inside the current period (the certificate's valid_from .. today) count."""
    period_from = certificate.valid_from if certificate else None
    entries = []
    for entry in education_rows(person):
        counted = period_from is not None and entry.start_date >= period_from and entry.end_date <= today
        entries.append((entry, counted))
    summary = EducationSummary(entries, period_from, today, rules.ce_hours_required)
    summary.total = sum(entry.hours for entry, counted in entries if counted)
    return summary



def add_education(application: Application, person: Person, data: dict, today: date) -> ContinuingEducation:
    """Step 3: add a continuing-education entry to the person's record."""
    require_editable(application, person)
    entry = ContinuingEducation(person_id=person.id, **clean_education(data, today))
    db.session.add(entry)
    db.session.flush()
    return entry



def update_education(application: Application, person: Person, entry_id: int, data: dict,
                     today: date) -> ContinuingEducation:
    """Step 3: change one of the person's CE entries."""
    require_editable(application, person)
    entry = get_education(person, entry_id)
    for name, value in clean_education(data, today).items():
        setattr(entry, name, value)
    db.session.flush()
    return entry


def delete_education(application: Application, person: Person, entry_id: int) -> None:
    """Step 3: delete one of the person's CE entries."""
    require_editable(application, person)
    db.session.delete(get_education(person, entry_id))
    db.session.flush()


def finish_education(application: Application, person: Person) -> None:
    """Step 3 done (the 学时 total is checked at 上报, so the applicant can carry on and come back)."""
    require_editable(application, person)
    complete_step(application, "education")


# --- step 4: 工作经历 ---------------------------------------------------------------------------------



def add_work(application: Application, person: Person, data: dict, today: date) -> WorkHistory:
    """Step 4, 添加: add a work-history row; the whole history must stay free of overlaps."""
    require_editable(application, person)
    row = WorkHistory(person_id=person.id, **clean_work(data, today))
    check_work_history([*work_rows(person), row], today)
    db.session.add(row)
    db.session.flush()
    return row



def update_work(application: Application, person: Person, row_id: int, data: dict, today: date) -> WorkHistory:
    """Step 4: change a row opened through its 起止时间."""
    require_editable(application, person)
    row = get_work(person, row_id)
    values = clean_work(data, today)
    with db.session.no_autoflush:
        for name, value in values.items():
            setattr(row, name, value)
        check_work_history(work_rows(person), today)
    db.session.flush()
    return row


def delete_work(application: Application, person: Person, row_id: int) -> None:
    """Step 4: delete a row opened through its 起止时间."""
    require_editable(application, person)
    db.session.delete(get_work(person, row_id))
    db.session.flush()


def finish_work(application: Application, person: Person, today: date) -> None:
    """Step 4 done: at least one row, no overlaps."""
    require_editable(application, person)
    rows = work_rows(person)
    if not rows:
        raise DomainError(_l("请至少添加一条工作经历。"))
    check_work_history(rows, today)
    complete_step(application, "work")
