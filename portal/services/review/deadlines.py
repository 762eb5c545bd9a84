"""Statutory time limits of an application (注册安全工程师管理规定 §10, §13; working days as in 行政许可法 §82).

| step | limit | counted from |
|---|---|---|
| 补正告知 (list everything missing, in one notice) | 5 working days | the latest 上报 / 重新上报 |
| 初审 opinion to the center | 20 working days | acceptance: the latest 上报 (a silent body has accepted) |
| 审批 by the center | 20 working days | 初审通过 |
| 发证 (certificate and 公告) | 10 working days | 准予 |
| 延续注册 decided | before the certificate expires (else deemed granted, §13) | — |

An event on a rest day counts from the next working day. A 退回 ends the cycle: the 重新上报 starts the 补正 and
初审 limits again (the time the applicant spends correcting is not the body's).

Two ways in, which agree:

- ``deadlines_for(application)``: every limit of one application from its events (detail pages, mails);
- ``row_deadline(...)``: the current step's limit from a list row's own columns (``status``, ``submitted_at``,
  ``decided_at``, the certificate's ``valid_until``) with the cached calendar — no query per row, so a page of
  the queue or a dashboard over 200,000 applications costs microseconds a row.

``urgency_condition`` turns 「即将超期」/「已超期」 into SQL over those columns (date thresholds computed once from the
calendar), and ``near_or_over_by_body`` counts them per registration body (the console's dashboard, a daily digest).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import joinedload

from ... import clock
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, ApplicationStatus, Certificate
from ..infrastructure import workdays
from ..infrastructure.workdays import WorkCalendar

S = ApplicationStatus

#: working days per step
LIMITS = {"correction_notice": 5, "initial_review": 20, "approval": 20, "certificate": 10}
#: amber from this many remaining working days down
SOON = 5
#: the statuses whose current step runs against a limit, and the column its clock starts from
STAGE_COLUMNS = {S.SUBMITTED: Application.submitted_at, S.INITIAL_PASSED: Application.decided_at}
STAGE_STEPS = {S.SUBMITTED: "initial_review", S.INITIAL_PASSED: "approval"}

STEP_LABELS = {
    "correction_notice": _l("补正告知"),
    "initial_review": _l("初审"),
    "approval": _l("审批"),
    "certificate": _l("发证"),
    "renewal_expiry": _l("延续注册决定（执业证到期）"),
}


class State(enum.StrEnum):
    DONE = "done"  #: met: the step happened on time
    LATE = "late"  #: the step happened, after its limit
    OK = "ok"
    SOON = "soon"  #: 5 working days or fewer remain
    OVERDUE = "overdue"

    @property
    def label(self):
        return {"done": _l("已按期完成"), "late": _l("逾期完成"), "ok": _l("未到期"), "soon": _l("即将超期"),
                "overdue": _l("已超期")}[self.value]


@dataclass(frozen=True)
class Deadline:
    step: str
    starts: date | None  #: the day of the event the limit counts from (None: the certificate's expiry)
    due: date  #: the last day
    done_on: date | None  #: the day the step happened, if it did
    remaining: int  #: working days from today to ``due`` (0 on the day itself; negative: overdue by that many)
    state: State

    @property
    def label(self):
        return STEP_LABELS[self.step]

    @property
    def limit(self) -> int | None:
        return LIMITS.get(self.step)


def _state(calendar: WorkCalendar, due: date, done_on: date | None, today: date) -> tuple[int, State]:
    if done_on is not None:
        return calendar.between(done_on, due), State.DONE if done_on <= due else State.LATE
    if today > due:
        return -calendar.between(due, today), State.OVERDUE
    remaining = calendar.between(today, due)
    return remaining, State.SOON if remaining <= SOON else State.OK


def _deadline(calendar, step, starts, due, done_on, today) -> Deadline:
    remaining, state = _state(calendar, due, done_on, today)
    return Deadline(step, starts, due, done_on, remaining, state)


def deadlines_for(application: Application, today: date | None = None,
                  calendar: WorkCalendar | None = None) -> list[Deadline]:
    """The limits of ``application``'s latest cycle, in order, from its events (one query: its events)."""
    calendar = calendar or workdays.current()
    today = today or clock.today()
    events = list(application.events)
    result: list[Deadline] = []
    submits = [i for i, event in enumerate(events) if event.action in ("submit", "resubmit")]
    if submits:
        start = submits[-1]
        submitted = clock.local_date(events[start].created_at)
        later = events[start + 1:]

        def first(*actions):
            return next((clock.local_date(e.created_at) for e in later if e.action in actions), None)

        notice_due = calendar.add(submitted, LIMITS["correction_notice"])
        decided = first("return", "initial_pass", "initial_reject", "withdraw")
        returned = first("return")
        # a 退回 within the limit is the 补正 notice; any other decision means nothing was missing
        result.append(_deadline(calendar, "correction_notice", submitted, notice_due,
                                returned or decided, today))
        if first("return") is None:
            result.append(_deadline(calendar, "initial_review", submitted,
                                    calendar.add(submitted, LIMITS["initial_review"]), decided, today))
        passed = first("initial_pass")
        if passed is not None:
            result.append(_deadline(calendar, "approval", passed, calendar.add(passed, LIMITS["approval"]),
                                    first("approve", "refuse"), today))
        approved = first("approve")
        if approved is not None:
            # the certificate's validity is extended by 准予 itself (the e-certificate follows it at once)
            result.append(_deadline(calendar, "certificate", approved,
                                    calendar.add(approved, LIMITS["certificate"]), approved, today))
    expiry = renewal_expiry(application)
    if expiry is not None:
        decided_on = next((clock.local_date(e.created_at) for e in events
                           if e.action in ("approve", "refuse", "initial_reject", "withdraw")), None)
        if application.status in STAGE_COLUMNS or decided_on is not None:
            result.append(_deadline(calendar, "renewal_expiry", None, expiry, decided_on, today))
    return result


