"""忘记密码 (guide 一.1) through a real SMTP server on loopback: a single-use link valid 30 minutes, the same
answer whether or not the details match, and the registration body for people without email."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.models import OutboxMessage, PasswordResetToken
from portal.services.infrastructure.passwords import verify_password
from tests.accounts_helpers import login, post_form, text
from tests.factories import PASSWORD, make_certificate, make_person, new_id_number
from tests.smtp_server import plain_text, smtp_server  # noqa: F401

NEW_PASSWORD = "Zhaohui2026"
SAME_ANSWER = "如果您填写的姓名、证件号码和电子邮箱与注册信息一致，系统已向该邮箱发送了找回密码的链接。"


@pytest.fixture
def app_config(smtp_server):  # noqa: F811 - the fixture imported above
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def ask(client, person, *, name=None, email=None):
    return post_form(client, "/applicant/forgot-password", {
        "name": name or person.name, "id_type": "resident_id", "id_number": person.id_number,
        "email": email or person.email or "nobody@example.com"}, follow_redirects=True)


def link_in(message) -> str:
    match = re.search(r"http://localhost(/applicant/reset-password/\S+)", plain_text(message))
    assert match, plain_text(message)
    return match.group(1)


def tokens(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(PasswordResetToken))


def test_the_link_arrives_by_mail_and_sets_a_new_password(client, db, applicant, smtp_server):  # noqa: F811
    page = text(ask(client, applicant, email=" WANG@example.com "))
    assert SAME_ANSWER in page
    message = smtp_server.wait_for(1)[0]  # sent by the outbox's delivery after the request's commit
    assert message["To"] == "wang@example.com"
    assert message["Subject"] == "【注册安全工程师注册管理系统】找回登录密码"
    assert "请在30分钟内打开以下链接设置新密码" in plain_text(message)
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordResetToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only the SHA-256 is kept
    assert timedelta(minutes=29) < stored.expires_at - utcnow() <= timedelta(minutes=30)

    response = client.get(path)
    assert "设置新密码" in text(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    response = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/"
    assert "新密码已设置，请使用新密码登录。" in text(client.get("/"))
    db.session.refresh(applicant)
    assert verify_password(applicant.password_hash, NEW_PASSWORD)

    # single use
    page = text(client.get(path))
    assert "找回密码链接无效、已使用或已过期，请重新申请。" in page
    assert "证件号码或密码不正确" in text(login(client, applicant.id_number, PASSWORD))
    assert login(client, applicant.id_number, NEW_PASSWORD).headers["Location"] == "/applicant/"


@pytest.mark.parametrize("variant", ["wrong email", "wrong name", "unknown person"])
def test_the_answer_is_the_same_when_nothing_matches(client, db, applicant, smtp_server, variant):  # noqa: F811
    if variant == "wrong email":
        page = text(ask(client, applicant, email="other@example.com"))
    elif variant == "wrong name":
        page = text(ask(client, applicant, name="王建"))
    else:
        stranger = SimpleNamespace(name="赵六", id_number=new_id_number(), email="wang@example.com")
        page = text(ask(client, stranger))
    assert SAME_ANSWER in page
    assert smtp_server.messages == []
    assert tokens(db) == 0


def test_a_person_without_email_is_sent_to_their_registration_body(client, db, smtp_server):  # noqa: F811
    person = make_person(name="陈静", email=None, body_code="210000")
    make_certificate(person)
    db.session.commit()
    response = ask(client, person, email="chen@example.com")
    page = text(response)
    assert "您的注册信息中没有留存电子邮箱，不能通过邮件找回密码" in page
    assert "查看辽宁省应急管理厅的联系方式" in page
    assert 'href="/bodies?body=210000"' in response.get_data(as_text=True)
    assert smtp_server.messages == [] and tokens(db) == 0
    bodies = text(client.get("/bodies?body=210000"))
    assert "辽宁省应急管理厅" in bodies and "北京市应急管理局" not in bodies


def test_expired_link_is_refused(client, db, applicant, smtp_server):  # noqa: F811
    ask(client, applicant)
    path = link_in(smtp_server.wait_for(1)[0])
    row = db.session.scalar(select(PasswordResetToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = text(post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, form_page="/"))
    assert "找回密码链接无效、已使用或已过期" in page
    db.session.refresh(applicant)
    assert not verify_password(applicant.password_hash, NEW_PASSWORD)


def test_a_made_up_link_is_refused(client):
    assert "找回密码链接无效、已使用或已过期" in text(client.get("/applicant/reset-password/not-a-real-token"))


def test_a_new_request_replaces_the_previous_link(client, db, applicant, smtp_server):  # noqa: F811
    ask(client, applicant)
    ask(client, applicant)
    links = [link_in(message) for message in smtp_server.wait_for(2)]  # two deliveries: in either order
    assert tokens(db) == 1
    assert sorted("链接无效" in text(client.get(link)) for link in links) == [False, True]


def test_bad_new_password_keeps_the_link_usable(client, db, applicant, smtp_server):  # noqa: F811
    ask(client, applicant)
    path = link_in(smtp_server.wait_for(1)[0])
    page = text(post_form(client, path, {"password": NEW_PASSWORD, "confirm": "Different2026"}))
    assert "两次输入的密码不一致。" in page
    db.session.expire_all()
    assert db.session.scalar(select(PasswordResetToken.used_at)) is None
    assert post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_using_the_link_ends_a_live_session_and_the_lock(app, client, db, applicant, smtp_server):  # noqa: F811
    other = app.test_client()
    login(other, applicant.id_number)
    assert other.get("/applicant/").status_code == 200
    applicant.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    ask(client, applicant)
    post_form(client, link_in(smtp_server.wait_for(1)[0]), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other.get("/applicant/").status_code == 302  # the old session is gone
    assert login(client, applicant.id_number, NEW_PASSWORD).headers["Location"] == "/applicant/"


def test_email_format_is_checked(client, db, applicant):
    page = text(post_form(client, "/applicant/forgot-password", {
        "name": applicant.name, "id_type": "resident_id", "id_number": applicant.id_number, "email": "not-an-email"}))
    assert "电子邮箱格式不正确。" in page


@pytest.mark.parametrize("app_config", [{"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9}])
def test_a_mail_server_failure_does_not_reveal_the_match(client, db, applicant):
    page = text(ask(client, applicant))
    assert SAME_ANSWER in page
    assert "Traceback" not in page
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the delivery tried after the response, failed, and keeps the message
        db.session.expire_all()
        message = db.session.scalar(select(OutboxMessage))
        if message.attempts and message.last_error:
            break
        time.sleep(0.05)
    assert message.recipient == applicant.email and message.last_error and message.state != "sent"
