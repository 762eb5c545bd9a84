"""The append-only audit log: one row for every reviewer or central action, and for security events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db
from .base import UTCDateTime


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_body_id_created_at", "body_id", "created_at"),
        # the 操作 filter, newest first, over millions of rows (an action done rarely is not looked for by a scan)
        sa.Index("ix_audit_log_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: staff, applicant, system, anonymous
    actor_kind: Mapped[str] = mapped_column(sa.String(12))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    #: username or masked ID number, kept even if the account goes away
    actor_label: Mapped[str] = mapped_column(sa.String(60))
    action: Mapped[str] = mapped_column(sa.String(50), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(30))
    target_id: Mapped[int | None]
    #: the body whose jurisdiction the action falls under
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bodies.id"))
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: structured details (old → new values); ID numbers masked except in identity corrections
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise PermissionError("the audit log is append-only")
