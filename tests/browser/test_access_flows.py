"""The applicant's session and progress as people meet them in the browser: 「结束其他登录并继续」, the idle
warning and its 继续 (timeouts of seconds here, minutes in production), the draft an idle logout keeps, the
continuing-education step marked incomplete, the current notice first, and 「大字」."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal.models import ApplicationStatus, AuditLog, Person
from portal.services.infrastructure.notices import notify
from portal.services.infrastructure.passwords import hash_password
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, login_as, make_application, make_certificate, make_person
from tests.test_renewal_support import fill_wizard


def log_in(page, person) -> None:
    page.goto("/")
    page.locator("#id_number").fill(person.id_number)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action$='/login'] button[type=submit]").click()


@pytest.fixture
def holder(db):
    person = make_person(name="王建国")
    make_certificate(person)
    db.session.commit()
    return person


def test_ending_the_other_login_lets_the_phone_in_and_tells_the_desktop_why(new_page, db, holder):
    desktop, phone = new_page(), new_page(390, 844)
    log_in(desktop, holder)
    expect(desktop.get_by_text("王建国，您好！")).to_be_visible()

    log_in(phone, holder)  # the desktop's session is live: refused, with the way out
    expect(phone.get_by_role("heading", name="账号已在其他地方登录")).to_be_visible()
    expect(phone.get_by_text("自动解锁")).to_be_visible()
    expect(phone.get_by_text("辽宁省应急管理厅")).to_be_visible()  # the body to call
    screenshot(phone, "access-take-over-phone")
    phone.get_by_role("button", name="结束其他登录并继续").click()
    expect(phone.get_by_text("王建国，您好！")).to_be_visible()

    desktop.reload()  # its next request: ended, and told why
    expect(desktop.get_by_text("您的账号已在其他地方登录（选择了“结束其他登录并继续”）")).to_be_visible()
    expect(desktop.get_by_text("王建国，您好！")).to_have_count(0)
    db.session.expire_all()
    row = db.session.query(AuditLog).filter_by(action="account.session_taken_over").one()
    assert row.person_id == holder.id and holder.masked_id_number in row.summary and row.data["ended"]
    assert holder.id_number not in row.summary


def test_the_refusal_page_gives_the_body_phone(new_page, db, holder):
    holder.body.phone = "024-12345678"
    db.session.commit()
    first, second = new_page(), new_page()
    log_in(first, holder)
    log_in(second, holder)
    expect(second.get_by_role("link", name="024-12345678")).to_have_attribute("href", "tel:024-12345678")


def test_a_stale_take_over_does_not_log_in(new_page, db, holder, app):
    first, second = new_page(), new_page()
    log_in(first, holder)
    log_in(second, holder)
    holder.password_hash = hash_password("Another2026")  # the password was changed meanwhile
    db.session.commit()
    second.get_by_role("button", name="结束其他登录并继续").click()
    expect(second.get_by_text("操作已过期，请重新输入密码登录。")).to_be_visible()
    first.reload()
    expect(first.get_by_text("王建国，您好！")).to_be_visible()  # the first session goes on


@pytest.mark.parametrize("app_config", [{"IDLE_TIMEOUT_MINUTES": 0.2, "IDLE_WARNING_MINUTES": 0.1}])
def test_idle_warning_continue_and_the_logout_that_keeps_a_draft(app, new_page, db, holder):
    """Timeout 12 s, warning 6 s before: the warning comes, 继续 extends the session; left alone, the page logs out
    with 「您已因…分钟未操作自动退出」, keeping what was typed in step 1, which is back after the next login."""
    client = app.test_client()
    login_as(client, holder)
    fill_wizard(client)
    db.session.refresh(holder)
    holder.session_token = None
    db.session.commit()

    page = new_page(390, 844)
    log_in(page, holder)
    page.goto("/applicant/renewal/personal")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=12_000)
    expect(warning.get_by_role("heading")).to_have_text("即将因长时间未操作自动退出")
    expect(warning.get_by_role("button", name="继续")).to_be_focused()
    screenshot(page, "access-idle-warning-phone")
    warning.get_by_role("button", name="继续").click()
    expect(warning).to_be_hidden()
    db.session.expire_all()
    assert db.session.get(Person, holder.id).session_token is not None  # still logged in

    page.get_by_label("技术职称").fill("正高级工程师")  # typed, not saved
    expect(page.get_by_text("您已因1分钟未操作自动退出，请重新登录。")).to_be_visible(timeout=20_000)
    assert urlsplit(page.url).path == "/"  # the home page
    db.session.expire_all()
    assert db.session.get(Person, holder.id).session_token is None

    log_in(page, holder)
    page.goto("/applicant/renewal/personal")
    expect(page.get_by_text("已恢复您因长时间未操作自动退出前填写但未保存的内容")).to_be_visible()
    expect(page.get_by_label("技术职称")).to_have_value("正高级工程师")
    expect(page.get_by_label("所学专业")).to_have_value("安全工程")


@pytest.mark.parametrize("app_config", [{"IDLE_TIMEOUT_MINUTES": 0.2, "IDLE_WARNING_MINUTES": 0.1}])
def test_a_page_opened_after_the_timeout_says_why(new_page, db, holder):
    """A tab closed (or a phone asleep) past the timeout: the next page still says why, not just 「请先登录」."""
    page = new_page()
    log_in(page, holder)
    expect(page.get_by_text("王建国，您好！")).to_be_visible()
    context = page.context
    page.close()
    time.sleep(13)
    page = context.new_page()
    page.goto("/applicant/history")
    expect(page.get_by_text("您已因1分钟未操作自动退出，请重新登录。")).to_be_visible()


def test_education_below_the_required_hours_is_marked_incomplete_with_a_link(app, new_page, db, holder):
    client = app.test_client()
    login_as(client, holder)
    fill_wizard(client, hours=(24,))
    db.session.refresh(holder)
    holder.session_token = None
    db.session.commit()

    page = new_page()
    log_in(page, holder)
    page.goto("/applicant/renewal/preview")
    step = page.locator(".steps li.incomplete")
    expect(step).to_have_count(1)
    expect(step).to_contain_text("继续教育信息")
    expect(step).to_contain_text("还差24学时（已有24/48学时）")
    expect(page.locator(".steps li.done")).to_have_count(3)  # 个人, 聘用单位, 工作经历: 继续教育 is not among them
    problem = page.locator(".rn-problems a", has_text="不足48学时")
    expect(problem).to_have_attribute("href", "/applicant/renewal/education")
    screenshot(page, "access-ce-incomplete-desktop")
    problem.click()
    expect(page.locator(".steps li.incomplete.current")).to_contain_text("继续教育信息")


def test_the_current_state_comes_first_and_old_notices_fold_away(new_page, db, holder):
    application = make_application(holder, status=ApplicationStatus.APPROVED)
    notify(holder, "returned", "您的延续注册申请已被退回修改，请修改后重新上报。", application)
    db.session.flush()
    notify(holder, "approved", "您的延续注册申请已准予注册。", application)
    db.session.commit()

    page = new_page(390, 844)
    log_in(page, holder)
    current = page.locator("#current-notices > li")
    expect(current.first).to_contain_text("已准予注册")
    expect(page.locator("#current-notices")).not_to_contain_text("请修改后重新上报")
    history = page.locator("#notice-history")
    expect(history.get_by_text("请修改后重新上报")).to_be_hidden()
    history.locator("summary").click()
    expect(history.get_by_text("请修改后重新上报")).to_be_visible()
    screenshot(page, "access-notices-phone")


def test_large_text_enlarges_the_page_and_is_remembered(new_page, db, holder):
    page = new_page(390, 844)
    page.goto("/")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16
    toggle = page.get_by_role("button", name="大字")
    toggle.focus()
    page.keyboard.press("Enter")  # reachable by keyboard
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    page.goto("/bodies")
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "access-large-text-phone")
