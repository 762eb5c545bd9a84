"""The mail outbox: every message is a row written in the transaction of the change it reports; a worker delivers
it after the commit, exactly once per row.

- ``mail_person(person, template, **params)`` (or ``queue_mail``) adds the row; nothing is sent in the request. The
  row's ids are handed to the delivery after the transaction commits (a SQLAlchemy ``after_commit`` hook); a
  rollback drops them with the row.
- ``deliver(id, message_id)`` claims the row (one atomic UPDATE: ``pending`` and due, or ``sending`` with an expired
  lease → ``sending`` with a lease), commits the claim, sends, then marks it ``sent``. Two workers given the same
  row (a lost-then-swept enqueue, a redelivered job) cannot both claim it. A worker killed mid-send leaves the row
  ``sending``; once its lease expires the sweep hands it out again with the same Message-ID.
- A temporary failure (server down, 4xx) waits ``MAIL_RETRY_SECONDS`` × 2ⁿ (at most ``MAIL_RETRY_MAX_SECONDS``)
  and tries again, up to ``MAIL_MAX_ATTEMPTS``; a permanent one (5xx), or the last attempt, leaves it ``failed``,
  shown to central staff in the console (邮件发送) with a 重试 button.
- ``sweep()`` finds rows whose enqueue was lost (pending and due for ``MAIL_SWEEP_GRACE_SECONDS``) or whose worker
  died (lease expired) and hands them to the delivery again.

``MAIL_DELIVERY`` chooses who delivers: ``queue`` (production: Celery workers on Redis, ``portal/jobs.py``) or
``inline`` (development and tests: a thread of the same process, started after the commit).

The one crash no mail system can rule out: the SMTP server took the message and the worker died before it marked
the row sent. The row is then sent again, with the same Message-ID, so mail clients that drop a repeated
Message-ID show it once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ...clock import utcnow
from ...extensions import db
from ...models import OutboxMessage, OutboxState
from ...models import OutboxMessage as Row
from .mail import DEFAULT_SENDER, MailError, build_message, new_message_id, send_message

P = OutboxState
#: parameters cleared once the message is sent (a reset link must not outlive its mail in the database)
SECRET_PARAMS = frozenset({"link"})
SUBJECT_PREFIXES = ("主题：", "Subject:")
_PENDING_KEY = "outbox_new"


# --- writing ---------------------------------------------------------------------------------------------------

def queue_mail(recipient: str, template: str, params: dict | None = None, *, person=None,
               message_id: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the current transaction (flushed, never committed here). A given
    ``message_id`` makes the message once-only: a second row with it violates the unique key."""
    render(template, params or {})  # a missing template or parameter fails now, in the change that causes it
    message = OutboxMessage(message_id=message_id or new_message_id(), recipient=recipient.strip(), template=template,
                            params={key: _plain(value) for key, value in (params or {}).items()},
                            person_id=person.id if person is not None else None, state=P.PENDING.value,
                            attempts=0, next_attempt_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def mail_person(person, template: str, **params) -> OutboxMessage | None:
    """Mail ``person`` (when an email is on file) the message ``template``; ``name`` is filled in."""
    if person is None or not (person.email or "").strip():
        return None
    return queue_mail(person.email, template, {"name": person.name, **params}, person=person)


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


# --- rendering -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


_URL = re.compile(r"https?://[^\s<>\"'）]+")


def render(template: str, params: dict) -> Rendered:
    """The message from ``portal/templates/mail/<template>.txt`` (``mail/en/`` when ``params["lang"]`` is ``en`` and
    it has one): its first line ``主题：…`` (``Subject: …``) is the subject, the rest the text; the HTML part is the
    same text in ``mail/_layout.html`` (paragraphs, links)."""
    name, english = f"mail/{template}.txt", False
    if params.get("lang") == "en":
        try:
            _template(f"mail/en/{template}.txt")
            name, english = f"mail/en/{template}.txt", True
        except TemplateNotFound:
            pass
    source = _template(name).render(**params).strip("\n")
    first, _, rest = source.partition("\n")
    prefix = next((prefix for prefix in SUBJECT_PREFIXES if first.startswith(prefix)), None)
    if prefix is None:
        raise ValueError(f"{name} must start with a line 「{SUBJECT_PREFIXES[0]}…」")
    subject = first[len(prefix):].strip()
    text = rest.strip("\n") + "\n"
    paragraphs = [_html_paragraph(block) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    html = _template("mail/_layout.html").render(subject=subject, paragraphs=paragraphs, english=english)
    return Rendered(subject, text, html)


def _template(name: str):
    """A template of the app's loader, rendered without the request's context processors (a worker has none)."""
    return current_app.jinja_env.get_template(name)


def _html_paragraph(block: str) -> Markup:
    parts, last = [], 0
    for match in _URL.finditer(block):
        parts.append(escape(block[last:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    parts.append(escape(block[last:]))
    return Markup("").join(parts).replace("\n", Markup("<br>\n"))


# --- after the commit: hand the new rows to the delivery ------------------------------------------------------

_MUTED: ContextVar[list[int] | None] = ContextVar("outbox_muted", default=None)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    new = [(obj.id, obj.message_id) for obj in session.new if isinstance(obj, OutboxMessage)]
    muted = _MUTED.get()
    if muted is not None:
        muted.extend(outbox_id for outbox_id, _ in new)
    elif new:
        session.info.setdefault(_PENDING_KEY, []).extend(new)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the rows wait for the real commit
        return
    pairs = session.info.pop(_PENDING_KEY, None)
    if pairs:
        try:
            dispatch(pairs)
        except Exception:  # noqa: BLE001 - the rows are committed; the sweep hands them out later
            current_app.logger.exception("Handing %d committed mail(s) to the delivery failed", len(pairs))


@contextmanager
def no_mail() -> Iterator[None]:
    """Inside: the messages written are never handed to the delivery, and are deleted at the end (the caller
    commits). For the demo data, whose made-up history mails nobody."""
    muted: list[int] = []
    token = _MUTED.set(muted)
    try:
        yield
    finally:
        _MUTED.reset(token)
    if muted:
        db.session.execute(sa.delete(Row).where(Row.id.in_(muted)))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def dispatch(pairs: list[tuple[int, str]], countdown: float | None = None) -> None:
    """Hand rows (id, Message-ID) to the delivery chosen by ``MAIL_DELIVERY``."""
    app = current_app._get_current_object()
    if app.config.get("MAIL_DELIVERY", "inline") == "queue":
        from ...jobs import enqueue_deliveries

        enqueue_deliveries(pairs, countdown=countdown)
    else:
        _deliver_in_thread(app, pairs, countdown)


def _deliver_in_thread(app: Flask, pairs: list[tuple[int, str]], countdown: float | None) -> None:
    inline_delivery(app).submit(pairs, countdown)


def inline_delivery(app: Flask) -> InlineDelivery:
    """The app's in-process delivery (MAIL_DELIVERY=inline), made on first use."""
    with _INLINE_LOCK:
        return app.extensions.setdefault("mail_inline", InlineDelivery(app))


_INLINE_LOCK = threading.Lock()


class InlineDelivery:
    """Development and tests: deliver in threads of this process, after the commit (never in the request), with
    the same claim, retries and backoff as the workers. ``stop()`` cancels what waits (a test's app going away)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.timers: set[threading.Timer] = set()
        self.lock = threading.Lock()
        self.stopped = False

    def submit(self, pairs: list[tuple[int, str]], countdown: float | None = None) -> None:
        with self.lock:
            if self.stopped:
                return
            timer = threading.Timer(countdown or 0, self._run, (pairs,))
            timer.daemon = True
            timer.name = "mail-delivery"
            self.timers.add(timer)
        timer.start()

    def _run(self, pairs: list[tuple[int, str]]) -> None:
        try:
            with self.app.app_context():
                try:
                    for outbox_id, message_id in pairs:
                        if self.stopped:
                            return
                        retry_in = deliver(outbox_id, message_id)
                        if retry_in is not None:
                            self.submit([(outbox_id, message_id)], retry_in)
                except Exception:  # noqa: BLE001 - logged; the row waits for the sweep
                    self.app.logger.exception("In-process mail delivery failed")
                finally:
                    db.session.remove()
        finally:
            with self.lock:
                self.timers.discard(threading.current_thread())

    def wait(self, timeout: float = 60) -> None:
        """Wait for the deliveries started so far (and their retries) to finish."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                running = [timer for timer in self.timers if timer is not threading.current_thread()]
            if not running:
                return
            running[0].join(max(deadline - time.monotonic(), 0))

    def stop(self, timeout: float = 5) -> None:
        with self.lock:
            self.stopped = True
            timers = list(self.timers)
        for timer in timers:
            timer.cancel()
        for timer in timers:
            if timer is not threading.current_thread():
                timer.join(timeout)


# --- delivering --------------------------------------------------------------------------------------------------

def _seconds(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    base = _seconds("MAIL_RETRY_SECONDS", 60)
    return min(base * 2 ** max(attempts - 1, 0), _seconds("MAIL_RETRY_MAX_SECONDS", 3600))


def claim(outbox_id: int, message_id: str) -> int | None:
    """Take the row for sending, atomically; the attempt number (the fencing token), or None when it is not due,
    already sent, failed or held by another worker."""
    now = utcnow()
    lease = timedelta(seconds=_seconds("MAIL_SEND_LEASE_SECONDS", 120))
    skew = timedelta(seconds=_seconds("MAIL_CLOCK_SKEW_SECONDS", 5))
    result = db.session.execute(
        update(Row)
        .where(Row.id == outbox_id, Row.message_id == message_id,
               or_(sa.and_(Row.state == P.PENDING.value, Row.next_attempt_at <= now + skew),
                   sa.and_(Row.state == P.SENDING.value, Row.lease_until < now)))
        .values(state=P.SENDING.value, attempts=Row.attempts + 1, lease_until=now + lease)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.scalar(select(Row.attempts).where(Row.id == outbox_id))
    db.session.commit()
    return attempt


def deliver(outbox_id: int, message_id: str) -> float | None:
    """Send one outbox row if it is still to be sent. Returns the seconds after which to try again (a temporary
    failure), else None (sent, failed for good, or not this worker's to send)."""
    attempt = claim(outbox_id, message_id)
    if attempt is None:
        return None
    row = db.session.get(OutboxMessage, outbox_id)
    mine = (Row.id == outbox_id, Row.state == P.SENDING.value, Row.attempts == attempt)
    try:
        rendered = render(row.template, row.params or {})
        sender = str(current_app.config.get("MAIL_SENDER") or DEFAULT_SENDER)
        send_message(build_message(row.recipient, rendered.subject, rendered.text, sender, html=rendered.html,
                                   message_id=row.message_id))
    except MailError as error:
        give_up = error.permanent or attempt >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 10))
        wait = backoff(attempt)
        values = {"state": P.FAILED.value if give_up else P.PENDING.value, "lease_until": None,
                  "last_error": error.detail or str(error),
                  "next_attempt_at": utcnow() + timedelta(seconds=0 if give_up else wait)}
        db.session.execute(update(Row).where(*mine).values(**values).execution_options(synchronize_session=False))
        db.session.commit()
        if give_up:
            current_app.logger.error("Mail %s to person %s failed for good after %d attempt(s): %s",
                                     row.message_id, row.person_id, attempt, values["last_error"])
            return None
        return wait
    except Exception as error:  # a template that no longer renders: keep it for the staff, do not loop
        db.session.rollback()
        db.session.execute(update(Row).where(*mine).values(state=P.FAILED.value, lease_until=None,
                                                         last_error=repr(error)[:500])
                           .execution_options(synchronize_session=False))
        db.session.commit()
        current_app.logger.exception("Mail %s could not be built", message_id)
        return None
    params = {key: ("" if key in SECRET_PARAMS else value) for key, value in (row.params or {}).items()}
    _mark_sent(mine, params)
    return None


#: tries to record a sent message: failing that, it is sent again once its lease runs out
MARK_SENT_TRIES = 5


def _mark_sent(mine: tuple, params: dict) -> None:
    """Record the message as sent — the server has it now, so a database hiccup (a lock, a dropped connection) is
    worth a few tries: a row left ``sending`` would be handed out again after its lease."""
    for attempt in range(1, MARK_SENT_TRIES + 1):
        try:
            db.session.execute(update(Row).where(*mine).values(state=P.SENT.value, sent_at=utcnow(),
                                                               lease_until=None, last_error=None, params=params)
                               .execution_options(synchronize_session=False))
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            if attempt == MARK_SENT_TRIES:
                raise
            current_app.logger.warning("Recording a sent mail failed (try %d), trying again", attempt)
            time.sleep(0.2 * attempt)


# --- recovery ----------------------------------------------------------------------------------------------------

def due_rows(limit: int = 1000) -> list[tuple[int, str]]:
    """Rows the delivery should have by now: pending and due for longer than the grace (their enqueue may have
    been lost), or held by a worker whose lease ran out (it died mid-send)."""
    now = utcnow()
    grace = timedelta(seconds=_seconds("MAIL_SWEEP_GRACE_SECONDS", 60))
    rows = db.session.execute(
        select(Row.id, Row.message_id)
        .where(or_(sa.and_(Row.state == P.PENDING.value, Row.next_attempt_at <= now - grace),
                   sa.and_(Row.state == P.SENDING.value, Row.lease_until < now)))
        .order_by(Row.id).limit(limit)).all()
    return [(row.id, row.message_id) for row in rows]


def sweep() -> int:
    """Hand every row found by ``due_rows`` to the delivery again (claiming keeps it to one send); how many."""
    pairs = due_rows()
    db.session.rollback()
    if pairs:
        current_app.logger.info("Mail sweep: %d message(s) handed to the delivery again", len(pairs))
        dispatch(pairs)
    return len(pairs)


def retry(message: OutboxMessage, staff) -> None:
    """重试 (central staff): a failed message gets a new round of attempts; audited."""
    from ..errors import DomainError
    from .audit import record

    if message.state != P.FAILED.value:
        from ...i18n import lazy_gettext as _l

        raise DomainError(_l("只有发送失败的邮件可以重试。"))
    message.state = P.PENDING.value
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.lease_until = None
    db.session.flush()
    record("mail.retry", f"重试发送邮件 #{message.id}（{message.template}）", staff=staff, target=message,
           data={"last_error": message.last_error})
    # the row is not new: hand it over after this request's commit
    db.session.info.setdefault(_PENDING_KEY, []).append((message.id, message.message_id))
