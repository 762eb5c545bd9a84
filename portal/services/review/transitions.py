"""The application state machine's service functions: one per transition of the table in
``portal/models/workflow.py``, which says who may take it, from which statuses, whether a reason is required and
which notice it leaves.

Every function goes through ``_take``: it checks the actor and the current state against the table, changes the
status, writes an ``ApplicationEvent`` history row (and, for a staff decision, the audit row), adds the personal
notice and, where the table says so, the applicant's mail (an outbox row, committed or rolled back with the
change), and flushes (never commits). A function adds only what its transition changes beyond that (the number and
snapshot of 上报, the certificate of 准予延续注册). A wrong actor, a wrong state or a missing reason raises
``DomainError``; two people changing one application at once (the ``version`` optimistic lock) raises
``ConcurrentChange``, a ``DomainError`` too. After catching either, a view must roll back (``portal.transaction``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from ...clock import local_date
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    CertificateStatus,
    Person,
    Staff,
)
from ...models.workflow import TRANSITIONS_BY_NAME, WITHDRAWABLE_STATUSES, Actor, Transition, transitions_from
from ..certificates import issue as issue_certificate
from ..documents.snapshot import ApplicationSnapshot
from ..errors import DomainError
from ..infrastructure import audit
from ..infrastructure.dates import add_years
from ..infrastructure.notices import notify
from ..notifications.events import mail_transition

S = ApplicationStatus

#: the longest reason a reviewer may write (it is printed on the applicant's page)
REASON_MAX_LENGTH = 2000

#: transition name → the function that carries it out (filled by ``@carries_out``)
FUNCTIONS: dict[str, Callable] = {}


class ConcurrentChange(DomainError):
    """Someone else changed the application between loading and saving it."""

    def __init__(self, message=None):
        super().__init__(message or _l("该申请已被其他审核人员处理，请刷新后查看"))


def carries_out(name: str) -> Callable:
    """Register the decorated function as the one that carries out transition ``name`` of the table."""
    if name not in TRANSITIONS_BY_NAME:
        raise LookupError(f"no transition {name!r} in the table")

    def register(function: Callable) -> Callable:
        FUNCTIONS[name] = function
        return function

    return register


def may_take(transition: Transition, application: Application, *, person: Person | None = None,
             staff: Staff | None = None) -> bool:
    """Whether this person or staff member is the actor the table names for ``transition`` on ``application``."""
    if transition.actor is Actor.APPLICANT:
        return person is not None and application.person_id == person.id
    if staff is None or not staff.is_active:
        return False
    if transition.actor is Actor.CENTRAL:
        return staff.is_central
    return not staff.is_central and staff.body_id == application.body_id


def available(application: Application, *, person: Person | None = None,
              staff: Staff | None = None) -> list[Transition]:
    """The transitions this person or staff member may take on the application now, in table order: the
    console's decision buttons and the applicant's actions."""
    return [transition for transition in transitions_from(application.status, application.kind)
            if transition.offered and may_take(transition, application, person=person, staff=staff)]


def is_withdrawable(application: Application) -> bool:
    return application.status in WITHDRAWABLE_STATUSES


NOT_WITHDRAWABLE = _l("注册机构已开始审核该申请，不能撤回。")

# --- applicant transitions ----------------------------------------------------------------------


#: the 申请编号's two letters per kind (延续 YX, 初始 CS, 变更 BG, 重新 CX, 注销 ZX)
NUMBER_PREFIXES = {"initial": "CS", "late_initial": "CS", "renewal": "YX", "change": "BG", "reregistration": "CX",
                   "cancellation": "ZX"}


def application_number(application: Application, today: date) -> str:
    """申请编号: the kind's two letters + the registry's year of the first 上报 + the zero-padded id (unique because
    the id is)."""
    return f"{NUMBER_PREFIXES[application.kind.value]}{today:%Y}{application.id:08d}"


@carries_out("submit")
@carries_out("resubmit")
def submit(application: Application, person: Person, snapshot: dict, now: datetime) -> Application:
    """上报: a draft (or a returned application: 重新上报) becomes 已上报 with the frozen ``snapshot``.

    The first submission assigns the application number (the year is the registry's, not UTC's); a resubmission
    keeps it. The caller (the renewal service) has checked the renewal rules and built the snapshot.
    """
    name = "resubmit" if application.status is S.RETURNED else "submit"
    _check(TRANSITIONS_BY_NAME[name], application, person=person)
    if application.number is None:
        application.number = application_number(application, local_date(now))
    application.snapshot = snapshot
    application.submitted_at = now
    body_name = ApplicationSnapshot.from_json(snapshot).body.name or (application.body.name if application.body else "")
    return _take(name, application, now, person=person, body=body_name)


@carries_out("withdraw")
def withdraw(application: Application, person: Person, now: datetime) -> Application:
    """撤回: the applicant takes back a draft, a submitted application no reviewer has decided on yet,
    or a returned one. A withdrawn application stays in 历史记录 and no longer blocks a new one."""
    return _take("withdraw", application, now, person=person)


# --- reviewer transitions (初审, a reviewer of the application's body) ----------------------------


@carries_out("initial_pass")
def initial_pass(application: Application, staff: Staff, now: datetime) -> Application:
    """初审通过: the body's reviewer passes a submitted application on to the management center for 审批 — once
    the signed and stamped 申请表 is uploaded or 「纸质材料已收到」 (``registration.materials``)."""
    from ..registration.materials import ready_for_initial_pass

    _check(TRANSITIONS_BY_NAME["initial_pass"], application, staff=staff)
    problem = ready_for_initial_pass(application)
    if problem is not None:
        raise DomainError(problem)
    return _take("initial_pass", application, now, staff=staff)


@carries_out("return")
def return_for_changes(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """退回修改: the reviewer sends a submitted application back with a reason listing everything to correct;
    the applicant corrects it and submits it again."""
    return _take("return", application, now, staff=staff, reason=reason)


@carries_out("initial_reject")
def initial_reject(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """初审不通过: the reviewer rejects a submitted application with a reason (final)."""
    return _take("initial_reject", application, now, staff=staff, reason=reason)


# --- central transitions (审批, the management center) --------------------------------------------


@carries_out("file_cancellation")
def file_cancellation(application: Application, staff: Staff, snapshot: dict, now: datetime) -> Application:
    """A registration body files a 注销 for a person of its own (death and the other grounds): numbered and
    frozen like a 上报, and 初审 is the body's own, so it goes to the management center to confirm."""
    _check(TRANSITIONS_BY_NAME["file_cancellation"], application, staff=staff)
    if application.number is None:
        application.number = application_number(application, local_date(now))
    application.snapshot = snapshot
    application.submitted_at = now
    body = staff.body
    return _take("file_cancellation", application, now, staff=staff, body=body.name if body else "",
                 ground=(snapshot.get("cancellation") or {}).get("ground", ""))


