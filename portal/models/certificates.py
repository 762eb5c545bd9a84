"""Practising certificates (执业证 / 注册证书)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import TimestampMixin, UTCDateTime
from .codes import Category, enum_column

#: the labels of CertificateStatus and CertificateStanding, made once (not on every ``label``; issue 10)
_CERTIFICATE_STATUS_LABELS = {"valid": _l("有效"), "expired": _l("已过期"), "revoked": _l("已注销")}
_CERTIFICATE_STANDING_LABELS = {"valid": _l("有效"), "expiring": _l("即将到期"), "expired": _l("已过期"),
                                "revoked": _l("已注销")}


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self):
        return _CERTIFICATE_STATUS_LABELS[self.value]


class CertificateStanding(enum.StrEnum):
    """The 状态 an applicant is shown for a certificate on a given day (never stored): a stored 有效 certificate
    is 即将到期 inside the renewal window and 已过期 after its expiry day. Every stored status has a member of the
    same value, so a stored status other than 有效 (已注销, 已过期) is shown as it is.
    ``portal.services.accounts.personal_notices.certificate_standing`` decides which applies."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self):
        return _CERTIFICATE_STANDING_LABELS[self.value]


class Certificate(TimestampMixin, db.Model):
    __tablename__ = "certificates"
    __table_args__ = (sa.Index("ix_certificates_person_id_valid_until", "person_id", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: 执业证编号
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    category: Mapped[Category] = mapped_column(enum_column(Category))
    #: the body that registered it
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bodies.id"), index=True)
    #: indexed for the public register's lookup by employer (an exact name)
    employer_name: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[CertificateStatus] = mapped_column(enum_column(CertificateStatus), default=CertificateStatus.VALID)

    person = relationship("Person", back_populates="certificates")
    body = relationship("Body")

    def is_expired(self, today: date) -> bool:
        return self.valid_until < today


class ElectronicCertificate(db.Model):
    """电子注册证书: one issued, signed PDF of a registration (``Certificate``), with the facts as printed on it.

    A new one is issued on every approval that creates or changes the registration; issuing voids the previous one
    (``voided_at``). The public verification page finds it by ``token`` (in the QR code, unguessable) or by
    ``serial`` (printed, typed in by hand) and shows its live standing (see ``portal.services.certificates``).
    """

    __tablename__ = "electronic_certificates"
    __table_args__ = (sa.Index("ix_electronic_certificates_certificate_id_issued_at", "certificate_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id", ondelete="CASCADE"))
    #: 证书编号 as printed, e.g. DZ-7K4M-9QPX-2HTC (random: typing one in shows nothing about the others)
    serial: Mapped[str] = mapped_column(sa.String(24), unique=True)
    #: the QR code's /verify/<token>
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: set when a reissue replaced it (已作废)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the facts printed on it
    name: Mapped[str] = mapped_column(sa.String(50))
    number: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    employer_name: Mapped[str | None] = mapped_column(sa.String(200))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)

    certificate = relationship("Certificate")


class CertificateSequence(db.Model):
    """The last 执业证 number handed out under a prefix (``ZA`` + year + province): one row per prefix, taken with
    an UPDATE … RETURNING so two approvals at once never get the same number."""

    __tablename__ = "certificate_sequences"

    prefix: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
