"""The application state machine (PRODUCT.md "Application states"): one function per transition.

``draft 填写中`` → ``submitted 已上报`` → ``initial_passed 初审通过`` →
``approved 准予注册`` | ``refused 不予注册``; from ``submitted``: ``returned 退回修改`` (editable,
resubmittable) or ``initial_rejected 初审不通过``; the applicant may withdraw (撤回) a draft, a submitted
application no reviewer has acted on yet, or a returned one.

Every function checks the actor and the current state, changes the application, writes an
``ApplicationEvent`` history row, adds a personal notice for the applicant and flushes (never commits).
Staff decisions are also written to the audit log here, so callers need not. A wrong actor, a wrong state
or a missing reason raises ``DomainError``; two people changing one application at once (the ``version``
optimistic lock) raises ``ConcurrentChange``, a ``DomainError`` too. After catching either, a view must
call ``portal.transaction.rollback_only()``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..clock import local_date
from ..extensions import db
from ..models import Application, ApplicationEvent, ApplicationStatus, CertificateStatus, Person, Staff
from . import audit
from .dates import add_years
from .errors import DomainError
from .notices import N_, notify

S = ApplicationStatus

#: the longest reason a reviewer may write (it is printed on the applicant's page)
REASON_MAX_LENGTH = 2000


class ConcurrentChange(DomainError):
    """Someone else changed the application between loading and saving it."""

    def __init__(self, message=None):
        super().__init__(message or _l("该申请已被其他审核人员处理，请刷新后查看"))


# --- applicant transitions ----------------------------------------------------------------------


def application_number(application: Application, today: date) -> str:
    """申请编号: ``YX`` + year + the zero-padded id (unique because the id is)."""
    return f"YX{today:%Y}{application.id:08d}"


def submit(application: Application, person: Person, snapshot: dict, now: datetime) -> Application:
    """上报: a draft (or a returned application: 重新上报) becomes 已上报 with the frozen ``snapshot``.

    The first submission assigns the application number; a resubmission keeps it. The caller (the renewal
    service) has checked the renewal rules and built the snapshot.
    """
    _check_owner(application, person)
    if application.status not in (S.DRAFT, S.RETURNED):
        raise DomainError(_l("该申请已上报，不能重复上报。"))
    action = "resubmit" if application.status is S.RETURNED else "submit"
    if application.number is None:
        application.number = application_number(application, local_date(now))
    application.snapshot = snapshot
    application.submitted_at = now
    body_name = snapshot.get("body", {}).get("name") or (application.body.name if application.body else "")
    _transition(application, S.SUBMITTED, action, now, person=person)
    notify(person, "submitted",
           N_("您的延续注册申请（申请编号 %(number)s）已上报。请导出并打印延续注册申请表，"
              "加盖聘用单位公章后，与其他申请材料一并报送%(body)s进行初审。"),
           application, number=application.number, body=body_name)
    return application


#: statuses the applicant may still withdraw (撤回): no reviewer has decided on them
WITHDRAWABLE = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})
NOT_WITHDRAWABLE = _l("注册机构已开始审核该申请，不能撤回。")


def withdraw(application: Application, person: Person, now: datetime) -> Application:
    """撤回: the applicant takes back a draft, a submitted application no reviewer has decided on yet,
    or a returned one.

    A withdrawn application stays in 历史记录 and no longer blocks a new one.
    """
    _check_owner(application, person)
    if application.status not in WITHDRAWABLE:
        raise DomainError(NOT_WITHDRAWABLE)
    _transition(application, S.WITHDRAWN, "withdraw", now, person=person)
    if application.number:
        notify(person, "withdrawn", N_("您已撤回延续注册申请（申请编号 %(number)s）。"), application,
               number=application.number)
    return application


# --- reviewer transitions (初审, a reviewer of the application's body) ----------------------------


def initial_pass(application: Application, staff: Staff, now: datetime) -> Application:
    """初审通过: the body's reviewer passes a submitted application on to the management center for 审批."""
    _check_reviewer(application, staff)
    _check_status(application, S.SUBMITTED)
    _decide(application, staff, S.INITIAL_PASSED, "initial_pass", None, now)
    notify(application.person, "initial_passed",
           N_("您的延续注册申请（申请编号 %(number)s）已通过初审，正在等待注册管理中心审批。"),
           application, number=application.number)
    return application


