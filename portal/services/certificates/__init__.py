"""电子注册证书: issuing, the live standing the verification page shows, downloads, and the public register.

An electronic certificate is issued on every approval that creates or changes a registration (today 准予延续注册;
the other kinds follow the same call), and on a holder's first download of a valid registration that has none yet.
Issuing voids the previous one at once. The PDF is made again on each download from the facts stored with the
certificate (same serial, same content) and signed anew (see ``signing``); nothing is kept on disk.
"""

from __future__ import annotations

import base64
import enum
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import segno
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...clock import local_date
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    ElectronicCertificate,
    Person,
)
from ..documents.pdf import render_pdf
from ..errors import DomainError
from ..infrastructure.audit import record
from .signing import sign_pdf

#: letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L)
SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_SERIAL = re.compile(r"DZ-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
#: the most a lookup by employer shows (an exact employer name; the register is not for browsing)
EMPLOYER_LOOKUP_LIMIT = 100


class Standing(enum.StrEnum):
    """What the verification page says about an electronic certificate today."""

    VALID = "valid"
    CHANGING = "changing"
    EXPIRED = "expired"
    REVOKED = "revoked"
    VOIDED = "voided"

    @property
    def label(self):
        return {"valid": _l("有效"), "changing": _l("变更中"), "expired": _l("已过期"), "revoked": _l("已注销"),
                "voided": _l("已作废")}[self.value]

    @property
    def explanation(self):
        return {"valid": _l("该电子注册证书真实有效。"),
                "changing": _l("持证人正在办理变更注册，变更期间不得执业；准予变更后将签发新的电子证书。"),
                "expired": _l("该证书的注册有效期已届满。"),
                "revoked": _l("该注册已注销，证书不再有效。"),
                "voided": _l("该电子证书已因重新签发而作废，请向持证人索取最新的电子证书。")}[self.value]


class DownloadRefused(DomainError):
    """The registration is not valid (已注销 or 已过期): no electronic certificate is given out."""


def new_serial() -> str:
    groups = ("".join(secrets.choice(SERIAL_ALPHABET) for _ in range(4)) for _ in range(3))
    return "DZ-" + "-".join(groups)


def normalize_serial(text: str) -> str | None:
    """A serial as typed (any case, spaces or no dashes) in its printed form, or None when it cannot be one."""
    letters = re.sub(r"[\s\-－—]", "", (text or "")).upper()
    if letters.startswith("DZ"):
        letters = letters[2:]
    if len(letters) != 12:
        return None
    serial = f"DZ-{letters[:4]}-{letters[4:8]}-{letters[8:]}"
    return serial if _SERIAL.fullmatch(serial) else None


def current(certificate: Certificate) -> ElectronicCertificate | None:
    """The registration's electronic certificate that is not voided (the latest issued)."""
    return db.session.scalars(select(ElectronicCertificate)
                              .where(ElectronicCertificate.certificate_id == certificate.id,
                                     ElectronicCertificate.voided_at.is_(None))
                              .order_by(ElectronicCertificate.issued_at.desc()).limit(1)).first()


def issue(certificate: Certificate, now: datetime, *, staff=None, person=None) -> ElectronicCertificate:
    """Issue an electronic certificate for the registration as it stands now; the previous one is voided. Runs in
    the caller's transaction (the approval that changed the registration), with an audit row."""
    previous = current(certificate)
    if previous is not None:
        previous.voided_at = now
    holder = certificate.person
    issued = ElectronicCertificate(
        certificate_id=certificate.id, serial=new_serial(), token=secrets.token_urlsafe(16), issued_at=now,
        name=holder.name, number=certificate.number, category=certificate.category,
        employer_name=certificate.employer_name or (holder.employer.name if holder.employer else None),
        valid_from=certificate.valid_from, valid_until=certificate.valid_until)
    db.session.add(issued)
    db.session.flush()
    summary = f"签发电子注册证书 {issued.serial}（执业证 {certificate.number}）"
    if previous is not None:
        summary += f"，原证书 {previous.serial} 作废"
    record("certificate.issued", summary, staff=staff, person=None if staff is not None else person, target=issued,
           body_id=certificate.body_id, data={"serial": issued.serial, "voided": previous.serial if previous else None})
    return issued


#: a 变更注册 in these statuses holds the registration 变更中 (上报 and not yet decided)
_CHANGE_PENDING = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.INITIAL_PASSED)


def pending_changes(certificate_ids) -> set[int]:
    """Those of ``certificate_ids`` with a 变更注册 上报 and not yet decided (one query for a whole lookup)."""
    ids = list(certificate_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Application.certificate_id).where(
        Application.certificate_id.in_(ids), Application.kind == ApplicationKind.CHANGE,
        Application.status.in_(_CHANGE_PENDING))))


