"""Settings of the review desk kept by central staff: the common missing items a 退回 can tick."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TimestampMixin


class ReturnChecklistItem(TimestampMixin, db.Model):
    """A common missing item (e.g. 申请表未加盖聘用单位公章) offered as a tick box on 退回修改."""

    __tablename__ = "return_checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the item as the applicant reads it
    text: Mapped[str] = mapped_column(sa.String(200), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    #: inactive items are no longer offered (returns that used them keep their text)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.text
