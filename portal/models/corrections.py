"""Identity-correction requests (证件信息更正, guide 七.3), verified by fax."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import TimestampMixin, UTCDateTime
from .codes import enum_column

#: CorrectionStatus's labels, made once (not on every ``label``; issue 10)
_CORRECTION_STATUS_LABELS = {"pending": _l("待审核"), "applied": _l("已更正"), "refused": _l("不予更正")}


class CorrectionStatus(enum.StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    REFUSED = "refused"

    @property
    def label(self):
        return _CORRECTION_STATUS_LABELS[self.value]


class IdentityCorrection(TimestampMixin, db.Model):
    __tablename__ = "identity_corrections"
    __table_args__ = (
        sa.Index("ix_identity_corrections_body_id_status", "body_id", "status"),
        # the console's list: newest first, a body's or all
        sa.Index("ix_identity_corrections_body_id_created_at", "body_id", "created_at"),
        sa.Index("ix_identity_corrections_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: the filing registration body
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id"))
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    #: {"field": {"old": ..., "new": ...}} for name, gender, birth_date, id_type, id_number
    changes: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)
    fax_date: Mapped[date] = mapped_column(sa.Date)
    fax_pages: Mapped[int]
    scan_filename: Mapped[str | None] = mapped_column(sa.String(200))
    scan_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    scan: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    status: Mapped[CorrectionStatus] = mapped_column(enum_column(CorrectionStatus), default=CorrectionStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)

    person = relationship("Person")
    body = relationship("Body")
    filed_by = relationship("Staff", foreign_keys=[filed_by_id])
    decided_by = relationship("Staff", foreign_keys=[decided_by_id])