def registration_standing(certificate: Certificate, today: date, *, changing: bool | None = None) -> Standing:
    """The registration's standing on ``today``: 已注销, 已过期 (stored so, or past its last day), 变更中 (a 变更注册
    is pending: the holder may not practise) or 有效. The one rule behind the verification page, the download and
    the public register. ``changing`` may be given when the caller looked the pending changes up already."""
    if certificate.status is CertificateStatus.REVOKED:
        return Standing.REVOKED
    if certificate.status is CertificateStatus.EXPIRED or certificate.valid_until < today:
        return Standing.EXPIRED
    if changing is None:
        changing = certificate.id in pending_changes([certificate.id])
    return Standing.CHANGING if changing else Standing.VALID


def standing(issued: ElectronicCertificate, today: date) -> Standing:
    """What the verification page says of ``issued``: 已作废 once reissued, else its registration's standing."""
    if issued.voided_at is not None:
        return Standing.VOIDED
    return registration_standing(issued.certificate, today)


def find_by_token(token: str) -> ElectronicCertificate | None:
    if not _TOKEN.fullmatch(token or ""):
        return None
    return db.session.scalars(select(ElectronicCertificate).options(joinedload(ElectronicCertificate.certificate))
                              .where(ElectronicCertificate.token == token)).first()


def find_by_serial(text: str) -> ElectronicCertificate | None:
    serial = normalize_serial(text)
    if serial is None:
        return None
    return db.session.scalars(select(ElectronicCertificate).options(joinedload(ElectronicCertificate.certificate))
                              .where(ElectronicCertificate.serial == serial)).first()


def verification_url(issued: ElectronicCertificate) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/verify/{issued.token}"


def qr_data_uri(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=4)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def document(issued: ElectronicCertificate) -> bytes:
    """The signed A4 PDF of ``issued``."""
    url = verification_url(issued)
    pdf = render_pdf("pdf/certificate.html", certificate=issued, verification_url=url, qr=qr_data_uri(url),
                     issued_on=local_date(issued.issued_at), authority=current_app.config["CERTIFICATE_AUTHORITY"])
    return sign_pdf(pdf)


_REFUSED = {Standing.REVOKED: _l("您的注册已注销，电子注册证书不能再下载。"),
            Standing.EXPIRED: _l("您的注册证书已过期，电子注册证书不能再下载；请办理重新注册。")}


def download(person: Person, now: datetime, *, ip: str | None = None) -> tuple[ElectronicCertificate, bytes]:
    """The holder's current electronic certificate (issued now if the valid registration has none yet) and its
    signed PDF, audit-logged; DownloadRefused with the reason when there is nothing valid to give."""
    certificate = person.current_certificate
    if certificate is None:
        raise DownloadRefused(_l("您尚无注册证书，没有可下载的电子证书。"))
    refusal = _REFUSED.get(registration_standing(certificate, local_date(now)))
    if refusal is not None:
        raise DownloadRefused(refusal)
    issued = current(certificate) or issue(certificate, now, person=person)
    pdf = document(issued)
    record("certificate.downloaded", f"下载电子注册证书 {issued.serial}（执业证 {issued.number}）", person=person,
           target=issued, body_id=person.body_id, ip=ip)
    return issued, pdf


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the public register: never the ID number."""

    name: str
    category: str
    employer: str
    number: str
    valid_from: date
    valid_until: date
    status: str


class _Words:
    """The words of one lookup's answer, translated once each (not once per row)."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def __call__(self, member) -> str:
        if member not in self._cache:
            self._cache[member] = str(member.label)
        return self._cache[member]


def _entries(rows, today: date) -> list[RegisterEntry]:
    words = _Words()
    changing = pending_changes(certificate.id for certificate, _name in rows)
    return [RegisterEntry(name=name, category=words(certificate.category), employer=certificate.employer_name or "",
                          number=certificate.number, valid_from=certificate.valid_from,
                          valid_until=certificate.valid_until,
                          status=words(registration_standing(certificate, today,
                                                             changing=certificate.id in changing)))
            for certificate, name in rows]


def register_by_number(name: str, number: str, today: date) -> list[RegisterEntry]:
    """注册人员查询 by name and 执业证 number, both exact."""
    rows = db.session.execute(select(Certificate, Person.name).join(Person, Person.id == Certificate.person_id)
                              .where(Certificate.number == number.strip().upper(), Person.name == name.strip())).all()
    return _entries(rows, today)


def register_by_employer(employer: str, today: date) -> tuple[list[RegisterEntry], bool]:
    """注册人员查询 by the employer's exact name: its registered people (at most EMPLOYER_LOOKUP_LIMIT) and whether
    there were more."""
    rows = db.session.execute(select(Certificate, Person.name).join(Person, Person.id == Certificate.person_id)
                              .where(Certificate.employer_name == employer.strip())
                              .order_by(Certificate.number).limit(EMPLOYER_LOOKUP_LIMIT + 1)).all()
    return _entries(rows[:EMPLOYER_LOOKUP_LIMIT], today), len(rows) > EMPLOYER_LOOKUP_LIMIT
