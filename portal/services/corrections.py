"""证件信息更正 — the fax-verified identity correction of guide 七.3.

The registration body sees the applicant's documents, files a request (fields, old → new values, reason) and
faxes the stamped copies to the center (date, pages; a scan may be attached). Central staff verify against the
fax, then apply the request — the person's record changes, the audit log keeps old and new values, the applicant
gets a notice — or refuse it with a reason. Both answers are shown to the filing body in its console.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import CorrectionStatus, IdentityCorrection, IdType, Person, Staff
from ..validators import IdNumberError, birth_date_from_id, gender_from_id, mask_id_number, validate_id_number
from .errors import DomainError, NotFound
from .infrastructure.audit import record
from .infrastructure.notices import N_, notify
from .notifications.events import mail_identity_corrected
from .review.queue import in_scope

#: the fields a correction may change, in the order the forms show them
FIELDS = ("name", "gender", "birth_date", "id_type", "id_number")
FIELD_LABELS = {
    "name": _l("姓名"),
    "gender": _l("性别"),
    "birth_date": _l("出生日期"),
    "id_type": _l("证件类型"),
    "id_number": _l("证件号码"),
}
FIELD_TEXT = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "id_type": "证件类型",
              "id_number": "证件号码"}
GENDERS = ("男", "女")
MAX_FAX_PAGES = 200
MAX_REASON = 2000

#: the first bytes of the accepted scan formats; the browser's declared type is never trusted
SCAN_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)

#: the applicant's notice, in the guide's words (七.3); stored in Chinese whatever the central user's language
NOTICE = N_("您的证件信息（%(fields)s）已由注册管理中心按照注册机构传真的证件、证明更正，"
            "可登录注册管理系统进行注册或者查询。")


@dataclass(frozen=True)
class Scan:
    """An uploaded fax scan: the name the browser gave and the bytes."""

    filename: str
    data: bytes


def scan_content_type(data: bytes, max_bytes: int) -> str:
    """The scan's type judged by its first bytes (PDF, PNG or JPEG); DomainError for anything else or too big."""
    if not data:
        raise DomainError(_l("上传的文件是空的。"), field="scan")
    if len(data) > max_bytes:
        raise DomainError(_l("传真扫描件不能超过 %(size)s MB。", size=f"{max_bytes / 1024 / 1024:g}"), field="scan")
    for signature, content_type in SCAN_SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise DomainError(_l("传真扫描件只能是 PDF、PNG 或 JPEG 文件。"), field="scan")


def display_value(field: str, value) -> str:
    """A stored old/new value as a person reads it (ID type label, ISO date)."""
    if value is None or value == "":
        return "—"
    if field == "id_type":
        try:
            return str(IdType(value).label)
        except ValueError:
            return str(value)
    return str(value)


def _current(person: Person, field: str):
    value = getattr(person, field)
    if field == "birth_date":
        return value.isoformat() if value else None
    if field == "id_type":
        return value.value if value else None
    return value


