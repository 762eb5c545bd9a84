"""Applicant accounts: identity verification for 设置密码 (guide 一.1, 七.1, 七.2), passwords, 忘记密码 links,
first-login completion (guide 四) and the 15 → 18 digit ID upgrade (guide 五).

Every function takes plain values and the acting person, flushes, and raises DomainError with a Chinese message;
the request commits. Functions that check a captcha-protected form change nothing before they may refuse, so a
view never has to roll back the captcha it consumed.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Body, Category, EmployerKind, ExamRecord, IdType, PasswordResetToken, Person
from ...validators import (
    IdNumberError,
    birth_date_from_id,
    gender_from_id,
    is_same_person,
    mask_id_number,
    validate_id_number,
    validate_resident_id,
)
from ..errors import DomainError
from ..infrastructure.audit import record
from ..infrastructure.notices import N_, notify
from ..infrastructure.passwords import (
    PersonalWords,
    WeakPasswordError,
    applicant_words,
    check_password_strength,
    hash_password,
    verify_password,
)
from ..notifications.events import mail_password_changed
from .sessions import end_session, start_session

#: How long the verified identity of 设置密码 step 1 may be used for step 2.
IDENTITY_TICKET_SECONDS = 15 * 60
_TICKET_SALT = "portal.set-password.identity"

HOLDER = "holder"  #: 已获得执业证书的人员: matched against registration records (Person + Certificate)
PASSER = "passer"  #: 考试合格人员: matched against exam records


class IdentityNotFound(DomainError):
    """设置密码: no record matches. ``kind`` is ``holder`` (没有您的注册信息) or ``passer`` (没有您的考试信息)."""

    def __init__(self, kind: str):
        message = _l("没有您的注册信息") if kind == HOLDER else _l("没有您的考试信息")
        super().__init__(message)
        self.kind = kind


class PasswordAlreadySet(DomainError):
    """设置密码 for an account that already has one: the person should log in or use 忘记密码."""

    def __init__(self):
        super().__init__(_l("您已设置过登录密码，请直接登录；如忘记密码，请使用“忘记密码”找回。"))


class NotSamePerson(DomainError):
    """更新身份证号: the 18-digit number is not the upgrade of the 15-digit one (identity correction needed)."""


class ResetLinkInvalid(DomainError):
    """忘记密码: the link is unknown, used or expired."""


@dataclass(frozen=True)
class IdentityMatch:
    """Who passed 设置密码 step 1: an existing person, or an exam record that has no person yet."""

    person_id: int | None = None
    exam_record_id: int | None = None


@dataclass(frozen=True)
class NoEmailOnFile:
    """忘记密码 for a person without email: they must contact their registration body."""

    body: Body | None


# --- lookups ---------------------------------------------------------------------------------------------------

def normalise_id_number(id_type: IdType, id_number: str) -> str:
    """The stored form of an ID number; a 15-digit resident ID is accepted. DomainError(field=id_number)."""
    try:
        return validate_id_number(id_type.value, id_number or "", allow_first_generation=True)
    except IdNumberError as error:
        raise DomainError(_l(str(error)), field="id_number") from error


def find_person(id_type: IdType, id_number: str) -> Person | None:
    """The person who logs in with this 证件类型 and (normalised) 证件号码."""
    return db.session.scalar(select(Person).where(Person.id_type == id_type, Person.id_number == id_number))


def _same_name(typed: str, stored: str | None) -> bool:
    def fold(text: str | None) -> str:
        return "".join(unicodedata.normalize("NFKC", text or "").split())

    return bool(fold(typed)) and fold(typed) == fold(stored)


# --- 设置密码 --------------------------------------------------------------------------------------------------

def verify_identity(kind: str, name: str, id_type: IdType, id_number: str) -> IdentityMatch:
    """Step 1 of 设置密码: find the registration record (holder) or exam record (passer) of this name and ID.

    Raises IdentityNotFound with the guide's message, or PasswordAlreadySet. Reads only.
    """
    number = normalise_id_number(id_type, id_number)
    person = find_person(id_type, number)
    if person is not None and _same_name(name, person.name) and person.password_hash:
        raise PasswordAlreadySet()
    if kind == HOLDER:
        if person is None or not _same_name(name, person.name) or not person.certificates:
            raise IdentityNotFound(HOLDER)
        return IdentityMatch(person_id=person.id)
    exams = db.session.scalars(select(ExamRecord).where(ExamRecord.id_type == id_type,
                                                        ExamRecord.id_number == number)).all()
    exam = next((record_ for record_ in exams if _same_name(name, record_.name)), None)
    if exam is None:
        raise IdentityNotFound(PASSER)
    if person is not None and _same_name(name, person.name):
        return IdentityMatch(person_id=person.id)
    return IdentityMatch(exam_record_id=exam.id)


def issue_identity_ticket(match: IdentityMatch, secret: str) -> str:
    """A signed, time-stamped value naming the verified person (kept in the server-signed session)."""
    payload = {"person": match.person_id} if match.person_id else {"exam": match.exam_record_id}
    return URLSafeTimedSerializer(secret, salt=_TICKET_SALT).dumps(payload)


def read_identity_ticket(ticket: str | None, secret: str, max_age: int = IDENTITY_TICKET_SECONDS) -> IdentityMatch:
    """The identity a ticket names; DomainError when it is missing, forged or older than ``max_age`` seconds."""
    expired = DomainError(_l("身份验证已过期，请重新进行身份验证。"))
    if not ticket:
        raise expired
    try:
        payload = URLSafeTimedSerializer(secret, salt=_TICKET_SALT).loads(ticket, max_age=max_age)
    except (SignatureExpired, BadSignature) as error:
        raise expired from error
    if not isinstance(payload, dict):
        raise expired
    return IdentityMatch(person_id=payload.get("person"), exam_record_id=payload.get("exam"))


def describe_match(match: IdentityMatch) -> tuple[str, str]:
    """(name, masked ID) of a verified identity, shown on step 2 so the person sees whose password it is."""
    if match.person_id:
        person = db.session.get(Person, match.person_id)
        if person is not None:
            return person.name, person.masked_id_number
    exam = db.session.get(ExamRecord, match.exam_record_id) if match.exam_record_id else None
    if exam is None:
        raise DomainError(_l("身份验证已过期，请重新进行身份验证。"))
    return exam.name, mask_id_number(exam.id_number)


def personal_words(holder: Person | ExamRecord) -> PersonalWords:
    """What the password of this person (or exam passer) must not contain: ID number, birth date, name, pinyin."""
    birth_dates = [getattr(holder, "birth_date", None)]
    if holder.id_type is IdType.RESIDENT_ID:
        with suppress(IdNumberError):  # an imported number the validators refuse: the stored birth date counts
            birth_dates.append(birth_date_from_id(holder.id_number))
    return applicant_words(holder.name, holder.id_number, birth_dates)


def _check_new_password(password: str, confirm: str, personal: PersonalWords) -> None:
    try:
        check_password_strength(password, personal)
    except WeakPasswordError as error:
        raise DomainError(_l(str(error)), field="password") from error
    if password != confirm:
        raise DomainError(_l("两次输入的密码不一致。"), field="confirm")


def _person_from_exam(exam: ExamRecord) -> Person:
    """The account of an exam passer who sets a password for the first time, made from the exam record."""
    person = Person(name=exam.name, id_type=exam.id_type, id_number=exam.id_number, category=exam.category)
    if exam.id_type is IdType.RESIDENT_ID:
        try:
            person.birth_date = birth_date_from_id(exam.id_number)
            person.gender = gender_from_id(exam.id_number)
        except IdNumberError:
            pass  # an imported number the validators refuse: the person fills these in later
    return person


def set_initial_password(match: IdentityMatch, password: str, confirm: str, now: datetime,
                         ip: str | None = None) -> Person:
    """Step 2 of 设置密码: give the verified person (created from the exam record if needed) a password."""
    person = db.session.get(Person, match.person_id) if match.person_id else None
    exam = db.session.get(ExamRecord, match.exam_record_id) if person is None and match.exam_record_id else None
    if person is None and exam is None:
        raise DomainError(_l("身份验证已过期，请重新进行身份验证。"))
    _check_new_password(password, confirm, personal_words(person or exam))
    if person is None:
        person = find_person(exam.id_type, exam.id_number)
        if person is None:
            person = _person_from_exam(exam)
            try:
                with db.session.begin_nested():
                    db.session.add(person)
            except IntegrityError as error:  # the same person, set up at this very moment in another tab
                raise PasswordAlreadySet() from error
    if person.password_hash:
        raise PasswordAlreadySet()
    person.password_hash = hash_password(password)
    person.password_changed_at = now
    person.must_change_password = False
    void_reset_links(person, now)
    db.session.flush()
    record("account.set_password", f"{person.name}（{person.masked_id_number}）设置登录密码", person=person,
           target=person, body_id=person.body_id, ip=ip)
    return person


# --- passwords of a logged-in person ---------------------------------------------------------------------------

def change_password(person: Person, current: str, password: str, confirm: str, now: datetime,
                    ip: str | None = None) -> str:
    """修改密码 (and the forced change of a temporary password): returns the new session token of this browser.

    Any other session of the account ends (its token no longer matches), and so does every 忘记密码 link.
    """
    if not verify_password(person.password_hash, current):
        raise DomainError(_l("当前密码不正确。"), field="current_password")
    _check_new_password(password, confirm, personal_words(person))
    if password == current:
        raise DomainError(_l("新密码不能与当前密码相同。"), field="password")
    was_temporary = person.must_change_password
    person.password_hash = hash_password(password)
    person.password_changed_at = now
    person.must_change_password = False
    void_reset_links(person, now)
    end_session(person)
    token = start_session(person, now)
    record("account.change_password",
           f"{person.name}（{person.masked_id_number}）{'修改临时密码' if was_temporary else '修改登录密码'}",
           person=person, target=person, body_id=person.body_id, ip=ip)
    mail_password_changed(person, now, "更换临时密码" if was_temporary else "修改密码")
    return token


# --- 忘记密码 --------------------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def request_password_reset(name: str, id_type: IdType, id_number: str, email: str, now: datetime,
                           valid_for: timedelta, ip: str | None = None):
    """忘记密码: when name, ID and email all match the registration records, make a single-use link token.

    Returns (person, token) to mail; NoEmailOnFile when the person has no email (they contact their body);
    None otherwise — the page then answers exactly as for a match, so nobody learns whose email is on file.
    """
    number = normalise_id_number(id_type, id_number)
    person = find_person(id_type, number)
    if person is None or not _same_name(name, person.name):
        return None
    if not person.email:
        return NoEmailOnFile(person.body)
    if person.email.strip().lower() != (email or "").strip().lower():
        return None
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.person_id == person.id,
                                                        PasswordResetToken.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(person_id=person.id, token_hash=_token_hash(token),
                                      expires_at=now + valid_for, created_at=now))
    db.session.flush()
    record("account.reset_requested", f"{person.name}（{person.masked_id_number}）申请通过邮件找回密码",
           person=person, target=person, body_id=person.body_id, ip=ip)
    return person, token


def void_reset_links(person: Person, now: datetime) -> None:
    """Every outstanding 忘记密码 link of the person stops working (marked used now): any password change does this."""
    db.session.execute(update(PasswordResetToken)
                       .where(PasswordResetToken.person_id == person.id, PasswordResetToken.used_at.is_(None))
                       .values(used_at=now))


def find_reset_token(token: str | None, now: datetime) -> PasswordResetToken:
    """The unused, unexpired reset link ``token`` names; ResetLinkInvalid otherwise."""
    row = db.session.scalar(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _token_hash(token or "")))
    if row is None or row.used_at is not None or row.expires_at < now:
        raise ResetLinkInvalid(_l("找回密码链接无效、已使用或已过期，请重新申请。"))
    return row


def reset_password(token: str, password: str, confirm: str, now: datetime, ip: str | None = None) -> Person:
    """Set a new password through a 忘记密码 link: this link and any other are used up, any live session ends."""
    row = find_reset_token(token, now)
    person = db.session.get(Person, row.person_id)
    _check_new_password(password, confirm, personal_words(person))
    void_reset_links(person, now)
    person.password_hash = hash_password(password)
    person.password_changed_at = now
    person.must_change_password = False
    person.failed_logins = 0
    person.locked_until = None
    end_session(person)
    db.session.flush()
    record("account.reset_password", f"{person.name}（{person.masked_id_number}）通过邮件链接重设密码",
           person=person, target=person, body_id=person.body_id, ip=ip)
    mail_password_changed(person, now, "通过找回密码链接")
    return person


# --- 首次登录补全信息 ------------------------------------------------------------------------------------------

def complete_profile(person: Person, category: Category, employer_kind: EmployerKind, email: str | None,
                     mobile: str | None, ip: str | None = None) -> None:
    """Fill in 注册类别, 单位属性 and contact details, so the person can use the applicant pages."""
    if category is None:
        raise DomainError(_l("请选择注册类别。"), field="category")
    if employer_kind is None:
        raise DomainError(_l("请选择单位属性。"), field="employer_kind")
    person.category = category
    person.employer_kind = employer_kind
    person.email = (email or "").strip() or person.email
    person.mobile = (mobile or "").strip() or person.mobile
    db.session.flush()
    record("account.complete_profile", f"{person.name}（{person.masked_id_number}）补全注册类别和单位属性",
           person=person, target=person, body_id=person.body_id, ip=ip,
           data={"category": category.value, "employer_kind": employer_kind.value})


# --- 更新身份证号 ----------------------------------------------------------------------------------------------

def upgrade_id_number(person: Person, new_number: str, ip: str | None = None) -> str:
    """Replace a 15-digit first-generation ID by the same person's 18-digit one; returns the new number.

    Afterwards only the new number logs in. NotSamePerson when the numbers do not belong together (the person
    must then follow the identity-correction procedure, guide 七.3).
    """
    if not person.has_first_generation_id:
        raise DomainError(_l("只有使用15位一代身份证号码的用户需要更新身份证号。"))
    try:
        number = validate_resident_id(new_number or "")
    except IdNumberError as error:
        raise DomainError(_l(str(error)), field="new_id_number") from error
    if not is_same_person(person.id_number, number):
        raise NotSamePerson(_l("新身份证号码与您原来的15位身份证号码不属于同一人（地址码、出生日期或顺序码不一致）。"),
                            field="new_id_number")
    other = find_person(IdType.RESIDENT_ID, number)
    if other is not None and other.id != person.id:
        raise DomainError(_l("该身份证号码已被其他注册人员使用，请与注册管理中心联系。"), field="new_id_number")
    old = person.id_number
    person.id_number = number
    person.birth_date = person.birth_date or birth_date_from_id(number)
    db.session.flush()
    record("account.upgrade_id", f"{person.name} 将身份证号码 {mask_id_number(old)} 更新为 {mask_id_number(number)}",
           person=person, target=person, body_id=person.body_id, ip=ip, data={"old": old, "new": number})
    notify(person, "id_upgraded", N_("您的身份证号码已由15位更新为18位（%(number)s），今后请使用新号码登录。"),
           number=mask_id_number(number))
    return number
