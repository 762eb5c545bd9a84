"""注册申请登录 and 安全退出 (guide 一.2, 七.4, 七.5): lock after 5 wrong passwords, one live session, idle
logout, safe ``next``, temporary passwords, the applicant gate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.clock import utcnow
from portal.models import AuditLog, IdType
from portal.services.infrastructure import passwords
from portal.services.infrastructure.passwords import hash_password
from tests.accounts_helpers import csrf_token, login, logout, post_form, text
from tests.factories import PASSWORD, login_as, make_certificate, make_person, make_staff, new_id_number


def test_login_leads_to_the_personal_page(client, db, applicant):
    response = login(client, applicant.id_number)
    assert response.status_code == 302
    assert response.headers["Location"] == "/applicant/"
    page = text(client.get("/applicant/"))
    assert "王建国，您好！" in page
    assert applicant.id_number in page  # the person's own page shows the full number
    assert "功能目录" in page and "公告信息" in page and "延续注册" in page and "安全退出" in page
    db.session.refresh(applicant)
    assert applicant.session_token and applicant.last_seen_at
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.person_id == applicant.id)) == "account.login"


def test_home_page_shows_the_login_tab_with_the_guide_labels(client):
    page = text(client.get("/"))
    for label in ("注册申请登录", "证件类型", "证件号码", "密码", "登录", "设置密码", "忘记密码"):
        assert label in page


def test_wrong_password_states_the_lock_rule(client, db, applicant):
    response = login(client, applicant.id_number, "Wrong2026x")
    page = text(response)
    assert response.status_code == 200
    assert "证件号码或密码不正确。连续输错5次，账号将被锁定15分钟。" in page  # the rule, not the tries left
    db.session.refresh(applicant)
    assert applicant.failed_logins == 1
    assert applicant.session_token is None
    assert "王建国，您好" not in text(client.get("/applicant/", follow_redirects=True))


def test_unknown_id_number_gets_the_same_message_and_changes_nothing(client, db, applicant):
    page = text(login(client, new_id_number(address="110105")))
    assert "证件号码或密码不正确。连续输错5次，账号将被锁定15分钟。" in page
    db.session.refresh(applicant)
    assert applicant.failed_logins == 0


def test_malformed_id_number_is_explained_beside_the_field(client, db, applicant):
    wrong_check_digit = applicant.id_number[:17] + ("0" if applicant.id_number[17] != "0" else "1")
    page = text(login(client, wrong_check_digit))
    assert "身份证号码校验位不正确" in page
    page = text(login(client, "12345"))
    assert "身份证号码应为18位" in page
    page = text(login(client, ""))
    assert "请输入证件号码。" in page
    db.session.refresh(applicant)
    assert applicant.failed_logins == 0 and applicant.session_token is None


def test_five_wrong_passwords_lock_the_account_with_the_unlock_time(client, db, applicant):
    for _ in range(4):
        login(client, applicant.id_number, "Wrong2026x")
    page = text(login(client, applicant.id_number, "Wrong2026x"))
    db.session.refresh(applicant)
    assert applicant.locked_until is not None
    shanghai = (applicant.locked_until + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"密码连续输错5次，账号已锁定，请于 {shanghai} 后再试。" in page
    # the right password does not help while locked
    page = text(login(client, applicant.id_number, PASSWORD))
    assert "账号已锁定" in page
    db.session.refresh(applicant)
    assert applicant.session_token is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.person_id == applicant.id)).all()
    assert actions == ["account.locked"]


def test_lock_lapses_after_fifteen_minutes(client, db, applicant):
    applicant.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, applicant.id_number).headers["Location"] == "/applicant/"


def test_second_login_while_a_session_is_live_is_refused_until_logout(app, client, db, applicant):
    assert login(client, applicant.id_number).status_code == 302
    other = app.test_client()
    page = text(login(other, applicant.id_number))
    db.session.refresh(applicant)
    unlocks = (applicant.last_seen_at + timedelta(minutes=30, hours=8)).strftime("%Y-%m-%d %H:%M")
    assert "该账号已在其他地方登录" in page
    assert f"账号将于 {unlocks} 自动解锁" in page
    response = logout(client)
    assert response.headers["Location"] == "/"
    assert "您已安全退出。" in text(client.get("/"))
    db.session.refresh(applicant)
    assert applicant.session_token is None
    assert login(other, applicant.id_number).headers["Location"] == "/applicant/"


def test_idle_session_is_logged_out_and_the_account_can_log_in_again(app, client, db, applicant):
    login(client, applicant.id_number)
    db.session.refresh(applicant)
    applicant.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    response = client.get("/applicant/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/?next=")
    assert "您已因30分钟未操作自动退出，请重新登录。" in text(client.get(response.headers["Location"]))
    db.session.refresh(applicant)
    assert applicant.session_token is None
    assert login(app.test_client(), applicant.id_number).headers["Location"] == "/applicant/"


def test_logout_is_a_post_with_csrf(client, db, applicant):
    login(client, applicant.id_number)
    assert client.get("/applicant/logout").status_code == 405
    response = client.post("/applicant/logout")
    assert response.status_code == 400
    assert "页面已过期或来源不正确" in text(response)
    db.session.refresh(applicant)
    assert applicant.session_token is not None  # still logged in
    assert "王建国，您好！" in text(client.get("/applicant/"))


def test_next_is_followed_only_when_local(client, db, applicant):
    assert login(client, applicant.id_number, next="/applicant/history").headers["Location"] == "/applicant/history"
    logout(client)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert login(client, applicant.id_number, next=evil).headers["Location"] == "/applicant/"
        logout(client)


def test_anonymous_visitor_is_sent_to_the_home_page_with_next(client, db, applicant):
    response = client.get("/applicant/history")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?next=/applicant/history"
    page = text(client.get(response.headers["Location"]))
    assert "请先登录。" in page
    assert 'value="/applicant/history"' in client.get("/?next=/applicant/history").get_data(as_text=True)


def test_staff_cannot_use_the_applicant_pages(client, db):
    staff = make_staff("shenhe")
    login_as(client, staff)
    response = client.get("/applicant/")
    assert response.headers["Location"] == "/"
    assert "审核人员账号不能进入注册人员页面" in text(client.get("/"))


def test_first_generation_id_logs_in_until_upgraded(client, db):
    person = make_person(id_number="211322640220001")
    make_certificate(person)
    db.session.commit()
    assert login(client, "211322640220001").headers["Location"] == "/applicant/"


def test_other_id_types_log_in(client, db):
    person = make_person(id_type=IdType.PASSPORT, id_number="E12345678")
    db.session.commit()
    assert "身份证号码应为18位" in text(login(client, "E12345678"))  # 证件类型 left at 居民身份证
    assert login(client, "e12345678", id_type="passport").headers["Location"] == "/applicant/"
    assert person.id


def test_hash_with_old_parameters_is_replaced_at_login(client, db, applicant):
    passwords.configure_hasher(time_cost=2, memory_cost=8, parallelism=1)
    try:
        applicant.password_hash = hash_password(PASSWORD)
        db.session.commit()
        old_hash = applicant.password_hash
    finally:
        passwords.configure_hasher(time_cost=1, memory_cost=8, parallelism=1)
    login(client, applicant.id_number)
    db.session.refresh(applicant)
    assert applicant.password_hash != old_hash
    assert "t=1" in applicant.password_hash


def test_temporary_password_must_be_changed_before_anything_else(app, client, db, applicant):
    applicant.must_change_password = True
    db.session.commit()
    assert login(client, applicant.id_number).headers["Location"] == "/applicant/"
    for path in ("/applicant/", "/applicant/history", "/applicant/renewal/", "/applicant/update-id"):
        assert client.get(path).headers["Location"] == "/applicant/change-password"
    page = text(client.get("/applicant/change-password"))
    assert "您正在使用注册机构设置的临时密码" in page

    page = text(post_form(client, "/applicant/change-password", {
        "current_password": "Nope2026", "password": "Mine2026ab", "confirm": "Mine2026ab"}))
    assert "当前密码不正确。" in page
    page = text(post_form(client, "/applicant/change-password", {
        "current_password": PASSWORD, "password": "Mine2026ab", "confirm": "Mine2026ac"}))
    assert "两次输入的密码不一致。" in page
    page = text(post_form(client, "/applicant/change-password", {
        "current_password": PASSWORD, "password": "abcdefgh", "confirm": "abcdefgh"}))
    assert "密码过于常见或容易猜到" in page
    db.session.refresh(applicant)
    assert applicant.must_change_password is True
    old_token = applicant.session_token

    response = post_form(client, "/applicant/change-password", {
        "current_password": PASSWORD, "password": "Mine2026ab", "confirm": "Mine2026ab"})
    assert response.headers["Location"] == "/applicant/"
    db.session.refresh(applicant)
    assert applicant.must_change_password is False
    assert applicant.session_token and applicant.session_token != old_token
    assert passwords.verify_password(applicant.password_hash, "Mine2026ab")
    page = text(client.get("/applicant/"))
    assert "王建国，您好！" in page and "密码已修改。" in page
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "account.change_password")) == 1


def test_password_change_ends_the_other_sessions(app, client, db, applicant):
    login(client, applicant.id_number)
    cookie = client.get_cookie("session").value
    post_form(client, "/applicant/change-password", {
        "current_password": PASSWORD, "password": "Mine2026ab", "confirm": "Mine2026ab"})
    stale = app.test_client()
    stale.set_cookie("session", cookie)  # a copy of the old session cookie
    refused = stale.get("/applicant/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/?next=")
    page = client.get("/applicant/")
    assert page.status_code == 200 and applicant.name in text(page) and "功能目录" in text(page)


def test_login_page_get_goes_to_the_home_page(client):
    response = client.get("/applicant/login?next=/applicant/history")
    assert response.headers["Location"] == "/?next=/applicant/history"


def test_logged_in_person_sees_a_link_to_the_personal_page_on_the_home_page(client, db, applicant):
    login(client, applicant.id_number)
    page = text(client.get("/"))
    assert "您已登录：王建国。" in page and "进入个人页面" in page
    assert csrf_token(client, "/")  # the header's 安全退出 form


def test_the_login_speaks_english_when_chosen(client, db, applicant):
    client.get("/lang/en")
    page = text(client.get("/"))
    assert "Applicant login" in page and "ID number" in page and "Set password" in page
    page = text(login(client, applicant.id_number, "Wrong2026x"))
    assert "Wrong ID number or password. After 5 wrong passwords in a row the account is locked for 15 minutes." in page


def test_applicant_logout_leaves_a_staff_session_alone(client, db):
    staff = make_staff("shenhe2")
    login_as(client, staff)
    token = csrf_token(client, "/")
    assert client.post("/applicant/logout", data={"csrf_token": token}).headers["Location"] == "/"
    db.session.refresh(staff)
    assert staff.session_token is not None
    with client.session_transaction() as session:
        assert session["_user_id"] == staff.get_id()