@carries_out("close")
def close(application: Application, staff: Staff, now: datetime) -> Application:
    """终止办理: an open application of a person whose registration the center has just cancelled."""
    return _take("close", application, now, staff=staff)


@carries_out("approve")
def approve(application: Application, staff: Staff, now: datetime, *,
            period_years: int | None = None) -> Application:
    """准予: central staff approve an application that passed 初审. 延续注册 extends the certificate's validity by
    the registration period (``REGISTRATION_PERIOD_YEARS``) counted from its old expiry date; the other kinds'
    effects are in ``portal.services.registration.effects``."""
    _check(TRANSITIONS_BY_NAME["approve"], application, staff=staff)
    if application.kind is not ApplicationKind.RENEWAL:
        from ..registration import effects  # effects build on this module

        return effects.approve(application, staff, now)
    certificate = application.certificate
    if certificate is None:
        raise DomainError(_l("该申请没有关联的执业证，无法准予延续注册。"))
    years = period_years if period_years is not None else current_app.config["REGISTRATION_PERIOD_YEARS"]
    old_from, old_until = certificate.valid_from, certificate.valid_until
    certificate.valid_from = old_until
    certificate.valid_until = add_years(old_until, years)
    certificate.status = CertificateStatus.VALID
    taken = _take("approve", application, now, staff=staff, until=certificate.valid_until.isoformat(),
                  audit_data={"valid_from": [old_from.isoformat(), certificate.valid_from.isoformat()],
                              "valid_until": [old_until.isoformat(), certificate.valid_until.isoformat()]})
    issue_certificate(certificate, now, staff=staff)  # the new electronic certificate; the old one is voided
    return taken


