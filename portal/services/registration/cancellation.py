"""注销注册 filed by a registration body (RULES.md: death, loss of civil capacity, registration 撤销 or 吊销, a
criminal penalty, the employer's request): the body's reviewer files it for a person of its own body, 初审 is the
body's own, and it goes straight to the management center, which confirms it (``approve``: 确认注销) or not.

A filed 注销 stands beside the person's own open application (the database allows one of each); the center's
confirmation ends that one too (``effects``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ...clock import local_date
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, ApplicationStatus, CertificateStatus, Person, Staff
from ..documents.snapshot import ApplicationSnapshot, BodyPart, CertificatePart, PersonPart
from ..errors import DomainError
from ..review import transitions
from .kinds import BODY_GROUNDS, pending_filed_cancellation

NOTE_MAX_LENGTH = 500


class OutsideJurisdiction(DomainError):
    """A reviewer tried to act on a person of another body. The console refuses the request before it gets here,
    with its ``access.denied`` audit row (``portal.reviewer.gate.deny``); this is the service's own guard."""


def may_file(staff: Staff | None, person: Person) -> bool:
    """Whether ``staff`` may file a 注销 for ``person``: an active reviewer of the person's body."""
    return (staff is not None and staff.is_active and not staff.is_central and staff.body_id is not None
            and staff.body_id == person.body_id)


def file_by_body(person: Person, staff: Staff, ground: str, note: str, now: datetime) -> Application:
    """File a 注销 of ``person``'s registration on ``ground`` (a ``BODY_GROUNDS`` code) with ``note``; it goes to
    the center for confirmation. Flushes only."""
    if not may_file(staff, person):
        raise OutsideJurisdiction(_l("只能为本注册机构管辖的注册人员办理注销。"))
    if ground not in BODY_GROUNDS:
        raise DomainError(_l("请选择注销情形。"), field="ground")
    note = (note or "").strip()
    if ground == "other" and not note:
        raise DomainError(_l("注销情形为“其他”时，请填写说明。"), field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(_l("说明不能超过%(max)d个字。", max=NOTE_MAX_LENGTH), field="note")
    certificate = person.current_certificate
    if certificate is None or certificate.status is CertificateStatus.REVOKED:
        raise DomainError(_l("该人员没有可注销的注册。"))
    pending = pending_filed_cancellation(person)
    if pending is not None:
        raise DomainError(_l("已为该人员办理注销（申请编号 %(number)s），正在等待注册管理中心确认。",
                             number=pending.number))
    ground_text = str(BODY_GROUNDS[ground])
    application = Application(person_id=person.id, certificate_id=certificate.id, kind=ApplicationKind.CANCELLATION,
                              status=ApplicationStatus.DRAFT, body_id=staff.body_id, filed_by_id=staff.id,
                              draft={"cancellation": {"ground": ground, "note": note, "filed_by": "body"}})
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError as error:  # another reviewer filed one a moment ago
        raise DomainError(_l("已为该人员办理注销，正在等待注册管理中心确认。")) from error
    snapshot = _snapshot(application, person, certificate, staff, ground_text, note, now)
    return transitions.file_cancellation(application, staff, snapshot, now)


def _snapshot(application, person, certificate, staff, ground_text, note, now) -> dict:
    body = staff.body
    data = ApplicationSnapshot(
        kind=ApplicationKind.CANCELLATION.value, date=local_date(now).isoformat(),
        person=PersonPart(name=person.name, gender=person.gender or "", id_type=person.id_type.text,
                          id_number=person.id_number, category=person.category.text if person.category else "",
                          mobile=person.mobile or "", email=person.email or "", address=person.address or ""),
        certificate=CertificatePart(number=certificate.number, category=certificate.category.text,
                                    valid_from=certificate.valid_from.isoformat(),
                                    valid_until=certificate.valid_until.isoformat()),
        body=BodyPart(id=body.id, code=body.code, name=body.name) if body else BodyPart(),
    ).to_json()
    # the cancellation part (snapshot.CancellationPart): what the 注销注册申请表 prints
    data["cancellation"] = {"reason": note, "ground": ground_text, "filed_by": body.name if body else ""}
    data["employer"] = {"name": certificate.employer_name or (person.employer.name if person.employer else "")}
    return data
