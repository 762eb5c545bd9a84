"""The registry's one clock.

Every "now" and "today" in the portal comes from here. Stored timestamps are UTC (``utcnow``); every rule, page,
number, import, PDF and notice that needs a calendar day reads it in the registry's time zone (``today``), the
setting ``TIMEZONE`` (``PORTAL_TIMEZONE``, default Asia/Shanghai), because certificates expire, faxes are dated and
application numbers roll over on Beijing days, not on the server's. The tests move this clock with time-machine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def timezone() -> ZoneInfo:
    """The registry's time zone: the app's setting, or the default outside an app (CLI helpers, scripts)."""
    name = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return _zone(name)


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC: what every timestamp column stores."""
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant in the registry's time zone."""
    return utcnow().astimezone(timezone())


def today() -> date:
    """Today's date in the registry's time zone."""
    return now().date()


def local(moment: datetime) -> datetime:
    """An aware instant shown in the registry's time zone."""
    return moment.astimezone(timezone())


def local_date(moment: datetime) -> date:
    """The registry's calendar day on which an aware instant falls (a submission at 07:00 Beijing on 1 January is
    in the new year, although it is still 31 December in UTC)."""
    return local(moment).date()
