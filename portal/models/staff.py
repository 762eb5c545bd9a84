"""Console accounts: reviewers of one registration body, and central staff."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import TimestampMixin, UTCDateTime
from .codes import enum_column

#: StaffRole's labels, made once (not on every ``label``; issue 10)
_STAFF_ROLE_LABELS = {"reviewer": _l("注册机构审核人员"), "central": _l("注册管理中心")}


class StaffRole(enum.StrEnum):
    REVIEWER = "reviewer"
    CENTRAL = "central"

    @property
    def label(self):
        return _STAFF_ROLE_LABELS[self.value]


class Staff(TimestampMixin, db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))
    #: the reviewer's body; the center (000000) for central staff
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    body = relationship("Body", lazy="joined")

    @property
    def is_central(self) -> bool:
        return self.role is StaffRole.CENTRAL

    # Flask-Login
    is_anonymous = False
    is_authenticated = True
    is_staff = True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"s:{self.id}:{self.session_token}"

    def __str__(self) -> str:
        return f"{self.name}（{self.username}）"
