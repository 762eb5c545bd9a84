"""Working-day calendar entries kept by central staff: days the ``chinesecalendar`` package does not know yet (the
next year, once the State Council publishes it) or where the registry must differ from it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TimestampMixin


class CalendarDay(TimestampMixin, db.Model):
    """One day declared a holiday (休息日) or a working day (工作日, e.g. a 调休 Saturday). A year the package does
    not cover counts as known once it holds at least one row; its other days follow Monday–Friday."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(default=False)
    #: what the day is, as published: 春节, 国庆节, 春节调休上班 …
    name: Mapped[str] = mapped_column(sa.String(50))

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"
