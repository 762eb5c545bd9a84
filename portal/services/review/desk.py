"""The review desk at volume: 认领 (claiming), bulk decisions item by item, and the 退回 checklist.

Every function takes the acting staff member, checks the body scope (``queue.in_scope``), writes an audit row and
only flushes. Decisions themselves always go through ``transitions.perform()`` via ``queue.decide``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationStatus, ReturnChecklistItem, Staff
from ...models.workflow import TRANSITIONS_BY_NAME
from ..errors import DomainError, NotFound
from ..infrastructure.audit import record
from .queue import decide, in_scope, scoped
from .transitions import REASON_MAX_LENGTH, _required_reason, available

S = ApplicationStatus

#: decisions that may be taken on several applications at once (no reason needed: 初审通过, 准予延续注册)
BULK_DECISIONS = ("initial_pass", "approve")
#: the most applications one bulk decision may carry (the confirmation page lists them all)
BULK_MAX = 100
#: decisions asked twice before they are taken (初审通过, 准予延续注册 and every refusal)
CONFIRMED_DECISIONS = frozenset({"initial_pass", "approve", "initial_reject", "refuse"})
#: how far down the queue 「…并下一条」 looks for the application after the one just decided
STREAM_WINDOW = 200


def check_reason(reason: str | None) -> str:
    """The reason a decision requires, checked before the confirmation page (the same rule as the decision)."""
    return _required_reason(reason)


# --- 认领 -------------------------------------------------------------------------------------------------------


def claim(application: Application, staff: Staff, now: datetime) -> Application:
    """认领: mark the application as being worked on by ``staff`` (colleagues see 「由XX处理中」). One statement
    that succeeds only when nobody else holds it, so two clerks claiming at once cannot both win; the
    application's ``version`` is left alone (a claim is not a decision)."""
    _require_open(application, staff)
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id,
               or_(Application.claimed_by_id.is_(None), Application.claimed_by_id == staff.id))
        .values(claimed_by_id=staff.id, claimed_at=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(application)
    if result.rowcount != 1:
        holder = application.claimed_by
        raise DomainError(_l("该申请已由%(name)s认领处理，您不能再认领。", name=holder.name if holder else "—"))
    record("application.claim", f"认领申请 {application.number}", staff=staff, target=application,
           body_id=application.body_id)
    return application


def release(application: Application, staff: Staff) -> Application:
    """释放: give up one's own claim (central staff may also release anyone's, e.g. a colleague on leave)."""
    if not in_scope(application, staff):
        raise NotFound(_l("申请不存在。"))
    if application.claimed_by_id is None:
        raise DomainError(_l("该申请未被认领。"))
    if application.claimed_by_id != staff.id and not staff.is_central:
        raise DomainError(_l("只能释放本人认领的申请。"))
    holder = application.claimed_by
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(claimed_by_id=None, claimed_at=None).execution_options(synchronize_session=False))
    db.session.refresh(application)
    record("application.release", f"释放申请 {application.number}（原认领人：{holder.username if holder else '—'}）",
           staff=staff, target=application, body_id=application.body_id)
    return application


def claimed_by_other(application: Application, staff: Staff) -> bool:
    return application.claimed_by_id is not None and application.claimed_by_id != staff.id


def _require_open(application: Application, staff: Staff) -> None:
    """Only an application waiting for a decision this staff member may take can be claimed."""
    if not in_scope(application, staff):
        raise NotFound(_l("申请不存在。"))
    if application.status not in (S.SUBMITTED, S.INITIAL_PASSED):
        raise DomainError(_l("该申请当前状态为“%(status)s”，无需认领。", status=application.status.label))
    if not available(application, staff=staff):
        raise DomainError(_l("该申请当前不由您办理，无需认领。"))


# --- bulk decisions ---------------------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    application_id: int
    number: str
    name: str
    ok: bool
    message: str


