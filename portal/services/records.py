"""The person's own records that the 延续注册 wizard edits: continuing-education entries (继续教育, step 3) and work
history (工作经历, step 4). Checking and loading only; the wizard's steps (renewal.py) decide when they may change.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import ContinuingEducation, Person, WorkHistory
from .errors import DomainError, NotFound
from .fields import optional, period, required, text

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
    entry = db.session.get(ContinuingEducation, entry_id)
    if entry is None or entry.person_id != person.id:
        raise NotFound(_l("记录不存在。"))
    return entry


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
    row = db.session.get(WorkHistory, row_id)
    if row is None or row.person_id != person.id:
        raise NotFound(_l("记录不存在。"))
    return row