def renewal_expiry(application: Application) -> date | None:
    """The day a renewal must be decided by: the renewed certificate's expiry (§13: undecided by then, the
    renewal counts as granted). After 准予 the certificate's new period starts on the old expiry day."""
    certificate = application.certificate
    if application.kind is not ApplicationKind.RENEWAL or certificate is None:
        return None
    return certificate.valid_from if application.status is S.APPROVED else certificate.valid_until


# --- the fast path: a list row's current limit --------------------------------------------------------------


@dataclass(frozen=True)
class RowDeadline:
    """What the queue shows for one row: the current step, days waited, the nearest limit."""

    step: str  #: the limit that comes first (the stage's, or the renewal's expiry)
    waited: int  #: working days since the current step began
    due: date
    remaining: int  #: negative: overdue by that many working days
    state: State

    @property
    def label(self):
        return STEP_LABELS[self.step]


def row_deadline(status: ApplicationStatus, submitted_at: datetime | None, decided_at: datetime | None,
                 kind: ApplicationKind | None = None, valid_until: date | None = None, *,
                 today: date | None = None, calendar: WorkCalendar | None = None) -> RowDeadline | None:
    """The current limit of a row in the queue (None when no limit runs: drafts, decided applications)."""
    started_at = {S.SUBMITTED: submitted_at, S.INITIAL_PASSED: decided_at}.get(status)
    if started_at is None:
        return None
    calendar = calendar or workdays.current()
    today = today or clock.today()
    started = clock.local_date(started_at)
    step = STAGE_STEPS[status]
    due = calendar.add(started, LIMITS[step])
    if kind is ApplicationKind.RENEWAL and valid_until is not None and valid_until < due:
        step, due = "renewal_expiry", valid_until
    remaining, state = _state(calendar, due, None, today)
    waited = max(0, calendar.between(calendar.add(started, 0), today)) if today >= started else 0
    return RowDeadline(step, waited, due, remaining, state)


def application_row_deadline(application: Application, today: date | None = None,
                             calendar: WorkCalendar | None = None) -> RowDeadline | None:
    """``row_deadline`` of a loaded application (its certificate loaded with it in lists)."""
    certificate = application.certificate
    return row_deadline(application.status, application.submitted_at, application.decided_at, application.kind,
                        certificate.valid_until if certificate is not None else None, today=today,
                        calendar=calendar)


# --- the same in SQL: 即将超期 / 已超期 ---------------------------------------------------------------------


class Urgency(enum.StrEnum):
    SOON = "soon"
    OVERDUE = "overdue"

    @property
    def label(self):
        return {"soon": _l("即将超期"), "overdue": _l("已超期")}[self.value]


