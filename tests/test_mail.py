"""Mail sending through a real SMTP server, the log backend and failures."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.services.infrastructure.mail import MailError, build_message, send_mail
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401

SUBJECT = "注册安全工程师注册管理系统：重置密码"
BODY = "张堃喆您好：\n请在30分钟内点击以下链接重置密码：\nhttps://portal.example.cn/reset/abc123\n"
SENDER = "注册管理中心 <noreply@portal.example.cn>"


def make_app(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(MAIL_SENDER=SENDER, **config)
    return app


@pytest.fixture
def smtp_app(smtp_server: SmtpServer) -> Iterator[Flask]:  # noqa: F811
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def test_smtp_backend_delivers_a_chinese_message(smtp_app: Flask, smtp_server: SmtpServer) -> None:  # noqa: F811
    send_mail("applicant@example.com", SUBJECT, BODY)

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == SUBJECT
    assert received["To"] == "applicant@example.com"
    assert received["From"].addresses[0].display_name == "注册管理中心"
    assert received["From"].addresses[0].addr_spec == "noreply@portal.example.cn"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content() == BODY
    assert received["Message-ID"].endswith("@portal.example.cn>")
    assert smtp_server.raw[0].isascii()  # headers were encoded for the wire
    assert smtp_server.envelopes == [("noreply@portal.example.cn", ["applicant@example.com"])]


def test_server_fixture_clears_its_inbox(smtp_app: Flask, smtp_server: SmtpServer) -> None:  # noqa: F811
    send_mail("a@example.com", "一", "正文一")
    send_mail("b@example.com", "二", "正文二")
    assert [message["Subject"] for message in smtp_server.messages] == ["一", "二"]
    smtp_server.clear()
    assert smtp_server.messages == [] and smtp_server.envelopes == []


def test_log_backend_is_the_default_and_logs_the_whole_message(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    with app.app_context(), caplog.at_level(logging.INFO, logger=app.logger.name):
        send_mail("applicant@example.com", SUBJECT, BODY)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.levelno == logging.INFO)
    assert "applicant@example.com" in logged
    assert SUBJECT in logged
    assert "https://portal.example.cn/reset/abc123" in logged


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_closed_port_raises_mail_error(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_TIMEOUT=2)
    with app.app_context(), caplog.at_level(logging.ERROR), pytest.raises(MailError) as caught:
        send_mail("applicant@example.com", SUBJECT, BODY)
    assert str(caught.value) == "邮件发送失败，请稍后再试"
    assert isinstance(caught.value.__cause__, OSError)


def test_starttls_refused_by_server_raises_mail_error(smtp_server: SmtpServer) -> None:  # noqa: F811
    app = make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_USE_TLS=True
    )
    with app.app_context(), pytest.raises(MailError):
        send_mail("applicant@example.com", SUBJECT, BODY)
    assert smtp_server.messages == []


def test_unknown_backend_is_a_configuration_error() -> None:
    with make_app(MAIL_BACKEND="pigeon").app_context(), pytest.raises(ValueError, match="pigeon"):
        send_mail("applicant@example.com", SUBJECT, BODY)


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        build_message("a@example.com\nBcc: victim@example.com", SUBJECT, BODY, SENDER)


def test_ssl_against_a_plain_server_raises_mail_error(smtp_server: SmtpServer) -> None:  # noqa: F811
    app = make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_USE_SSL=True
    )
    with app.app_context(), pytest.raises(MailError):
        send_mail("applicant@example.com", SUBJECT, BODY)
    assert smtp_server.messages == []
