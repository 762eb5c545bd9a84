"""The mail outbox and the reminder ledger.

An ``OutboxMessage`` is written in the same transaction as the change it reports, so a change that rolls back
leaves no mail and a committed change always has its mail; the job queue (``portal/jobs.py``) delivers it after the
commit. A ``ReminderSent`` row records that a reminder of one kind was given for one certificate's period, so the
scheduler never gives it twice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import UTCDateTime

#: OutboxState's labels, made once (not on every ``label``; issue 10)
_OUTBOX_STATE_LABELS = {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"),
                        "failed": _l("发送失败")}


class OutboxState(enum.StrEnum):
    PENDING = "pending"  #: waiting to be sent (first try, or a retry after ``next_attempt_at``)
    SENDING = "sending"  #: a worker holds it until ``lease_until``
    SENT = "sent"
    FAILED = "failed"  #: given up: a permanent refusal, or every attempt failed; central staff may 重试

    @property
    def label(self):
        return _OUTBOX_STATE_LABELS[self.value]


class OutboxMessage(db.Model):
    """One mail to one recipient: its template and parameters (rendered when sent), its Message-ID and its fate."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Message-ID header, the same on every attempt (receivers can drop a resend after a crash by it)
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    #: the file under portal/templates/mail/ without ``.txt``
    template: Mapped[str] = mapped_column(sa.String(60))
    params: Mapped[dict] = mapped_column(sa.JSON)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(sa.String(10), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def state_label(self):
        return OutboxState(self.state).label


class ReminderSent(db.Model):
    """Ledger: reminder ``kind`` was given for the certificate's period ending ``valid_until`` (at most once)."""

    __tablename__ = "reminders_sent"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "valid_until", "kind",
                                          name="uq_reminders_sent_certificate_period_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id", ondelete="CASCADE"))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    #: window_open, days_30, days_7
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: the registry's day of the run that gave it
    on_day: Mapped[date] = mapped_column(sa.Date)
    #: the mail, or None when nothing was mailed (no email on file, or a later reminder superseded it)
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
