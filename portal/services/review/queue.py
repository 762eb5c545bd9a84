"""What a console user may see and act on, in one place, and the 初审/审批 decisions.

A reviewer's queries start from a query already limited to the reviewer's registration body (applications by
``Application.body_id``, applicants by ``Person.body_id``, correction requests by the filing body); central staff
see everything. The console's lists, counts, detail pages, exports and actions all go through ``scoped``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationStatus, CorrectionStatus, IdentityCorrection, Person, Staff
from ..errors import DomainError, NotFound
from ..infrastructure.audit import record
from .transitions import perform

#: the column that places each record under a registration body's jurisdiction
SCOPE_COLUMNS = {
    Application: Application.body_id,
    Person: Person.body_id,
    IdentityCorrection: IdentityCorrection.body_id,
}

def scoped(query, model, staff: Staff):
    """``query`` limited to what ``staff`` may see: the reviewer's own body, or everything for central staff."""
    if staff.is_central:
        return query
    return query.where(SCOPE_COLUMNS[model] == staff.body_id)


def in_scope(obj, staff: Staff) -> bool:
    """Whether one loaded record falls under ``staff``'s jurisdiction."""
    if staff.is_central:
        return True
    return getattr(obj, SCOPE_COLUMNS[type(obj)].key) == staff.body_id


MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """A record id from a URL or a form: a positive integer the database can hold, else None."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_ID else None


def get_any(model, pk):
    """The record ``pk`` of ``model`` whoever it belongs to, or None."""
    pk = parse_id(pk)
    return db.session.get(model, pk) if pk is not None else None


def get_in_scope(model, pk, staff: Staff):
    """The record ``pk`` of ``model`` if ``staff`` may see it, else None (missing and foreign look the same)."""
    obj = get_any(model, pk)
    return obj if obj is not None and in_scope(obj, staff) else None


def exists(model, pk) -> bool:
    """Whether the record exists at all (to tell a foreign record, worth an audit row, from a typo)."""
    return get_any(model, pk) is not None


def pending_counts(staff: Staff) -> dict[str, int]:
    """The numbers on the console's home page: what waits for this staff member."""
    def count(model, *conditions) -> int:
        query = scoped(select(func.count()).select_from(model), model, staff).where(*conditions)
        return db.session.scalar(query) or 0

    counts = {
        "submitted": count(Application, Application.status == ApplicationStatus.SUBMITTED),
        "corrections_pending": count(IdentityCorrection, IdentityCorrection.status == CorrectionStatus.PENDING),
    }
    if staff.is_central:
        counts["initial_passed"] = count(Application, Application.status == ApplicationStatus.INITIAL_PASSED)
    return counts


# --- the queue: oldest first, 即将超期 / 已超期, by body -----------------------------------------------------------


def oldest_first(status: str | None) -> list[tuple]:
    """(column, descending) pairs of the queue's default order: the oldest first by the day its current step
    began — 初审通过 for the 审批 queue, 上报 otherwise — then by id (a stable order for 「下一条」)."""
    started = Application.decided_at if status == ApplicationStatus.INITIAL_PASSED.value else Application.submitted_at
    return [(started, False), (Application.id, False)]


def queue_select(staff: Staff, *, status: str | None = None, urgency: str | None = None,
                 body_id: int | None = None):
    """The applications of a queue as the console lists them by default: within ``staff``'s scope, submitted,
    optionally one status, 即将超期/已超期 (``deadlines.Urgency``) and one body, oldest first."""
    from .deadlines import urgency_condition

    query = scoped(select(Application), Application, staff).where(Application.submitted_at.is_not(None))
    if status is not None:
        query = query.where(Application.status == ApplicationStatus(status))
    if urgency is not None:
        query = query.where(urgency_condition(urgency))
    if body_id is not None:
        query = query.where(Application.body_id == body_id)
    return query.order_by(*(column.desc() if desc else column.asc() for column, desc in oldest_first(status)))


# --- decisions ------------------------------------------------------------------------------------------------


def decide(application: Application, staff: Staff, decision: str, reason: str | None, now: datetime, *,
           expected_version: int | None = None) -> Application:
    """Record a 初审 or 审批 decision (a transition of the table, by name) through its service function, which
    checks the actor and the state and writes the history, the notice and the audit row.

    ``expected_version`` is the version the reviewer's page showed: if someone decided in between, the reviewer is
    told so instead of acting on a page that is out of date. Raises DomainError (NotFound outside the scope).
    """
    if not in_scope(application, staff):
        raise NotFound(_l("申请不存在。"))
    if expected_version is not None and application.version != expected_version:
        raise DomainError(_l("该申请已由其他人员处理（当前状态：%(status)s），您的操作未保存。请查看最新状态。",
                             status=application.status.label))
    return perform(decision, application, staff, now, reason)


def record_opening(application: Application, staff: Staff, action: str = "application.view") -> None:
    """Opening an application's detail or its PDF shows the full ID number: that is audit-logged."""
    what = "申请表 PDF" if action == "application.pdf" else "申请"
    record(action, f"查看{what} {application.number}（{application.person.name}，"
                   f"{application.person.masked_id_number}）",
           staff=staff, target=application, body_id=application.body_id)


def record_correction_opening(correction: IdentityCorrection, staff: Staff, action: str) -> None:
    """A correction request shows the old and new ID numbers in full (and its fax scan): opening it is logged."""
    what = "传真扫描件" if action == "correction.scan_view" else "证件信息更正申请"
    record(action, f"查看{what} #{correction.id}（{correction.person.name}，{correction.person.masked_id_number}）",
           staff=staff, target=correction, body_id=correction.body_id)


def record_person_opening(person: Person, staff: Staff) -> None:
    """Opening an applicant's page shows the full ID number: that is audit-logged."""
    record("person.view", f"查看注册人员 {person.name}（{person.masked_id_number}）", staff=staff, target=person,
           body_id=person.body_id)


def record_export(staff: Staff, count: int, export_type: str, query: str) -> None:
    """Exports leave the system: who exported how many rows, with which filters."""
    record("application.export", f"导出申请列表（{export_type.upper()}，{count} 条）", staff=staff,
           data={"count": count, "format": export_type, "query": query})
