"""Outgoing mail: SMTP (plain, STARTTLS or SSL) or, by default, the app log.

Settings come from ``current_app.config``: MAIL_BACKEND ('log' or 'smtp'),
MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_SENDER and MAIL_TIMEOUT (seconds).
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
    """A message could not be handed to the mail server."""

    def __init__(self, message: str = "邮件发送失败，请稍后再试") -> None:
        super().__init__(message)


def build_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    """Build a UTF-8 plain-text message (Chinese subject and body allowed)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    message["Message-ID"] = make_msgid(domain=domain if at else "localhost")
    # base64 keeps the text intact through relays without 8BITMIME.
    message.set_content(body, charset="utf-8", cte="base64")
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
        current_app.logger.error("Sending mail to %s failed: %r", message["To"], error)
        raise MailError() from error


def _log_message(message: EmailMessage) -> None:
    """Development backend: write the whole message, readable, to the log, at INFO: development's LOG_LEVEL
    (portal/config.py) lets that reach the console of ``make run``, so a reset link can be followed."""
    current_app.logger.info(
        "Mail (log backend)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
        message["From"],
        message["To"],
        message["Subject"],
        message.get_content(),
    )


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail; raise MailError when the server cannot take it."""
    config = current_app.config
    message = build_message(to, subject, body, str(config.get("MAIL_SENDER") or DEFAULT_SENDER))
    backend = config.get("MAIL_BACKEND", "log")
    if backend == "log":
        _log_message(message)
    elif backend == "smtp":
        _send_smtp(message, config)
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")