def _normalise(field: str, value, new_id_type: str) -> str | None:
    """The new value as stored in ``changes`` (strings; dates ISO), checked; DomainError beside the field."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        raise DomainError(_l("请填写%(field)s。", field=FIELD_LABELS[field]), field=field)
    if field == "name":
        if len(value) > 50:
            raise DomainError(_l("姓名不能超过50个字符。"), field=field)
        return value
    if field == "gender":
        if value not in GENDERS:
            raise DomainError(_l("性别只能是男或女。"), field=field)
        return value
    if field == "birth_date":
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise DomainError(_l("出生日期格式不正确。"), field=field) from None
        if value < date(1900, 1, 1) or value > clock.today():
            raise DomainError(_l("出生日期不正确。"), field=field)
        return value.isoformat()
    if field == "id_type":
        try:
            return IdType(value).value
        except ValueError:
            raise DomainError(_l("证件类型不正确。"), field=field) from None
    try:  # id_number: a new number must be valid for the (new) type; no first-generation numbers
        return validate_id_number(new_id_type, value)
    except IdNumberError as error:
        raise DomainError(str(error), field="id_number") from None


def _changes(person: Person, new_values: dict) -> dict:
    """``{"field": {"old": …, "new": …}}`` for the fields whose new value differs from the record."""
    new_id_type = new_values.get("id_type") or _current(person, "id_type")
    try:
        new_id_type = IdType(new_id_type).value
    except ValueError:
        raise DomainError(_l("证件类型不正确。"), field="id_type") from None
    changes = {}
    for field in FIELDS:
        if field not in new_values:
            continue
        new = _normalise(field, new_values[field], new_id_type)
        old = _current(person, field)
        if new != old:
            changes[field] = {"old": old, "new": new}
    if "id_type" in changes and "id_number" not in changes:
        # the number stays, but it must be a valid number of the new type
        try:
            validate_id_number(new_id_type, person.id_number)
        except IdNumberError as error:
            raise DomainError(_l("原证件号码不是有效的%(type)s号码：%(error)s",
                                 type=IdType(new_id_type).label, error=str(error)), field="id_number") from None
    if not changes:
        raise DomainError(_l("填写的信息与系统中的现有信息完全相同，没有需要更正的内容。"))
    return changes


def _resulting(person: Person, changes: dict, field: str):
    return changes[field]["new"] if field in changes else _current(person, field)


def _check_consistency(person: Person, changes: dict) -> None:
    """A new 居民身份证 number must agree with the birth date and gender the record will have."""
    if "id_number" not in changes and "id_type" not in changes and "birth_date" not in changes \
            and "gender" not in changes:
        return
    if _resulting(person, changes, "id_type") != IdType.RESIDENT_ID.value:
        return
    number = _resulting(person, changes, "id_number")
    try:
        born, gender = birth_date_from_id(number), gender_from_id(number)
    except IdNumberError:
        return  # an existing first-generation number that is not being changed
    birth = _resulting(person, changes, "birth_date")
    if birth and birth != born.isoformat():
        raise DomainError(_l("证件号码中的出生日期（%(born)s）与出生日期（%(birth)s）不一致，请一并更正。",
                             born=born.isoformat(), birth=birth), field="birth_date")
    sex = _resulting(person, changes, "gender")
    if sex and sex != gender:
        raise DomainError(_l("证件号码中的性别（%(id_gender)s）与性别（%(gender)s）不一致，请一并更正。",
                             id_gender=gender, gender=sex), field="gender")


class NumberHeldElsewhere(DomainError):
    """The new number belongs to a person outside the filing reviewer's body. The reviewer is not told who holds
    it (else the form would answer who holds any ID number in the country); the attempt is an access event that
    the view writes with ``record_number_held_elsewhere`` once the request's changes are rolled back."""

    def __init__(self, person: Person, holder: Person, number: str):
        super().__init__(_l("该证件号码已被系统中的其他人员使用，请联系注册管理中心核实。"), field="id_number")
        self.person = person
        self.holder = holder
        self.masked_number = mask_id_number(number)


def record_number_held_elsewhere(error: NumberHeldElsewhere, staff: Staff, *, path: str, method: str,
                                 ip: str | None) -> None:
    """The ``access.denied`` audit row of a correction that named another body's holder's number (the caller
    commits it, whatever becomes of the request)."""
    person = error.person
    summary = (f"{staff.username} 为 {person.name}（{person.masked_id_number}）提交证件信息更正时填写的新证件号码 "
               f"{error.masked_number} 属于其他注册机构的人员")
    record("access.denied", summary, staff=staff, target=error.holder, body_id=staff.body_id,
           data={"path": path, "method": method, "person_id": person.id}, ip=ip)


def _check_unique(person: Person, changes: dict, staff: Staff) -> None:
    """The new 证件类型 + 证件号码 must not belong to someone else. The holder is named only to staff who may see
    them (central staff, or a reviewer of the holder's body)."""
    if "id_number" not in changes and "id_type" not in changes:
        return
    id_type = _resulting(person, changes, "id_type")
    number = _resulting(person, changes, "id_number")
    holder = db.session.scalar(select(Person).where(Person.id_type == id_type, Person.id_number == number,
                                                    Person.id != person.id))
    if holder is None:
        return
    if not in_scope(holder, staff):
        raise NumberHeldElsewhere(person, holder, number)
    raise DomainError(_l("新证件号码 %(number)s 已被系统中的其他人员（%(name)s）使用，不能更正为该号码。"
                         "请核实证件后再处理。", number=mask_id_number(number), name=holder.name), field="id_number")


def pending_for(person: Person) -> IdentityCorrection | None:
    """The person's request that is still waiting for the center, if any."""
    return db.session.scalar(select(IdentityCorrection).where(IdentityCorrection.person_id == person.id,
                                                              IdentityCorrection.status == CorrectionStatus.PENDING))


