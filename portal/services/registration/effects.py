"""What 准予 does, per kind (RULES.md "effect when approved"), in the approval's one transaction with its history
row, audit row, notice and mail (``transitions.take``):

- 初始注册 / 逾期初始注册: a new 执业证 (``numbers``), valid ``REGISTRATION_PERIOD_YEARS`` from the approval day;
- 重新注册: the person's registration valid again for the period from the approval day, under its old number;
- 变更注册: employer, 专业类别 and body changed; number and validity unchanged;
- 注销注册: the registration 已注销 and the person's other open applications 已终止.

Every kind but 注销 issues a new electronic certificate (voiding the previous one). 延续注册's effect stays in
``transitions.approve``. The facts come from the application's draft as submitted (the snapshot is its frozen
print): ``employer``, ``exam``, ``change`` and ``cancellation`` (see each function).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...clock import local_date
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    Body,
    Category,
    Certificate,
    CertificateStatus,
    Employer,
    EmployerKind,
    Staff,
)
from ..certificates import issue as issue_certificate
from ..errors import DomainError
from ..infrastructure.dates import add_years
from ..review import transitions
from .numbers import next_certificate_number, province_digits

K = ApplicationKind


def approve(application: Application, staff: Staff, now: datetime) -> Application:
    """准予 an application of a kind other than 延续注册 (``transitions.approve`` has checked actor and status)."""
    return _EFFECTS[application.kind](application, staff, now)


def _employer_data(application: Application) -> dict:
    return dict((application.draft or {}).get("employer") or {})


def _category(application: Application) -> Category:
    """The 专业类别 registered: the one confirmed in the wizard, else the exam pass's, else the profile's."""
    code = ((application.draft or {}).get("exam") or {}).get("category")
    for candidate in (code, application.exam_record.category if application.exam_record else None,
                      application.person.category):
        try:
            if candidate:
                return Category(candidate)
        except ValueError:
            continue
    raise DomainError(_l("申请没有专业类别，无法准予注册。"))


def _employer(data: dict) -> Employer | None:
    """The employer record of the submitted employer (created when new; never overwriting another's details)."""
    code = data.get("credit_code")
    if not code:
        return None
    employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
    if employer is None:
        try:
            with db.session.begin_nested():
                employer = Employer(credit_code=code, name=data.get("name") or code)
                db.session.add(employer)
        except IntegrityError:
            employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
    for name in ("address", "contact_person", "contact_phone"):
        if not getattr(employer, name) and data.get(name):
            setattr(employer, name, data[name])
    if employer.kind is None and data.get("kind") in EmployerKind.__members__.values():
        employer.kind = EmployerKind(data["kind"])
    return employer


def _register_employment(application: Application, certificate: Certificate, data: dict) -> None:
    """The person now works for the submitted employer, under the application's body."""
    person = application.person
    employer = _employer(data)
    if employer is not None:
        person.employer = employer
    if data.get("kind") in EmployerKind.__members__.values():
        person.employer_kind = EmployerKind(data["kind"])
    certificate.employer_name = data.get("name") or certificate.employer_name
    if application.body_id is not None:
        certificate.body_id = person.body_id = application.body_id


def _period(today: date) -> tuple[date, date]:
    return today, add_years(today, current_app.config["REGISTRATION_PERIOD_YEARS"])


def _grant(application: Application, staff: Staff, now: datetime, certificate: Certificate,
           audit_data: dict) -> Application:
    taken = transitions.take("approve", application, now, staff=staff, certificate=certificate.number,
                             until=certificate.valid_until.isoformat(), audit_data=audit_data)
    issue_certificate(certificate, now, staff=staff)
    return taken


def _initial(application: Application, staff: Staff, now: datetime) -> Application:
    """初始注册 (逾期 too): a new 执业证 with a new number, valid for the period from today."""
    person = application.person
    if person.certificates:
        raise DomainError(_l("申请人已有执业证，不能准予初始注册。"))
    today = local_date(now)
    data = _employer_data(application)
    body = db.session.get(Body, application.body_id) if application.body_id else None
    category = _category(application)
    valid_from, valid_until = _period(today)
    certificate = Certificate(person=person, category=category, status=CertificateStatus.VALID,
                              number=next_certificate_number(today.year, province_digits(data.get("credit_code"),
                                                                                         body)),
                              valid_from=valid_from, valid_until=valid_until)
    db.session.add(certificate)
    _register_employment(application, certificate, data)
    person.category = category
    db.session.flush()
    application.certificate = certificate
    return _grant(application, staff, now, certificate, {"certificate": certificate.number,
                                                         "valid_until": valid_until.isoformat()})


def _reregistration(application: Application, staff: Staff, now: datetime) -> Application:
    """重新注册: the lapsed registration valid again for the period from today, under its number."""
    certificate = application.certificate or application.person.current_certificate
    if certificate is None:
        raise DomainError(_l("申请没有关联的执业证，无法准予重新注册。"))
    old = {"status": certificate.status.value, "valid_from": certificate.valid_from.isoformat(),
           "valid_until": certificate.valid_until.isoformat()}
    certificate.valid_from, certificate.valid_until = _period(local_date(now))
    certificate.status = CertificateStatus.VALID
    _register_employment(application, certificate, _employer_data(application))
    application.certificate = certificate
    return _grant(application, staff, now, certificate, {
        "certificate": certificate.number, "status": [old["status"], "valid"],
        "valid_from": [old["valid_from"], certificate.valid_from.isoformat()],
        "valid_until": [old["valid_until"], certificate.valid_until.isoformat()]})


def _change(application: Application, staff: Staff, now: datetime) -> Application:
    """变更注册: the new employer (or its new name) and/or 专业类别; number and validity unchanged."""
    certificate = application.certificate
    if certificate is None or certificate.status is CertificateStatus.REVOKED:
        raise DomainError(_l("执业证已注销，不能准予变更注册。"))
    change = (application.draft or {}).get("change") or {}
    types = set(change.get("types") or [])
    before = {"employer_name": certificate.employer_name, "category": certificate.category.value,
              "body_id": certificate.body_id}
    if types & {"employer", "rename"}:
        _register_employment(application, certificate, _employer_data(application))
    if "category" in types and change.get("category"):
        try:
            certificate.category = application.person.category = Category(change["category"])
        except ValueError as error:
            raise DomainError(_l("变更后的专业类别无效。")) from error
    after = {"employer_name": certificate.employer_name, "category": certificate.category.value,
             "body_id": certificate.body_id}
    return _grant(application, staff, now, certificate, {
        "certificate": certificate.number, "types": sorted(types),
        **{name: [before[name], after[name]] for name in before if before[name] != after[name]}})


def _cancellation(application: Application, staff: Staff, now: datetime) -> Application:
    """注销注册: the registration 已注销 (no download, the register and the verification page say so), and the
    person's other open applications end (已终止)."""
    certificate = application.certificate or application.person.current_certificate
    if certificate is None:
        raise DomainError(_l("申请没有关联的执业证，无法注销。"))
    previous = certificate.status
    certificate.status = CertificateStatus.REVOKED
    taken = transitions.take("approve", application, now, staff=staff, certificate=certificate.number,
                             audit_data={"certificate": certificate.number,
                                         "status": [previous.value, CertificateStatus.REVOKED.value]})
    others = db.session.scalars(select(Application).where(
        Application.person_id == application.person_id, Application.id != application.id,
        Application.status.in_(OPEN_STATUSES)))
    for other in list(others):
        transitions.close(other, staff, now)
    return taken


_EFFECTS = {
    K.INITIAL: _initial,
    K.LATE_INITIAL: _initial,
    K.REREGISTRATION: _reregistration,
    K.CHANGE: _change,
    K.CANCELLATION: _cancellation,
}
