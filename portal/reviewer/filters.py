"""Console list filters shared by several lists: 注册机构 (central staff only) and 即将超期 / 已超期.

The body filter's choices are the bodies as they are now (central staff edit them, at most 2 s old), filled in
when a list is shown, not when the console is built; reviewers never see it (their lists hold their own body only).
"""

from __future__ import annotations

import re
from collections import OrderedDict

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import select

from ..i18n import lazy_gettext as _l
from ..models import ApplicationStatus, Body
from ..services.infrastructure import kept_bodies
from ..services.review import deadlines

BODY_FILTER_NAME = _l("注册机构")
_CODE = re.compile(r"^[0-9A-Z]{2,12}$")


class BodyFilter(BaseSQLAFilter):
    """Records of one registration body, chosen by its code (``?flt…=210000``)."""

    def __init__(self, column):
        super().__init__(column, BODY_FILTER_NAME, options=[("", "—")])

    def operation(self):
        return _l("等于")

    def validate(self, value) -> bool:
        return bool(_CODE.match(value or ""))

    def apply(self, query, value, alias=None):
        body_id = select(Body.id).where(Body.code == value).scalar_subquery()
        return query.filter(self.get_column(alias) == body_id)


class UrgencyFilter(BaseSQLAFilter):
    """即将超期 (5 working days or fewer left) / 已超期, over the rows' own dates (``deadlines.urgency_condition``)."""

    def __init__(self, column):
        super().__init__(column, _l("期限"), options=[(u.value, u.label) for u in deadlines.Urgency])
        #: set by the list view: the status its other filter limits the list to (None: any)
        self.status_of = lambda: None

    def operation(self):
        return _l("为")

    def validate(self, value) -> bool:
        return value in {u.value for u in deadlines.Urgency}

    def apply(self, query, value, alias=None):
        status = self.status_of()
        statuses = (ApplicationStatus(status),) if status in {s.value for s in deadlines.STAGE_COLUMNS} else None
        return query.filter(deadlines.urgency_condition(value, statuses=statuses))


def body_choices() -> list[tuple[str, str]]:
    """The bodies as (code, name) in their order, as this process keeps them (``kept_bodies``: at most
    ``BODY_CHOICES_SECONDS`` old): a central list page then runs no bodies query (~0.3 ms of CPU, issue 10), and a
    body added or renamed — in the console, by an import, in any process — is in every menu within 2 s. The filter
    looks its code up when it is applied, so a choice missing for those seconds never changes what a list shows."""
    return kept_bodies.kept().choices


def adjust_filter_groups(groups, staff):
    """The filter menu as this staff member sees it: the body filter with today's bodies for central staff,
    without it for reviewers. ``groups`` is left as it is (it is kept from one request to the next)."""
    if not groups:
        return groups
    name = str(BODY_FILTER_NAME)
    if name in groups:
        groups = OrderedDict(groups)
        if staff is None or not staff.is_central:
            del groups[name]
        else:
            choices = body_choices()
            groups[name] = [{**item, "options": choices} for item in groups[name]]
    return groups