def stage_thresholds(today: date, calendar: WorkCalendar, limit: int) -> tuple[date, date]:
    """(first start day not yet overdue, first start day with more than ``SOON`` days left) for a step of
    ``limit`` working days: a step that started before the first is overdue, before the second is at most
    ``SOON`` days from its limit. Both are monotonic in the start day, so a backward walk finds them."""
    def due(start: date) -> date:
        return calendar.add(start, limit)

    not_overdue = today + timedelta(days=1)
    while due(not_overdue - timedelta(days=1)) >= today:
        not_overdue -= timedelta(days=1)
    relaxed = today + timedelta(days=1)
    while calendar.between(today, due(relaxed - timedelta(days=1))) > SOON:
        relaxed -= timedelta(days=1)
    return not_overdue, relaxed


def _expiry_before(day: date, valid_until=None):
    """Renewals whose certificate expires before ``day``: over a joined ``Certificate.valid_until`` when the
    caller joined it (a count over many rows), else a per-row lookup (a list that stops after a page)."""
    if valid_until is not None:
        return and_(Application.kind == ApplicationKind.RENEWAL, valid_until < day)
    return and_(Application.kind == ApplicationKind.RENEWAL,
                exists().where(Certificate.id == Application.certificate_id, Certificate.valid_until < day))


def _expiry_within(first: date, end: date, valid_until=None):
    """Renewals whose certificate expires from ``first`` to before ``end`` (a few days: without a join, the
    certificates of that week, looked up once as a set)."""
    if valid_until is not None:
        return and_(Application.kind == ApplicationKind.RENEWAL, valid_until >= first, valid_until < end)
    week = select(Certificate.id).where(Certificate.valid_until >= first, Certificate.valid_until < end)
    return and_(Application.kind == ApplicationKind.RENEWAL, Application.certificate_id.in_(week))


def _soon_expiry_limit(today: date, calendar: WorkCalendar) -> date:
    """The first expiry day with more than ``SOON`` working days left."""
    day = today
    while calendar.between(today, day) <= SOON:
        day += timedelta(days=1)
    return day


def urgency_conditions(today: date | None = None, calendar: WorkCalendar | None = None, valid_until=None,
                       statuses: tuple[ApplicationStatus, ...] | None = None) -> dict[Urgency, object]:
    """SQL conditions over ``applications``, by urgency: the rows whose current limit is overdue, or 5 or fewer
    working days away (not yet overdue). The stage limits become timestamp thresholds computed once from the
    calendar (a few dozen lookups); ``valid_until``: the joined certificate's column, if the query joins it;
    ``statuses``: the statuses the query is limited to anyway (the 初审 or 审批 queue), which lets a list start
    its index walk at the first row not yet overdue.

    overdue = stage overdue ∨ expiry passed; soon = ¬stage overdue ∧ ¬expiry passed ∧ (stage soon ∨ expiry
    soon), each stage's part a range of its timestamp."""
    calendar = calendar or workdays.current()
    today = today or clock.today()
    statuses = tuple(status for status in (statuses or STAGE_COLUMNS) if status in STAGE_COLUMNS)
    if not statuses:
        return {Urgency.OVERDUE: false(), Urgency.SOON: false()}
    in_stage = Application.status.in_(statuses)
    expiry_passed = and_(in_stage, _expiry_before(today, valid_until))
    expiry_soon = _expiry_within(today, _soon_expiry_limit(today, calendar), valid_until)
    overdue, soon = [], []
    for status in statuses:
        column = STAGE_COLUMNS[status]
        not_overdue, relaxed = stage_thresholds(today, calendar, LIMITS[STAGE_STEPS[status]])
        overdue.append(and_(Application.status == status, column < _day_start(not_overdue)))
        soon.append(and_(Application.status == status, column >= _day_start(not_overdue),
                         or_(column < _day_start(relaxed), expiry_soon)))
    return {Urgency.OVERDUE: or_(*overdue, expiry_passed), Urgency.SOON: and_(or_(*soon), ~expiry_passed)}


def urgency_condition(urgency: Urgency | str, today: date | None = None, calendar: WorkCalendar | None = None,
                      statuses: tuple[ApplicationStatus, ...] | None = None):
    """The condition of one urgency (the queue's 期限 filter, ``queue.queue_select``)."""
    return urgency_conditions(today, calendar, statuses=statuses)[Urgency(urgency)]


