"""The daily deadline digest: each registration body's contact address (``Body.email``) gets, once a day, the
applications of its 初审 that are near (5 working days or fewer) or over their statutory limit; the management
center's address gets the 审批 ones of every body. The limits are those of ``portal/services/review/deadlines.py``.

Once a day per body: the message's Message-ID is made from the body's code and the registry's day, and the
outbox's Message-ID is unique, so a second run on the same day (or a run on another host) writes nothing. The
scheduler runs it every hour in office hours (``portal/jobs.py``): the first run of the day sends it, a missed
hour is caught up by the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import clock
from ...extensions import db
from ...models import Application, ApplicationStatus, Body, BodyKind, OutboxMessage
from ..infrastructure.mail import DEFAULT_SENDER, sender_domain
from ..infrastructure.outbox import queue_mail
from ..review.deadlines import Urgency, urgent_applications
from .events import portal_url

S = ApplicationStatus
#: the most applications listed per urgency (the console has the rest, filtered by 期限)
LISTED = 30


@dataclass
class DigestRun:
    day: date
    mailed: int = 0
    already: int = 0


def digest_message_id(body: Body, day: date) -> str:
    domain = sender_domain(str(current_app.config.get("MAIL_SENDER") or DEFAULT_SENDER))
    return f"<deadline-digest.{body.code}.{day:%Y%m%d}@{domain}>"


def run_digest(day: date | None = None) -> DigestRun:
    """Write today's digest for every body with a contact address and something near or over its limit."""
    day = day or clock.today()
    run = DigestRun(day)
    bodies = db.session.scalars(select(Body).where(Body.email.is_not(None), Body.email != "")
                                .order_by(Body.sort_order, Body.code)).all()
    for body in bodies:
        message_id = digest_message_id(body, day)
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == message_id)):
            run.already += 1
            continue
        if body.kind is BodyKind.CENTRAL:
            statuses, scope = (S.INITIAL_PASSED,), (lambda query: query)
        else:
            statuses, scope = (S.SUBMITTED,), (lambda query, body_id=body.id: query.where(
                Application.body_id == body_id))
        listed = {urgency: urgent_applications(scope, urgency, statuses, limit=LISTED, today=day)
                  for urgency in (Urgency.OVERDUE, Urgency.SOON)}
        if not any(listed.values()):
            continue
        items = {urgency.value: [{"number": application.number, "name": application.person.name,
                                  "step": str(row.label), "due": f"{row.due:%Y-%m-%d}", "remaining": row.remaining}
                                 for application, row in rows] for urgency, rows in listed.items()}
        try:
            queue_mail(body.email, "deadline_digest",
                                 {"body_name": body.name, "day": f"{day:%Y年%m月%d日}", "overdue": items["overdue"],
                                  "soon": items["soon"], "listed": LISTED, "console_url": portal_url() + "reviewer/",
                                  "portal_url": portal_url()}, message_id=message_id)
            db.session.commit()
            run.mailed += 1
        except IntegrityError:  # another run wrote it a moment ago
            db.session.rollback()
            run.already += 1
    current_app.logger.info("Deadline digest for %s: %d mailed, %d already sent", day, run.mailed, run.already)
    return run