def return_for_changes(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """退回修改: the reviewer sends a submitted application back with a reason; the applicant corrects it
    and submits it again."""
    _check_reviewer(application, staff)
    _check_status(application, S.SUBMITTED)
    reason = _required_reason(reason)
    _decide(application, staff, S.RETURNED, "return", reason, now)
    notify(application.person, "returned",
           N_("您的延续注册申请（申请编号 %(number)s）被退回修改，原因：%(reason)s请登录系统修改后重新上报。"),
           application, number=application.number, reason=_sentence(reason))
    return application


def initial_reject(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """初审不通过: the reviewer rejects a submitted application with a reason (final)."""
    _check_reviewer(application, staff)
    _check_status(application, S.SUBMITTED)
    reason = _required_reason(reason)
    _decide(application, staff, S.INITIAL_REJECTED, "initial_reject", reason, now)
    notify(application.person, "initial_rejected",
           N_("您的延续注册申请（申请编号 %(number)s）初审不通过，原因：%(reason)s"),
           application, number=application.number, reason=_sentence(reason))
    return application


# --- central transitions (审批, the management center) --------------------------------------------


def approve(application: Application, staff: Staff, now: datetime, *,
            period_years: int | None = None) -> Application:
    """准予延续注册: central staff approve an application that passed 初审; the certificate's validity is
    extended by the registration period (``REGISTRATION_PERIOD_YEARS``) counted from its old expiry date."""
    _check_central(staff)
    _check_status(application, S.INITIAL_PASSED)
    certificate = application.certificate
    if certificate is None:
        raise DomainError(_l("该申请没有关联的执业证，无法准予延续注册。"))
    years = period_years if period_years is not None else current_app.config["REGISTRATION_PERIOD_YEARS"]
    old_from, old_until = certificate.valid_from, certificate.valid_until
    certificate.valid_from = old_until
    certificate.valid_until = add_years(old_until, years)
    certificate.status = CertificateStatus.VALID
    _decide(application, staff, S.APPROVED, "approve", None, now,
            data={"valid_from": [old_from.isoformat(), certificate.valid_from.isoformat()],
                  "valid_until": [old_until.isoformat(), certificate.valid_until.isoformat()]})
    notify(application.person, "approved",
           N_("您的延续注册申请（申请编号 %(number)s）已准予延续注册，执业证有效期延续至 %(until)s。"),
           application, number=application.number, until=certificate.valid_until.isoformat())
    return application


def refuse(application: Application, staff: Staff, reason: str, now: datetime) -> Application:
    """不予注册: central staff refuse an application that passed 初审, with a reason (final)."""
    _check_central(staff)
    _check_status(application, S.INITIAL_PASSED)
    reason = _required_reason(reason)
    _decide(application, staff, S.REFUSED, "refuse", reason, now)
    notify(application.person, "refused",
           N_("您的延续注册申请（申请编号 %(number)s）不予注册，原因：%(reason)s"),
           application, number=application.number, reason=_sentence(reason))
    return application


# --- guards and bookkeeping ---------------------------------------------------------------------


def _check_owner(application: Application, person: Person) -> None:
    if person is None or application.person_id != person.id:
        raise DomainError(_l("只能办理本人的申请。"))


def _check_reviewer(application: Application, staff: Staff) -> None:
    """初审 decisions: an active reviewer of the body the application was submitted to."""
    if staff is None or not staff.is_active or staff.is_central or staff.body_id != application.body_id:
        raise DomainError(_l("只能审核本注册机构的申请。"))


def _check_central(staff: Staff) -> None:
    if staff is None or not staff.is_active or not staff.is_central:
        raise DomainError(_l("只有注册管理中心人员可以审批。"))


def _check_status(application: Application, expected: ApplicationStatus) -> None:
    if application.status is not expected:
        raise DomainError(_l("该申请当前状态为“%(status)s”，不能进行此操作，请刷新后查看。",
                             status=application.status.label))


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


def _decide(application: Application, staff: Staff, to: ApplicationStatus, action: str, reason: str | None,
            now: datetime, data: dict | None = None) -> None:
    """A staff decision: timestamp, reason, history row, audit row."""
    application.decided_at = now
    if reason is not None:
        application.last_reason = reason
    from_status = application.status
    _transition(application, to, action, now, staff=staff, reason=reason)
    audit.record(f"application.{action}",
                 f"{to.label}：申请编号 {application.number}（{application.person.masked_id_number}）",
                 staff=staff, target=application, body_id=application.body_id,
                 data={"from": from_status.value, "to": to.value, "reason": reason, **(data or {})})


def _transition(application: Application, to: ApplicationStatus, action: str, now: datetime, *,
                person: Person | None = None, staff: Staff | None = None, reason: str | None = None) -> None:
    """Move to ``to``, add the history row and flush; a concurrent change becomes ConcurrentChange."""
    from_status = application.status
    application.status = to
    db.session.add(ApplicationEvent(application=application, action=action, from_status=from_status,
                                    to_status=to, person_id=person.id if person is not None else None,
                                    staff_id=staff.id if staff is not None else None, reason=reason,
                                    created_at=now))
    try:
        db.session.flush()
    except StaleDataError as error:
        if staff is None:
            raise ConcurrentChange(_l("该申请的状态已发生变化，请刷新后查看。")) from error
        raise ConcurrentChange() from error
