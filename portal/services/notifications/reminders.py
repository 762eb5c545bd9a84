"""Renewal reminders: when the renewal window opens, then 30 and 7 days before expiry, while no application is
submitted — each at most once per certificate and validity period (the ``reminders_sent`` ledger).

The scheduler runs the pass every hour (``portal/jobs.py``; ``flask mail reminders`` by hand): a reminder is due
from its day on, so a missed day is caught up by the next run, and the ledger's unique key keeps two runs — on the
same day, or at the same moment on two hosts — to one mail. After a missed stretch only the most urgent due
reminder is mailed; the earlier ones are recorded as superseded (``outbox_id`` empty), never sent late.
A person without an email on file gets nothing recorded, so the reminder still comes once an email is added;
the personal page shows the same reminder in any case (``personal_notices.certificate_notice``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ... import clock
from ...extensions import db
from ...models import Application, ApplicationStatus, Certificate, CertificateStatus, Person, ReminderSent
from ..infrastructure.dates import add_months
from ..infrastructure.outbox import mail_person
from ..renewal.window import renewal_window_opens
from .events import portal_url

#: in the order they fall due
KINDS = ("window_open", "days_30", "days_7")
#: applications that count as submitted: the applicant has done their part (a draft has not)
SUBMITTED = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.INITIAL_PASSED)
BATCH = 200


@dataclass
class ReminderRun:
    day: date
    considered: int = 0
    mailed: int = 0
    superseded: int = 0


def due_on(valid_until: date, window_months: int) -> dict[str, date]:
    """The day from which each reminder is due."""
    return {"window_open": renewal_window_opens(valid_until, window_months),
            "days_30": valid_until - timedelta(days=30), "days_7": valid_until - timedelta(days=7)}


def run_reminders(day: date | None = None) -> ReminderRun:
    """Give the reminders due on ``day`` (the registry's today) that the ledger does not have yet; commits."""
    day = day or clock.today()
    months = int(current_app.config["RENEWAL_WINDOW_MONTHS"])
    run = ReminderRun(day)
    submitted = exists().where(Application.person_id == Certificate.person_id, Application.status.in_(SUBMITTED))
    horizon = add_months(day, months) + timedelta(days=3)  # window_open's day is within months of expiry
    candidates = db.session.execute(
        select(Certificate.id, Certificate.valid_until)
        .join(Person, Person.id == Certificate.person_id)
        .where(Certificate.status == CertificateStatus.VALID, Certificate.valid_until >= day,
               Certificate.valid_until <= horizon, Person.email.is_not(None), Person.email != "", ~submitted)
        .order_by(Certificate.id)).all()
    db.session.rollback()
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start:start + BATCH]
        try:
            outcome = [_remind(certificate_id, day, months) for certificate_id, _ in batch]
            db.session.commit()
        except IntegrityError:  # another run took some of them at the same moment: one by one, skipping those
            db.session.rollback()
            outcome = []
            for certificate_id, _ in batch:
                try:
                    outcome.append(_remind(certificate_id, day, months))
                    db.session.commit()
                except IntegrityError:
                    db.session.rollback()
        for mailed, superseded in outcome:
            run.considered += 1
            run.mailed += mailed
            run.superseded += superseded
    current_app.logger.info("Renewal reminders for %s: %d mailed, %d superseded, %d certificates looked at",
                            day, run.mailed, run.superseded, run.considered)
    return run


def _remind(certificate_id: int, day: date, months: int) -> tuple[int, int]:
    """Record (and mail the most urgent of) the reminders due for one certificate; (mailed, superseded)."""
    certificate = db.session.get(Certificate, certificate_id)
    until = certificate.valid_until
    due = [kind for kind, since in due_on(until, months).items() if day >= since]
    if not due:
        return 0, 0
    given = set(db.session.scalars(select(ReminderSent.kind).where(
        ReminderSent.certificate_id == certificate.id, ReminderSent.valid_until == until)))
    missing = [kind for kind in due if kind not in given]
    if not missing:
        return 0, 0
    person = certificate.person
    mailed = superseded = 0
    for kind in missing:
        message = None
        if kind == due[-1]:
            message = mail_person(person, f"reminder_{kind}", certificate_number=certificate.number,
                                  until=f"{until:%Y年%m月%d日}",
                                  opens=f"{renewal_window_opens(until, months):%Y年%m月%d日}",
                                  days=(until - day).days, portal_url=portal_url())
            mailed += message is not None
        else:
            superseded += 1
        db.session.add(ReminderSent(person_id=person.id, certificate_id=certificate.id, valid_until=until, kind=kind,
                                    on_day=day, outbox_id=message.id if message is not None else None))
        db.session.flush()
    return mailed, superseded
