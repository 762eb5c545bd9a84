"""Checking the fields of the wizard's forms: trimmed text, required and maximum lengths, date periods.

Each check raises ``DomainError`` naming the form field, so the message is shown beside it.
"""

from __future__ import annotations

from datetime import date

from ...i18n import lazy_gettext as _l
from ..errors import DomainError

#: dates before this are typing mistakes
EARLIEST_DATE = date(1950, 1, 1)


def text(value) -> str:
    """A submitted value as trimmed text ('' when missing)."""
    return value.strip() if isinstance(value, str) else ""


def required(values: dict, name: str, label, max_length: int) -> None:
    if not values[name]:
        raise DomainError(_l("请填写%(label)s。", label=label), field=name)
    optional(values, name, max_length)


def optional(values: dict, name: str, max_length: int) -> None:
    if len(values[name]) > max_length:
        raise DomainError(_l("不能超过%(max)d个字。", max=max_length), field=name)


def period(data: dict, today: date, *, open_end: bool) -> tuple[date, date | None]:
    start, end = data.get("start_date"), data.get("end_date")
    if not isinstance(start, date):
        raise DomainError(_l("请填写开始日期。"), field="start_date")
    if end is None and not open_end:
        raise DomainError(_l("请填写结束日期。"), field="end_date")
    if start < EARLIEST_DATE:
        raise DomainError(_l("开始日期不正确。"), field="start_date")
    if start > today:
        raise DomainError(_l("开始日期不能晚于今天。"), field="start_date")
    if end is not None:
        if end > today:
            raise DomainError(_l("结束日期不能晚于今天。"), field="end_date")
        if end < start:
            raise DomainError(_l("结束日期不能早于开始日期。"), field="end_date")
    return start, end
