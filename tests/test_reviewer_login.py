"""The console's door: staff login (lock, live session, disabled account, captcha, rate limit), 安全退出, idle
logout, the forced password change, and who is sent back to the login page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session as flask_session
from flask_login import login_user

from portal.clock import utcnow
from portal.models import Staff
from portal.reviewer.gate import current_staff
from portal.services.infrastructure.passwords import verify_password
from tests.factories import PASSWORD, login_as, make_person, make_staff
from tests.test_reviewer_helpers import audit_rows, csrf, post, staff_login, text


def test_console_asks_anonymous_visitors_to_log_in_and_returns_them_afterwards(client, db):
    make_staff("reviewer_a")
    db.session.commit()
    response = client.get("/reviewer/people/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/reviewer/account/?next=")
    page = client.get(response.headers["Location"])
    assert "工作人员登录" in text(page) and "请先登录" in text(page)

    response = staff_login(client, "reviewer_a", next_path="/reviewer/people/")
    assert response.status_code == 302 and response.headers["Location"] == "/reviewer/people/"
    assert "注册人员" in text(client.get("/reviewer/people/"))
    assert [row.actor_label for row in audit_rows(db, "staff.login")] == ["reviewer_a"]


def test_login_never_redirects_off_site(client, db):
    make_staff("reviewer_a")
    db.session.commit()
    response = staff_login(client, "reviewer_a", next_path="https://evil.example/")
    assert response.headers["Location"] == "/reviewer/"


def test_wrong_passwords_state_the_rule_then_lock_the_account(client, db):
    staff = make_staff("reviewer_a")
    db.session.commit()
    for _ in range(4):
        page = text(staff_login(client, "reviewer_a", "Wrong2026x"))
        assert "用户名或密码不正确。连续输错5次，账号将被锁定15分钟。" in page  # the rule, not the tries left
    page = text(staff_login(client, "reviewer_a", "Wrong2026x"))
    assert "账号已锁定" in page
    page = text(staff_login(client, "reviewer_a", PASSWORD))  # even the right password, while locked
    assert "账号已锁定" in page
    db.session.refresh(staff)
    assert staff.locked_until is not None and staff.session_token is None
    refused = audit_rows(db, "staff.login_refused")
    assert len(refused) == 6 and refused[-1].data["reason"] == "locked"


def test_unknown_and_disabled_accounts_get_the_same_answer(client, db):
    staff = make_staff("reviewer_a")
    staff.active = False
    db.session.commit()
    for username in ("reviewer_a", "nobody"):
        response = staff_login(client, username)
        assert response.status_code == 200
        assert "用户名或密码不正确" in text(response)
    assert client.get("/reviewer/").status_code == 302


def test_a_live_session_elsewhere_refuses_a_second_login_until_released(client, app, db):
    make_staff("reviewer_a")
    db.session.commit()
    assert staff_login(client, "reviewer_a").status_code == 302
    other = app.test_client()
    page = text(staff_login(other, "reviewer_a"))
    assert "该账号已在其他地方登录" in page
    post(client, "/reviewer/account/logout")  # 安全退出 in the first browser
    assert staff_login(other, "reviewer_a").status_code == 302


def test_logout_is_a_post_and_ends_the_session(client, db):
    staff = make_staff("reviewer_a")
    db.session.commit()
    staff_login(client, "reviewer_a")
    assert client.get("/reviewer/account/logout").status_code == 405
    response = post(client, "/reviewer/account/logout")
    assert response.status_code == 302
    assert "您已安全退出" in text(client.get(response.headers["Location"]))
    db.session.refresh(staff)
    assert staff.session_token is None
    assert client.get("/reviewer/").status_code == 302


def test_idle_session_ends_and_the_console_says_so(client, db):
    staff = make_staff("reviewer_a")
    db.session.commit()
    staff_login(client, "reviewer_a")
    db.session.refresh(staff)
    staff.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    response = client.get("/reviewer/people/")
    assert response.status_code == 302
    assert "您已长时间未操作" in text(client.get(response.headers["Location"]))


def test_a_temporary_password_must_be_changed_before_anything_else(client, db):
    staff = make_staff("reviewer_a")
    staff.must_change_password = True
    db.session.commit()
    response = staff_login(client, "reviewer_a")
    assert response.headers["Location"] == "/reviewer/account/password"
    response = client.get("/reviewer/people/")
    assert response.status_code == 302 and response.headers["Location"] == "/reviewer/account/password"

    page = text(post(client, "/reviewer/account/password", {"current": PASSWORD, "new": "short",
                                                             "confirm": "short"}))
    assert "密码长度至少为8位" in page
    page = text(post(client, "/reviewer/account/password", {"current": "Wrong2026", "new": "NewPass2027",
                                                             "confirm": "NewPass2027"}))
    assert "当前密码不正确" in page
    response = post(client, "/reviewer/account/password", {"current": PASSWORD, "new": "NewPass2027",
                                                            "confirm": "NewPass2027"})
    assert response.status_code == 302
    assert client.get("/reviewer/people/").status_code == 200  # still logged in with the new session token
    db.session.expire_all()
    staff = db.session.get(Staff, staff.id)
    assert not staff.must_change_password and verify_password(staff.password_hash, "NewPass2027")
    assert audit_rows(db, "staff.password_change")


def test_an_applicant_session_does_not_open_the_console(client, db):
    person = make_person()
    db.session.commit()
    login_as(client, person)
    response = client.get("/reviewer/")
    assert response.status_code == 302
    assert "请使用工作人员账号登录" in text(client.get(response.headers["Location"]))


def test_chinese_by_default_english_after_the_switch(client, db):
    login_as(client, make_staff("reviewer_a"))
    html = client.get("/reviewer/applications/").get_data(as_text=True)
    page = text(client.get("/reviewer/applications/"))
    assert "列表" in page and "添加筛选条件" in page and "全部申请" in page  # Flask-Admin's chrome and ours
    assert '<html lang="zh-CN">' in html  # the page declares its language (screen readers, WCAG 3.1.1)
    client.get("/lang/en")
    html = client.get("/reviewer/applications/").get_data(as_text=True)
    page = text(client.get("/reviewer/applications/"))
    assert "List" in page and "Add Filter" in page and "All applications" in page
    assert "列表" not in page and '<html lang="en">' in html
    assert '<html lang="en">' in client.get("/reviewer/account/password").get_data(as_text=True)


class TestCaptcha:
    @pytest.fixture
    def app_config(self):
        return {"CAPTCHA_ENABLED": True}

    def test_login_needs_the_captcha_of_the_image_shown(self, client, db, monkeypatch):
        from portal.services.infrastructure import challenges

        make_staff("reviewer_a")
        db.session.commit()
        answers = []
        real = challenges.new_challenge

        def remember(*args, **kwargs):
            challenge_id, answer = real(*args, **kwargs)
            answers.append(answer)
            return challenge_id, answer

        monkeypatch.setattr(challenges, "new_challenge", remember)
        assert "请输入验证码" in text(staff_login(client, "reviewer_a", captcha=""))
        client.get("/captcha.png")
        wrong = "0000" if answers[-1] != "0000" else "1111"
        assert "验证码不正确" in text(staff_login(client, "reviewer_a", captcha=wrong))
        client.get("/captcha.png")
        assert staff_login(client, "reviewer_a", captcha=answers[-1]).status_code == 302


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_posts_are_rate_limited(self, client, db):
        token = csrf(client)
        codes = [client.post("/reviewer/account/", data={"csrf_token": token, "username": "x", "password": "y"})
                 .status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/reviewer/account/").status_code == 200  # the page itself stays available


def test_current_staff_is_the_account_itself_not_the_proxy(app, client, db):
    """login_user() after a password change must get the account: given Flask-Login's proxy, every later use of
    current_user in that request recursed without end."""
    staff = make_staff("proxy_check")
    login_as(client, staff)
    with app.test_request_context("/reviewer/"):
        cookie = client.get_cookie("session")
        flask_session.update(app.session_interface.get_signing_serializer(app).loads(cookie.value))
        found = current_staff()
        assert type(found) is Staff
        login_user(found)
        assert current_staff().username == "proxy_check"