@carries_out("refuse")
def refuse(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """不予注册: central staff refuse an application that passed 初审, with a reason (final)."""
    return _take("refuse", application, now, staff=staff, reason=reason)


def perform(name: str, application: Application, staff: Staff, now: datetime, reason: str | None = None):
    """Carry out the staff decision ``name`` through its function (the console's one entry point)."""
    transition = TRANSITIONS_BY_NAME.get(name)
    if transition is None or not transition.is_decision or not transition.offered:
        raise DomainError(_l("未知的审核操作。"))
    function = FUNCTIONS[name]
    if transition.reason_required:
        return function(application, staff, reason, now)
    return function(application, staff, now)


# --- the one way a transition is taken --------------------------------------------------------------------

_WRONG_ACTOR = {
    Actor.APPLICANT: _l("只能办理本人的申请。"),
    Actor.REVIEWER: _l("只能审核本注册机构的申请。"),
    Actor.CENTRAL: _l("只有注册管理中心人员可以审批。"),
}
_WRONG_STATUS = {
    "submit": _l("该申请已上报，不能重复上报。"),
    "resubmit": _l("该申请已上报，不能重复上报。"),
    "withdraw": NOT_WITHDRAWABLE,
}


def _check(transition: Transition, application: Application, *, person: Person | None = None,
           staff: Staff | None = None) -> None:
    """The table's guard: the right actor, then a status the transition leaves from."""
    if not transition.applies_to(application.kind):
        raise DomainError(_l("该类申请不能进行此操作。"))
    if not may_take(transition, application, person=person, staff=staff):
        raise DomainError(_WRONG_ACTOR[transition.actor])
    if application.status not in transition.sources:
        raise DomainError(_WRONG_STATUS.get(transition.name)
                          or _l("该申请当前状态为“%(status)s”，不能进行此操作，请刷新后查看。",
                                status=application.status.label))


def take(name: str, application: Application, now: datetime, **kwargs) -> Application:
    """Take transition ``name`` (for the kinds' effects, which add their own changes around it)."""
    return _take(name, application, now, **kwargs)


def _take(name: str, application: Application, now: datetime, *, person: Person | None = None,
          staff: Staff | None = None, reason: str | None = None, audit_data: dict | None = None,
          **notice_params) -> Application:
    """Take transition ``name``: guard, status, the current reason, history row, audit row (staff decisions) and
    the applicant's notice; flush. A concurrent change becomes ConcurrentChange."""
    transition = TRANSITIONS_BY_NAME[name].for_kind(application.kind)
    _check(transition, application, person=person, staff=staff)
    reason = _required_reason(reason) if transition.reason_required else None
    from_status = application.status
    application.status = transition.target
    application.last_reason = reason  # the current decision's reason; earlier ones stay in the history rows
    application.claimed_by_id = application.claimed_at = None  # a claim (认领) ends with the step it was for
    if transition.is_decision:
        application.decided_at = now
    db.session.add(ApplicationEvent(application=application, action=name, from_status=from_status,
                                    to_status=transition.target, person_id=person.id if person is not None else None,
                                    staff_id=staff.id if staff is not None else None, reason=reason,
                                    created_at=now))
    try:
        db.session.flush()
    except StaleDataError as error:
        if staff is None:
            raise ConcurrentChange(_l("该申请的状态已发生变化，请刷新后查看。")) from error
        raise ConcurrentChange() from error
    if transition.is_decision:
        summary = f"{transition.target.label}：申请编号 {application.number}（{application.person.masked_id_number}）"
        audit.record(f"application.{name}", summary, staff=staff, target=application, body_id=application.body_id,
                     data={"from": from_status.value, "to": transition.target.value, "reason": reason,
                           **(audit_data or {})})
    else:  # the applicant's own 上报, 重新上报 and 撤回
        what = f"申请编号 {application.number}" if application.number else f"申请 #{application.id}（草稿）"
        verb = {"submit": "上报", "resubmit": "重新上报", "withdraw": "撤回"}.get(name, name)
        audit.record(f"application.{name}", f"{verb}：{what}", person=person, target=application,
                     body_id=application.body_id, data={"from": from_status.value, "to": transition.target.value})
    if transition.notice and application.number:
        if reason is not None:
            notice_params["reason"] = _sentence(reason)
        if "%(kind)s" in transition.notice:  # the kind's code, translated when the notice is shown
            notice_params.setdefault("kind", application.kind.value)
        notify(application.person, transition.target.value, transition.notice, application,
               number=application.number, **notice_params)
    if transition.mail and application.number:  # the mail mirrors the notice, in the same transaction (outbox)
        mail_transition(application, name, now, reason)
    return application


def _sentence(text: str) -> str:
    """``text`` ending with exactly one full stop (a reason typed with or without one)."""
    return text.rstrip("。.；;，, ") + "。"


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("请填写原因。"), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(_l("原因不能超过%(max)d个字。", max=REASON_MAX_LENGTH), field="reason")
    return reason
