"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, as a pytest fixture.

Use it from any test module::

    from tests.smtp_server import smtp_server  # noqa: F401
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


def plain_text(message: Message) -> str:
    """The text part of a received message (the outbox sends text and HTML alternatives)."""
    part = message.get_body(("plain",)) if message.is_multipart() else message
    return part.get_content()


def html_text(message: Message) -> str:
    """The HTML part of a received message."""
    return message.get_body(("html",)).get_content()


@dataclass
class SmtpServer:
    """What a test sees of the running server."""

    host: str
    port: int = 0
    #: Received messages, parsed with the modern email policy (EmailMessage).
    messages: list[Message] = field(default_factory=list)
    #: The bytes of each message as received.
    raw: list[bytes] = field(default_factory=list)
    #: (MAIL FROM, RCPT TO list) of each received message.
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        """The messages once ``count`` have arrived (mail that leaves after the response, as 忘记密码's does, reaches
        the server a moment after the page); fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) == count, f"{len(self.messages)} messages, expected {count}"
        return self.messages

    def clear(self) -> None:
        """Forget the messages received so far."""
        self.messages.clear()
        self.raw.clear()
        self.envelopes.clear()


class _CollectingHandler:
    """aiosmtpd handler storing every message it is given."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        self.server.raw.append(raw)
        self.server.messages.append(message_from_bytes(raw, policy=email_policy.default))
        self.server.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class _EphemeralPortController(Controller):
    """Controller listening on a port the OS picks (``port=0``)."""

    def _trigger_server(self) -> None:
        # The listening socket exists by now; learn its port before the
        # controller connects to it to finish starting up.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Run an SMTP server on 127.0.0.1 for one test; yield its address and inbox."""
    server = SmtpServer(host=HOST)
    controller = _EphemeralPortController(
        _CollectingHandler(server), hostname=HOST, port=0, ready_timeout=5.0
    )
    controller.start()
    server.port = controller.port
    try:
        yield server
    finally:
        controller.stop()
