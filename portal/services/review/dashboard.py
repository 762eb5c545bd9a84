"""The console's home page in figures: counts by status, the age of the queue in working days, what is overdue or
nearly so, by body for central staff, and the renewals nearing their expiry undecided.

Everything is a handful of grouped queries: ages are counted per (body, day the step began) in SQL, then each day
is turned into working days with the cached calendar — a few hundred calendar lookups, whatever the number of
applications.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import clock
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, ApplicationStatus, Body, Certificate, Staff
from ..infrastructure import workdays
from . import deadlines
from .queue import pending_counts, scoped

S = ApplicationStatus

#: (label, lowest, highest) working days waited; the last bucket is open-ended
AGE_BUCKETS = ((_l("0–5个工作日"), 0, 5), (_l("6–10个工作日"), 6, 10), (_l("11–15个工作日"), 11, 15),
               (_l("16–20个工作日"), 16, 20), (_l("超过20个工作日"), 21, None))
#: renewals whose certificate expires within this many calendar days, undecided, are listed for central staff
EXPIRY_HORIZON_DAYS = 30
#: the calendar must know the days this far ahead (the longest limit, 20 working days, plus a Spring Festival)
CALENDAR_HORIZON_DAYS = 60
#: urgent items listed on the page
URGENT_ROWS = 10


def local_day(column):
    """SQL: the registry's calendar day of a UTC timestamp column."""
    zone = clock.timezone()
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone.key, column))
    offset = clock.now().utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return func.date(column, f"{hours:+d} hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _queue_statuses(staff: Staff) -> tuple[ApplicationStatus, ...]:
    return (S.SUBMITTED, S.INITIAL_PASSED) if staff.is_central else (S.SUBMITTED,)


def _waits(staff: Staff, status: ApplicationStatus, today: date, calendar) -> dict[int, Counter]:
    """{body_id: Counter(working days waited → applications)} of the queue ``status``."""
    column = deadlines.STAGE_COLUMNS[status]
    day = local_day(column)
    query = scoped(select(Application.body_id, day, func.count()), Application, staff).where(
        Application.status == status, column.is_not(None)).group_by(Application.body_id, day)
    result: dict[int, Counter] = defaultdict(Counter)
    for body_id, started, count in db.session.execute(query):
        started = _as_date(started)
        waited = max(0, calendar.between(calendar.add(started, 0), today)) if today >= started else 0
        result[body_id][waited] += count
    return result


def _histogram(waits: Counter) -> list[int]:
    values = []
    for _label, low, high in AGE_BUCKETS:
        values.append(sum(n for days, n in waits.items() if days >= low and (high is None or days <= high)))
    return values


def build(staff: Staff, today: date | None = None) -> dict:
    """The dashboard of ``staff`` (a body's reviewer, or central staff across every body).

    The counts over every application (by status, by urgency, the ages, per body, the expiring renewals' number and
    the numbers of the home page's cards) take 0.5–1 s of SQL at national scale (200,000 applications): they are
    computed at most once per ``DASHBOARD_CACHE_SECONDS`` (60) per scope and day in each process, and the page says
    when (``figures_at``). The lists of urgent applications and expiring renewals are always read afresh (a few
    small index-served queries)."""
    today = today or clock.today()
    calendar = workdays.current()
    figures = _cached_figures(staff, today, calendar)
    statuses = _queue_statuses(staff)  # a body's dashboard: its 初审 queue only

    def in_scope(query):
        return scoped(query, Application, staff)

    labels = [str(label) for label, _low, _high in AGE_BUCKETS]
    data = {
        "today": today,
        "calendar_missing": calendar.missing_years(today, today + timedelta(days=CALENDAR_HORIZON_DAYS)),
        "counts": figures["counts"],
        "by_status": figures["by_status"],
        "urgency": figures["urgency"],
        "queue_size": figures["queue_size"],
        "age": {"labels": labels, "values": figures["age"]},
        "overdue_items": deadlines.urgent_applications(in_scope, deadlines.Urgency.OVERDUE, statuses, URGENT_ROWS,
                                                       today),
        "soon_items": deadlines.urgent_applications(in_scope, deadlines.Urgency.SOON, statuses, URGENT_ROWS, today),
        "calendar": calendar,
        "figures_at": figures["at"],
        "cache_seconds": _cache_seconds(),
    }
    if staff.is_central:
        data["center_age"] = {"labels": labels, "values": figures["center_age"]}
        data["bodies"] = figures["bodies"]
        data["expiring"] = _expiring(staff, today, figures["expiring_count"])
    return data


def _cache_seconds() -> float:
    return float(current_app.config.get("DASHBOARD_CACHE_SECONDS", 60) or 0)


def _cached_figures(staff: Staff, today: date, calendar) -> dict:
    """``_figures`` of this staff member's scope, from this app's cache while it is fresh: the same scope (every
    body, or one), the same day and the same working calendar, computed less than ``DASHBOARD_CACHE_SECONDS`` ago."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return _figures(staff, today, calendar)
    cache = current_app.extensions.setdefault("dashboard_figures", {})
    key = (staff.is_central, None if staff.is_central else staff.body_id, today)
    now = clock.utcnow()
    entry = cache.get(key)
    if entry is not None and entry["calendar"] is calendar and now - entry["at"] < timedelta(seconds=seconds):
        return entry
    entry = _figures(staff, today, calendar)
    cache[key] = entry
    return entry


def _figures(staff: Staff, today: date, calendar) -> dict:
    """The counts of the dashboard over every application in ``staff``'s scope: plain numbers and names (nothing
    tied to a database session or a language, so they may be kept between requests)."""
    status_rows = db.session.execute(
        scoped(select(Application.status, func.count()), Application, staff)
        .where(Application.submitted_at.is_not(None)).group_by(Application.status))
    by_status = {status: 0 for status in S if status is not S.DRAFT}
    for status, count in status_rows:
        by_status[status] = count

    statuses = _queue_statuses(staff)

    def in_scope(query):
        return scoped(query, Application, staff)

    counts = deadlines.urgency_counts_by_status(in_scope, today, statuses)
    urgency = {level: sum(c[level] for c in counts.values()) for level in ("soon", "overdue")}
    initial = {body_id: c for (body_id, status), c in counts.items() if status is S.SUBMITTED}

    waits = {status: _waits(staff, status, today, calendar) for status in statuses}
    waits_all: Counter = Counter()
    for by_body in waits.values():
        for body_waits in by_body.values():
            waits_all.update(body_waits)
    center_waits = Counter()
    for body_waits in waits.get(S.INITIAL_PASSED, {}).values():
        center_waits.update(body_waits)

    figures = {
        "at": clock.utcnow(),
        "calendar": calendar,
        "counts": pending_counts(staff),
        "by_status": by_status,
        "urgency": urgency,
        "queue_size": sum(waits_all.values()),
        "age": _histogram(waits_all),
    }
    if staff.is_central:
        figures["center_age"] = _histogram(center_waits)
        figures["bodies"] = _by_body(waits[S.SUBMITTED], initial)
        figures["expiring_count"] = _expiring_count(staff, today)
    return figures


def _by_body(waits_by_body: dict[int, Counter], urgency: dict[int, dict[str, int]]) -> list[dict]:
    """One row per body with a 初审 queue: size, overdue, nearly due, the longest wait; most overdue first."""
    names = dict(db.session.execute(select(Body.id, Body.name)).all())
    codes = dict(db.session.execute(select(Body.id, Body.code)).all())
    rows = []
    for body_id, waits in waits_by_body.items():
        counts = urgency.get(body_id, {"soon": 0, "overdue": 0})
        rows.append({"body_id": body_id, "code": codes.get(body_id), "name": names.get(body_id, "—"),
                     "queue": sum(waits.values()), "overdue": counts["overdue"], "soon": counts["soon"],
                     "longest": max(waits) if waits else 0})
    rows.sort(key=lambda row: (-row["overdue"], -row["soon"], -row["longest"], row["name"]))
    return rows


def _expiring_condition(today: date):
    horizon = today + timedelta(days=EXPIRY_HORIZON_DAYS)
    return horizon, (Application.kind == ApplicationKind.RENEWAL,
                     Application.status.in_([S.SUBMITTED, S.INITIAL_PASSED]), Certificate.valid_until <= horizon)


def _expiring_count(staff: Staff, today: date) -> int:
    _horizon, condition = _expiring_condition(today)
    return db.session.scalar(scoped(
        select(func.count()).select_from(Application).join(Certificate, Certificate.id == Application.certificate_id),
        Application, staff).where(*condition)) or 0


def _expiring(staff: Staff, today: date, count: int) -> dict:
    """Open renewals whose certificate expires within ``EXPIRY_HORIZON_DAYS`` (or already has): undecided by
    then, they count as granted (§13). ``count``: how many (``_expiring_count``); the first 20 are read here."""
    horizon, condition = _expiring_condition(today)
    base = scoped(select(Application).join(Certificate, Certificate.id == Application.certificate_id),
                  Application, staff).where(*condition)
    items = db.session.scalars(base.options(joinedload(Application.person), joinedload(Application.body),
                                            joinedload(Application.certificate))
                               .order_by(Certificate.valid_until, Application.id).limit(20)).all()
    return {"count": count, "items": items, "horizon": horizon}


def chart_json(data: dict) -> dict:
    """What the page's charts draw (``/reviewer/dashboard.json``); the same figures as its tables."""
    charts = {"age": {"title": str(_l("待办申请的等待时间（工作日）")), "labels": data["age"]["labels"],
                      "values": data["age"]["values"],
                      "classes": ["", "", "", "soon", "overdue"]}}
    if "bodies" in data:
        rows = data["bodies"]
        charts["bodies"] = {"title": str(_l("各注册机构待初审申请")), "labels": [row["name"] for row in rows],
                            "values": [row["queue"] for row in rows],
                            "classes": ["overdue" if row["overdue"] else "soon" if row["soon"] else "" for row in rows]}
    return {"today": data["today"].isoformat(), "urgency": data["urgency"], "charts": charts}