def _day_start(day: date) -> datetime:
    """Midnight of a registry day, as an aware instant (stored timestamps are UTC)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=clock.timezone())


def urgency_counts_by_status(query_scope=None, today: date | None = None,
                             statuses: tuple[ApplicationStatus, ...] = tuple(STAGE_COLUMNS)
                             ) -> dict[tuple[int, ApplicationStatus], dict[str, int]]:
    """{(body_id, status): {"soon": n, "overdue": n}} of the applications in ``statuses``, in one pass (the
    certificate joined once, both counts filtered); ``query_scope`` narrows the query (the console's body scope)."""
    calendar = workdays.current()
    today = today or clock.today()
    conditions = urgency_conditions(today, calendar, valid_until=Certificate.valid_until, statuses=statuses)
    query = (select(Application.body_id, Application.status, func.count().filter(conditions[Urgency.OVERDUE]),
                    func.count().filter(conditions[Urgency.SOON]))
             .select_from(Application).outerjoin(Certificate, Certificate.id == Application.certificate_id)
             .where(Application.status.in_(statuses)).group_by(Application.body_id, Application.status))
    if query_scope is not None:
        query = query_scope(query)
    return {(body_id, status): {"soon": soon, "overdue": overdue}
            for body_id, status, overdue, soon in db.session.execute(query) if soon or overdue}


def urgency_counts(query_scope=None, today: date | None = None,
                   statuses: tuple[ApplicationStatus, ...] = tuple(STAGE_COLUMNS)) -> dict[int, dict[str, int]]:
    """{body_id: {"soon": n, "overdue": n}} of the applications in ``statuses`` (see ``urgency_counts_by_status``)."""
    result: dict[int, dict[str, int]] = {}
    for (body_id, _status), counts in urgency_counts_by_status(query_scope, today, statuses).items():
        total = result.setdefault(body_id, {"soon": 0, "overdue": 0})
        total["soon"] += counts["soon"]
        total["overdue"] += counts["overdue"]
    return result


def near_or_over_by_body(today: date | None = None,
                         statuses: tuple[ApplicationStatus, ...] = tuple(STAGE_COLUMNS)) -> dict[int, dict[str, int]]:
    """{body_id: {"soon": n, "overdue": n}} over every body's applications in ``statuses`` (default: both steps
    that run against a limit, 初审 and 审批), for the dashboard and a daily digest; one grouped query."""
    return urgency_counts(None, today, statuses)


def urgent_applications(query_scope, urgency: Urgency | str, statuses: tuple[ApplicationStatus, ...],
                        limit: int = 10, today: date | None = None) -> list[tuple[Application, RowDeadline]]:
    """The ``limit`` most pressing applications of one urgency, nearest limit first, with their row deadlines.

    Small indexed queries instead of one OR over every row: for each status, the oldest by the step's start and
    the renewals by their certificate's expiry; each candidate is then judged by ``row_deadline`` exactly."""
    urgency = Urgency(urgency)
    calendar = workdays.current()
    today = today or clock.today()
    state = State.OVERDUE if urgency is Urgency.OVERDUE else State.SOON
    found: dict[int, Application] = {}
    for status in statuses:
        column = STAGE_COLUMNS[status]
        not_overdue, relaxed = stage_thresholds(today, calendar, LIMITS[STAGE_STEPS[status]])
        by_stage = select(Application).where(Application.status == status, column < _day_start(
            not_overdue if urgency is Urgency.OVERDUE else relaxed))
        if urgency is Urgency.SOON:
            by_stage = by_stage.where(column >= _day_start(not_overdue))
        by_expiry = select(Application).join(Certificate, Certificate.id == Application.certificate_id).where(
            Application.status == status, Application.kind == ApplicationKind.RENEWAL,
            Certificate.valid_until < (today if urgency is Urgency.OVERDUE else _soon_expiry_limit(today, calendar)))
        for query, order in ((by_stage, column), (by_expiry, Certificate.valid_until)):
            query = query_scope(query).options(joinedload(Application.person), joinedload(Application.body),
                                               joinedload(Application.certificate))
            for application in db.session.scalars(query.order_by(order).limit(limit)):
                found[application.id] = application
    rows = [(application, application_row_deadline(application, today, calendar)) for application in found.values()]
    rows = [(application, row) for application, row in rows if row is not None and row.state is state]
    rows.sort(key=lambda pair: (pair[1].remaining, pair[1].due, pair[0].id))
    return rows[:limit]