def file_correction(person: Person, staff: Staff, new_values: dict, *, reason: str, fax_date: date | None,
                    fax_pages: int | None, scan: Scan | None, max_scan_bytes: int, now: datetime,
                    today: date) -> IdentityCorrection:
    """A registration body files a correction request for one of its applicants (guide 七.3, first half).

    ``new_values`` maps fields to the values on the applicant's documents; fields equal to the record are ignored,
    and a request that changes nothing is refused. Raises DomainError (with ``field``; ``NumberHeldElsewhere``, to
    be audit-logged, for a number held in another body) and NotFound.
    """
    if not in_scope(person, staff):
        raise NotFound(_l("人员不存在。"))
    if pending_for(person) is not None:
        raise DomainError(_l("该人员已有一份待注册管理中心审核的更正申请，请等待答复后再提交。"))
    changes = _changes(person, new_values)
    _check_unique(person, changes, staff)
    _check_consistency(person, changes)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("请填写更正原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("更正原因不能超过%(count)d个字。", count=MAX_REASON), field="reason")
    if fax_date is None:
        raise DomainError(_l("请填写传真日期。"), field="fax_date")
    if fax_date > today:
        raise DomainError(_l("传真日期不能晚于今天。"), field="fax_date")
    if fax_pages is None or not 1 <= fax_pages <= MAX_FAX_PAGES:
        raise DomainError(_l("传真页数应为1至%(max)d页。", max=MAX_FAX_PAGES), field="fax_pages")
    content_type = scan_content_type(scan.data, max_scan_bytes) if scan is not None else None
    correction = IdentityCorrection(
        person_id=person.id, body_id=staff.body_id, filed_by_id=staff.id, changes=changes, reason=reason,
        fax_date=fax_date, fax_pages=fax_pages, status=CorrectionStatus.PENDING,
        scan_filename=(scan.filename or "scan")[-200:] if scan is not None else None,
        scan_content_type=content_type, scan=scan.data if scan is not None else None,
    )
    db.session.add(correction)
    db.session.flush()
    record("correction.file", f"提交证件信息更正申请 #{correction.id}：{person.name}（{person.masked_id_number}），"
                              f"更正{'、'.join(FIELD_TEXT[field] for field in changes)}",
           staff=staff, target=correction, body_id=staff.body_id, data={"person_id": person.id, "changes": changes})
    return correction


def _claim(correction: IdentityCorrection, status: CorrectionStatus) -> None:
    """Move a pending request to ``status`` only if it is still pending (two central staff cannot both decide)."""
    result = db.session.execute(
        update(IdentityCorrection)
        .where(IdentityCorrection.id == correction.id, IdentityCorrection.status == CorrectionStatus.PENDING)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(correction)
        raise DomainError(_l("该更正申请已处理（%(status)s），您的操作未保存。", status=correction.status.label))
    correction.status = status


def _check_decider(correction: IdentityCorrection, staff: Staff) -> None:
    if not staff.is_central:
        raise NotFound(_l("更正申请不存在。"))
    if correction.status is not CorrectionStatus.PENDING:
        raise DomainError(_l("该更正申请已处理（%(status)s），您的操作未保存。", status=correction.status.label))


def apply_correction(correction: IdentityCorrection, staff: Staff, now: datetime) -> Person:
    """The center applies a verified request (guide 七.3, second half): the person's record changes in this
    transaction, the audit row keeps old and new values, and the applicant's page gets the guide's notice."""
    _check_decider(correction, staff)
    if correction.filed_by_id == staff.id:
        raise DomainError(_l("提交更正申请的人员不能同时审核该申请，请由注册管理中心的其他人员审核。"))
    person = correction.person
    changes = correction.changes
    for field, change in changes.items():
        if _current(person, field) != change["old"]:
            raise DomainError(_l("提交申请后，该人员的%(field)s已发生变化，请不予更正并请注册机构重新提交。",
                                 field=FIELD_LABELS[field]))
    _check_unique(person, changes, staff)
    _check_consistency(person, changes)
    _claim(correction, CorrectionStatus.APPLIED)
    for field, change in changes.items():
        new = change["new"]
        if field == "birth_date":
            new = date.fromisoformat(new)
        elif field == "id_type":
            new = IdType(new)
        setattr(person, field, new)
    correction.decided_by_id = staff.id
    correction.decided_at = now
    try:
        db.session.flush()
    except IntegrityError:  # another request took the number a moment ago
        raise DomainError(_l("新证件号码已被系统中的其他人员使用，不能更正为该号码。"), field="id_number") from None
    labels = "、".join(FIELD_TEXT[field] for field in changes)
    record("correction.apply", f"予以更正 #{correction.id}：{person.name}，更正{labels}", staff=staff,
           target=correction, body_id=correction.body_id, data={"person_id": person.id, "changes": changes})
    notify(person, "identity_corrected", NOTICE, fields=labels)
    mail_identity_corrected(person, labels)
    return person


def refuse_correction(correction: IdentityCorrection, staff: Staff, reason: str, now: datetime) -> None:
    """The center refuses a request with a reason; the filing body sees the reason in its console."""
    _check_decider(correction, staff)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("请填写不予更正的理由。"), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("理由不能超过%(count)d个字。", count=MAX_REASON), field="reason")
    _claim(correction, CorrectionStatus.REFUSED)
    correction.decided_by_id = staff.id
    correction.decided_at = now
    correction.decision_reason = reason
    db.session.flush()
    record("correction.refuse", f"不予更正 #{correction.id}：{correction.person.name}"
                                f"（{correction.person.masked_id_number}）", staff=staff, target=correction,
           body_id=correction.body_id, data={"person_id": correction.person_id, "reason": reason})
