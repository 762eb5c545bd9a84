"""Outgoing mail: SMTP (plain, STARTTLS or SSL) or, by default in development, the app log.

Nothing here is called from a request: the outbox (``outbox.py``) writes a row in the request's transaction and a
worker hands it to ``send_message`` after the commit. Settings come from ``current_app.config``: MAIL_BACKEND
('log' or 'smtp'), MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_SENDER
and MAIL_TIMEOUT (seconds).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

DEFAULT_SENDER = "noreply@localhost"
DEFAULT_TIMEOUT = 10.0


class MailError(RuntimeError):
    """A message could not be handed to the mail server. ``permanent``: the server refused it for good (a 5xx
    answer, e.g. an unknown recipient), so trying again will not help."""

    def __init__(self, message: str = "邮件发送失败，请稍后再试", *, permanent: bool = False,
                 detail: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.detail = detail


def sender_domain(sender: str) -> str:
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return domain if at else "localhost"


def new_message_id(sender: str | None = None) -> str:
    """A fresh, globally unique Message-ID in the sender's domain."""
    return make_msgid(domain=sender_domain(sender or current_app.config.get("MAIL_SENDER") or DEFAULT_SENDER))


def build_message(to: str, subject: str, body: str, sender: str, *, html: str | None = None,
                  message_id: str | None = None) -> EmailMessage:
    """Build a UTF-8 message (Chinese subject and body allowed): the text, and an HTML alternative when given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain=sender_domain(sender))
    # base64 keeps the text intact through relays without 8BITMIME.
    message.set_content(body, charset="utf-8", cte="base64")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return message


def _default_port(config: Mapping[str, object]) -> int:
    if config.get("MAIL_USE_SSL"):
        return 465
    return 587 if config.get("MAIL_USE_TLS") else 25


def _connect(config: Mapping[str, object]) -> smtplib.SMTP:
    """Open a plain or SSL connection to the configured server."""
    host = str(config.get("MAIL_SERVER") or "localhost")
    port = int(config.get("MAIL_PORT") or _default_port(config))
    timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
    if config.get("MAIL_USE_SSL"):
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer about this message (recipient or content refused); 4xx and connection trouble are temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False  # the portal's own setting: fix it, then the messages go out on their next attempt
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _send_smtp(message: EmailMessage, config: Mapping[str, object]) -> None:
    try:
        with _connect(config) as connection:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                connection.starttls(context=ssl.create_default_context())
            username = config.get("MAIL_USERNAME")
            if username:
                connection.login(str(username), str(config.get("MAIL_PASSWORD") or ""))
            connection.send_message(message)
    except (smtplib.SMTPException, OSError) as error:  # OSError: socket, TLS, timeout
        current_app.logger.warning("Sending mail %s failed: %r", message["Message-ID"], error)
        raise MailError(permanent=_is_permanent(error), detail=repr(error)[:500]) from error


def _log_message(message: EmailMessage) -> None:
    """Development backend: write the whole message, readable, to the log, at INFO: development's LOG_LEVEL
    (portal/config.py) lets that reach the console of ``make run``, so a reset link can be followed."""
    body = message.get_body(("plain",)) if message.is_multipart() else message
    current_app.logger.info(
        "Mail (log backend)\nFrom: %s\nTo: %s\nSubject: %s\nMessage-ID: %s\n\n%s",
        message["From"],
        message["To"],
        message["Subject"],
        message["Message-ID"],
        body.get_content(),
    )


def send_message(message: EmailMessage) -> None:
    """Hand a built message to the configured backend; raise MailError when the server cannot take it."""
    config = current_app.config
    backend = config.get("MAIL_BACKEND", "log")
    if backend == "log":
        _log_message(message)
    elif backend == "smtp":
        _send_smtp(message, config)
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")


def send_mail(to: str, subject: str, body: str, *, html: str | None = None) -> None:
    """Send a mail now (the outbox's worker, and tests of the transport); raise MailError on failure."""
    config = current_app.config
    send_message(build_message(to, subject, body, str(config.get("MAIL_SENDER") or DEFAULT_SENDER), html=html))
