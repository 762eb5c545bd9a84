"""The public and account pages as people see them, captcha on, at desktop (1280) and phone (390) widths.

The captcha's text is fixed for these tests (the image is still drawn and the answer still checked on the
server), so the browser can log in through it like a person reading the picture.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Announcement, Body, Document, DocumentKind
from tests.browser.conftest import screenshot
from tests.factories import make_certificate, make_person

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def app_config():
    return {"CAPTCHA_ENABLED": True}


@pytest.fixture(autouse=True)
def readable_captcha(monkeypatch):
    monkeypatch.setattr("portal.services.infrastructure.challenges.new_captcha_text", lambda: "AB3K")


@pytest.fixture
def content(db):
    db.session.add_all([
        Announcement(title="关于开展2026年度注册安全工程师延续注册工作的通知", body="各注册机构：……"),
        Announcement(title="注册管理系统维护公告", body="系统将于每周日凌晨进行例行维护。"),
        Document(kind=DocumentKind.FORM, title="注册安全工程师延续注册申请表（空白）", template="renewal_blank.html"),
        Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定",
                 issued_by="国家安全生产监督管理总局令第11号", body="第一条 ……"),
    ])
    body = db.session.query(Body).filter_by(code="210000").one()
    body.address, body.phone, body.fax, body.email = "辽宁省沈阳市和平区示例路1号", "024-12345678", "024-12345679", \
        "zhuce@example.gov.cn"
    db.session.commit()


def captcha_loaded(page) -> None:
    expect(page.locator("img.captcha-img")).to_have_js_property("complete", True)
    assert page.locator("img.captcha-img").evaluate("img => img.naturalWidth") == 160


@pytest.mark.parametrize("size", WIDTHS)
def test_public_pages(new_page, db, content, size):
    page = new_page(*WIDTHS[size])
    page.goto("/")
    expect(page.get_by_role("tab", name="注册申请登录")).to_be_visible()
    captcha_loaded(page)
    screenshot(page, f"accounts-home-{size}")
    page.goto("/bodies?q=辽宁")
    expect(page.get_by_text("024-12345678")).to_be_visible()
    screenshot(page, f"accounts-bodies-{size}")
    for path, name in (("/announcements", "announcements"), ("/forms", "forms"), ("/regulations", "regulations")):
        page.goto(path)
        screenshot(page, f"accounts-{name}-{size}")


@pytest.mark.parametrize("size", WIDTHS)
def test_set_password_and_forgot_password_pages(new_page, db, size):
    page = new_page(*WIDTHS[size])
    page.goto("/applicant/set-password")
    captcha_loaded(page)
    screenshot(page, f"accounts-set-password-{size}")
    page.get_by_label("姓名").fill("孙磊")
    page.get_by_label("证件号码").fill("211322196402200017")
    page.get_by_label("验证码").fill("AB3K")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_text("身份证号码校验位不正确")).to_be_visible()
    screenshot(page, f"accounts-set-password-error-{size}")
    page.goto("/applicant/forgot-password")
    captcha_loaded(page)
    screenshot(page, f"accounts-forgot-password-{size}")


def test_login_through_the_captcha(page, db):
    person = make_person()
    make_certificate(person, days_left=200)
    db.session.commit()
    page.goto("/")
    page.get_by_label("证件号码").fill(person.id_number)
    page.get_by_label("密码", exact=True).fill("Secret2026")
    page.get_by_label("验证码").fill("ZZZZ")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("验证码不正确或已过期，请重新输入。")).to_be_visible()
    captcha_loaded(page)
    screenshot(page, "accounts-login-captcha-error-desktop")
    page.get_by_label("密码", exact=True).fill("Secret2026")
    page.get_by_label("验证码").fill("ab3k")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="王建国，您好！")).to_be_visible()
    expect(page.get_by_text("延续注册须在有效期满前3个月内申请")).to_be_visible()