def bulk_candidates(ids: Iterable, decision: str, staff: Staff) -> list[Application]:
    """The selected applications within the staff member's scope, in the order of the queue (oldest first).
    Ids outside the scope are dropped (they are not the staff member's to see); statuses are checked per item
    when the decision runs, so a list shown for confirmation may still hold one a colleague has decided since."""
    if decision not in BULK_DECISIONS:
        raise DomainError(_l("该操作不能批量办理。"))
    wanted = sorted({int(pk) for pk in ids if str(pk).isdigit() and 0 < int(pk) <= 2**31 - 1})
    if not wanted:
        raise DomainError(_l("请至少选择一条申请。"))
    if len(wanted) > BULK_MAX:
        raise DomainError(_l("一次最多批量办理%(max)d条申请。", max=BULK_MAX))
    query = scoped(select(Application), Application, staff).where(Application.id.in_(wanted),
                                                                  Application.submitted_at.is_not(None))
    return list(db.session.scalars(query.order_by(Application.submitted_at, Application.id)))


def unseen(ids: Iterable, candidates: list[Application]) -> list[int]:
    """Requested ids that exist but are not among the candidates (another body's, or a draft): a forged selection,
    refused like a foreign record opened by URL."""
    found = {application.id for application in candidates}
    wanted = {int(pk) for pk in ids if str(pk).isdigit() and 0 < int(pk) <= 2**31 - 1} - found
    if not wanted:
        return []
    return list(db.session.scalars(select(Application.id).where(Application.id.in_(wanted))))


def decide_one(application: Application, decision: str, staff: Staff, now: datetime) -> BulkOutcome:
    """One item of a bulk decision, checked by the transition table and audited by ``perform()`` like a single
    decision; an item a colleague has claimed is left to them. A refusal comes back as the outcome's message (the
    caller rolls that item back; each item stands in its own transaction)."""
    number, name = application.number, application.person.name
    try:
        if claimed_by_other(application, staff):
            raise DomainError(_l("已由%(name)s认领处理", name=application.claimed_by.name))
        decide(application, staff, decision, None, now)
    except DomainError as error:
        return BulkOutcome(application.id, number, name, False, str(error.message))
    return BulkOutcome(application.id, number, name, True,
                       str(TRANSITIONS_BY_NAME[decision].for_kind(application.kind).done))


def record_bulk(decision: str, staff: Staff, outcomes: list[BulkOutcome]) -> None:
    """The bulk decision as a whole in the audit log (each item has its own row too)."""
    succeeded = [o.number for o in outcomes if o.ok]
    verb = {"initial_pass": "初审通过", "approve": "准予延续注册"}[decision]
    record(f"application.bulk_{decision}",
           f"批量{verb}：成功 {len(succeeded)} 条，未办理 {len(outcomes) - len(succeeded)} 条", staff=staff,
           data={"succeeded": succeeded, "failed": {o.number: o.message for o in outcomes if not o.ok}})


# --- 退回 with a checklist ----------------------------------------------------------------------------------------


def checklist_items(*, active_only: bool = True) -> list[ReturnChecklistItem]:
    query = select(ReturnChecklistItem).order_by(ReturnChecklistItem.sort_order, ReturnChecklistItem.id)
    if active_only:
        query = query.where(ReturnChecklistItem.active.is_(True))
    return list(db.session.scalars(query))


def return_reason(ticked: Iterable[str], note: str | None) -> str:
    """The reason of a 退回 as the applicant reads it: the ticked missing items numbered one per line, then the
    reviewer's own words. Ticked items must be among the active checklist items (a forged value is refused)."""
    known = {item.text for item in checklist_items()}
    items = [text for text in ticked if text]
    unknown = [text for text in items if text not in known]
    if unknown:
        raise DomainError(_l("所选补正项目已不存在，请刷新后重新选择。"), field="reason")
    note = (note or "").strip()
    lines = []
    if items:
        lines.append("需要补正的材料：")
        lines += [f"{index}. {text}" for index, text in enumerate(items, start=1)]
    if note:
        lines += (["其他说明："] if items else []) + [note]
    reason = "\n".join(lines)
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(_l("原因不能超过%(max)d个字。", max=REASON_MAX_LENGTH), field="reason")
    return reason
