"""The applicant account flows in Chromium, through the guide's labels: 设置密码 → 登录 → 个人页面 → 安全退出;
the live-session lock; 忘记密码 by mail; 首次登录补全信息; 更新身份证号."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_certificate, make_person
from tests.smtp_server import plain_text, smtp_server  # noqa: F401

NEW_PASSWORD = "Anquan2026x"


@pytest.fixture
def app_config(smtp_server):  # noqa: F811 - the fixture imported above
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def log_in(page, id_number: str, password: str = PASSWORD) -> None:
    """注册申请登录 on the home page."""
    page.goto("/")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def log_out(page) -> None:
    page.locator(".acc-menu").get_by_role("button", name="安全退出").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()


def test_set_password_then_login_then_personal_page_then_logout(page, new_page, db):
    person = make_person(name="孙磊", password=None)
    make_certificate(person, days_left=60)
    db.session.commit()

    page.goto("/")
    page.get_by_role("link", name="设置密码").click()
    expect(page.get_by_role("heading", name="设置密码：身份验证")).to_be_visible()
    page.get_by_label("已获得《注册安全工程师执业证》的人员").check()
    page.get_by_label("姓名").fill("孙磊")
    page.get_by_label("证件号码").fill(person.id_number)
    page.get_by_role("button", name="下一步").click()

    expect(page.get_by_text(f"身份验证通过：孙磊（{person.masked_id_number}）。")).to_be_visible()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="设置密码").click()
    expect(page.get_by_text("两次输入的密码不一致。")).to_be_visible()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    screenshot(page, "accounts-set-password-step2-desktop")
    page.get_by_role("button", name="设置密码").click()
    expect(page.get_by_text("密码设置成功，请使用证件号码和新密码登录。")).to_be_visible()

    log_in(page, person.id_number, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="孙磊，您好！")).to_be_visible()
    expect(page.get_by_role("heading", name="功能目录")).to_be_visible()
    expect(page.get_by_role("link", name="延续注册", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="历史记录")).to_be_visible()
    expect(page.get_by_text("现已可以申请延续注册")).to_be_visible()
    screenshot(page, "accounts-personal-page-desktop")
    phone = new_page(390, 844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/applicant/")
    expect(phone.get_by_role("heading", name="孙磊，您好！")).to_be_visible()
    screenshot(phone, "accounts-personal-page-phone")

    log_out(page)
    page.goto("/applicant/")
    expect(page.get_by_text("请先登录。")).to_be_visible()


def test_set_password_identity_not_found_shows_the_guide_advice(page, new_page, db):
    page.goto("/applicant/set-password")
    page.get_by_label("考试合格、尚未取得执业证的人员").check()
    page.get_by_label("姓名").fill("周杰")
    page.get_by_label("证件号码").fill("110105199005200196")
    page.get_by_role("button", name="下一步").click()
    alert = page.locator(".acc-failure")
    expect(alert).to_contain_text("没有您的考试信息")
    expect(alert).to_contain_text("是否为考试时所用证件的号码")
    screenshot(page, "accounts-set-password-failure-desktop")


def test_a_second_login_is_refused_while_a_session_is_live_and_works_after_logout(page, new_page, db):
    person = make_person()
    make_certificate(person)
    db.session.commit()
    log_in(page, person.id_number)
    expect(page.get_by_role("heading", name="王建国，您好！")).to_be_visible()

    other = new_page()  # another browser: its own cookies
    log_in(other, person.id_number)
    expect(other.get_by_role("alert")).to_contain_text("该账号已在其他地方登录")
    expect(other.get_by_role("alert")).to_contain_text(re.compile(r"账号将于 \d{4}-\d\d-\d\d \d\d:\d\d 自动解锁"))
    screenshot(other, "accounts-login-refused-desktop")
    phone = new_page(390, 844)
    log_in(phone, person.id_number, "Wrong2026x")
    expect(phone.get_by_role("alert")).to_contain_text("证件号码或密码不正确")
    screenshot(phone, "accounts-login-error-phone")

    page.locator(".site-header").get_by_role("button", name="安全退出").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    log_in(other, person.id_number)
    expect(other.get_by_role("heading", name="王建国，您好！")).to_be_visible()


def test_forgot_password_by_mail_end_to_end(page, db, smtp_server):  # noqa: F811
    person = make_person(email="wang@example.com")
    make_certificate(person)
    db.session.commit()
    page.goto("/")
    page.get_by_role("link", name="忘记密码").click()
    page.get_by_label("姓名").fill("王建国")
    page.get_by_label("证件号码").fill(person.id_number)
    page.get_by_label("电子邮箱").fill("wang@example.com")
    screenshot(page, "accounts-forgot-password-desktop")
    page.get_by_role("button", name="发送找回密码邮件").click()
    expect(page.get_by_role("heading", name="请查收邮件")).to_be_visible()

    message = smtp_server.wait_for(1)[0]
    link = re.search(r"https?://\S+/applicant/reset-password/\S+", plain_text(message)).group(0)
    page.goto(link)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="设置密码").click()
    expect(page.get_by_text("新密码已设置，请使用新密码登录。")).to_be_visible()

    page.goto(link)
    expect(page.get_by_text("找回密码链接无效、已使用或已过期")).to_be_visible()
    log_in(page, person.id_number, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="王建国，您好！")).to_be_visible()


def test_first_login_completion(page, new_page, db):
    person = make_person(name="孙磊", employer_kind=None, mobile=None)
    make_certificate(person)
    db.session.commit()
    log_in(page, person.id_number)
    expect(page.get_by_role("heading", name="首次登录补全信息")).to_be_visible()
    page.goto("/applicant/history")
    expect(page).to_have_url(re.compile(r"/applicant/complete-profile$"))

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("请选择单位属性。")).to_be_visible()
    screenshot(page, "accounts-complete-profile-desktop")
    phone = new_page(390, 844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/applicant/complete-profile")
    screenshot(phone, "accounts-complete-profile-phone")

    page.get_by_label("注册类别").select_option(label="化工安全")
    page.get_by_label("单位属性").select_option(label="安全生产专业服务机构")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("信息已保存。")).to_be_visible()
    expect(page.get_by_role("heading", name="孙磊，您好！")).to_be_visible()
    db.session.refresh(person)
    assert person.employer_kind is not None and person.mobile == "13912345678"


def test_upgrade_a_15_digit_id_then_log_in_with_the_new_number(page, db):
    person = make_person(name="刘芳", id_number="211322640220001")
    make_certificate(person)
    db.session.commit()
    log_in(page, "211322640220001")
    page.get_by_role("link", name="更新身份证号").click()
    page.get_by_label("新身份证号码（18位）").fill("211322196402210011")
    page.get_by_role("button", name="更新身份证号").click()
    expect(page.get_by_text("证件信息更正程序")).to_be_visible()
    screenshot(page, "accounts-update-id-refused-desktop")

    page.get_by_label("新身份证号码（18位）").fill("211322196402200016")
    page.get_by_role("button", name="更新身份证号").click()
    expect(page.get_by_role("heading", name="身份证号码已更新")).to_be_visible()
    page.get_by_role("link", name="返回个人页面").click()
    log_out(page)

    log_in(page, "211322640220001")
    expect(page.get_by_role("alert")).to_contain_text("证件号码或密码不正确")
    log_in(page, "211322196402200016")
    expect(page.get_by_role("heading", name="刘芳，您好！")).to_be_visible()
    expect(page.get_by_role("link", name="更新身份证号")).to_have_count(0)
