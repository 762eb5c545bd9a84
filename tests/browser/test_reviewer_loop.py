"""The whole loop across both sides, in real browsers: the applicant submits a renewal through the wizard → a
reviewer of the right body 退回 with a reason → the applicant reads it, resubmits → the reviewer 初审通过 →
central 准予延续注册 → the applicant's certificate shows the new expiry date and 历史记录 shows 准予注册."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from portal import clock
from portal.models import (
    Application,
    ApplicationStatus,
    ContinuingEducation,
    Employer,
    EmployerKind,
    StaffRole,
    WorkHistory,
)
from portal.services.infrastructure.dates import add_years
from portal.validators import make_credit_code
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_certificate, make_person, make_staff

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def ready_applicant(db):
    """A Liaoning certificate holder inside the renewal window whose profile already has everything the wizard
    asks for (employer, 48 学时 of continuing education, work history)."""
    employer = Employer(name="辽宁华信化工有限公司", credit_code=make_credit_code("91210100MA0Y12345"),
                        kind=EmployerKind.PRODUCTION, address="辽宁省沈阳市和平区南京北街1号",
                        contact_person="赵敏", contact_phone="024-23456789")
    db.session.add(employer)
    person = make_person(name="王建国", employer=employer, education="大学本科", major="安全工程",
                         title="高级工程师", mobile="13912345678", address="辽宁省沈阳市和平区南京北街1号",
                         postcode="110001")
    certificate = make_certificate(person, days_left=40)
    today = clock.today()
    for course, days_ago, hours in (("危险化学品安全管理", 300, 30), ("安全生产法律法规", 200, 18)):
        start = today - timedelta(days=days_ago)
        db.session.add(ContinuingEducation(person=person, course=course, organiser="辽宁省安全生产培训中心",
                                           start_date=start, end_date=start + timedelta(days=2), hours=hours))
    db.session.add(WorkHistory(person=person, start_date=date(2006, 1, 1), end_date=None,
                               employer_name="辽宁华信化工有限公司", position="安全部部长", duties="安全管理"))
    db.session.commit()
    return person, certificate


def applicant_login(page, id_number: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def staff_login(page, username: str) -> None:
    page.goto("/reviewer/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="安全退出")).to_be_visible()


def walk_to_submit(page) -> None:
    """Through the wizard's steps with the pre-filled data, to 上报."""
    for _ in range(8):
        current = page.locator(".steps li.current").inner_text()
        if current == "上报":
            return
        if current == "预览":
            page.get_by_role("link", name="确认无误，下一步").click()
        elif page.get_by_role("button", name="保存，下一步").count():
            page.get_by_role("button", name="保存，下一步").click()
        else:
            page.get_by_role("button", name="下一步").click()
    raise AssertionError("the wizard did not reach 上报")


def test_submit_return_resubmit_pass_approve(page, new_page, db):
    person, certificate = ready_applicant(db)
    make_staff("liaoning", body_code="210000")
    make_staff("jilin", body_code="220000")
    make_staff("center", role=StaffRole.CENTRAL)
    db.session.commit()
    old_expiry = certificate.valid_until
    page.on("dialog", lambda dialog: dialog.accept())

    # The applicant submits through the wizard
    applicant_login(page, person.id_number)
    page.get_by_role("link", name="延续注册").first.click()
    page.get_by_role("button", name="开始延续注册").click()
    walk_to_submit(page)
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()
    number = page.locator("#application-number").inner_text()

    # A reviewer of another body does not see it
    other = new_page()
    staff_login(other, "jilin")
    other.get_by_role("link", name="初审", exact=True).click()
    expect(other.locator("table.model-list")).not_to_contain_text(number)

    # The reviewer of the applicant's body returns it, listing what is missing
    reviewer = new_page()
    staff_login(reviewer, "liaoning")
    reviewer.get_by_role("link", name="初审", exact=True).click()
    expect(reviewer.locator("table.model-list")).to_contain_text(number)
    screenshot(reviewer, "reviewer-queue-desktop")
    reviewer.get_by_role("link", name=number).click()
    expect(reviewer.locator(".af")).to_contain_text(person.id_number)
    screenshot(reviewer, "reviewer-detail-desktop")
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.locator("#return-reason-error")).to_contain_text("请勾选需要补正的材料，或填写退回原因")
    reason = "1. 继续教育证明缺少培训机构盖章；2. 请补充2006年以来的职务变动情况。"
    reviewer.get_by_label("其他需要补正的内容").fill(reason)
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.get_by_text("已退回申请人修改")).to_be_visible()

    # The applicant reads the reason and resubmits
    page.goto("/applicant/")
    expect(page.get_by_text("继续教育证明缺少培训机构盖章").first).to_be_visible()
    page.locator("#kinds").get_by_role("link", name="继续办理").click()
    expect(page.get_by_text(reason).first).to_be_visible()
    walk_to_submit(page)
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="重新上报", exact=True).click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()
    assert page.locator("#application-number").inner_text() == number

    # The reviewer passes it; central approves it
    reviewer.get_by_role("link", name="初审", exact=True).click()
    reviewer.get_by_role("link", name=number).click()
    reviewer.get_by_role("button", name="初审通过").click()
    reviewer.get_by_role("button", name="确认初审通过").click()  # 初审通过 is confirmed once more
    expect(reviewer.get_by_text("已初审通过")).to_be_visible()

    central = new_page()
    staff_login(central, "center")
    central.get_by_role("link", name="审批", exact=True).click()
    expect(central.locator("table.model-list")).to_contain_text(number)
    central.get_by_role("link", name=number).click()
    expect(central.locator("#decisions")).to_contain_text("准予延续注册")
    central.get_by_role("button", name="准予延续注册").click()
    central.get_by_role("button", name="确认准予延续注册").click()
    expect(central.get_by_text("已准予延续注册")).to_be_visible()
    new_expiry = add_years(old_expiry, 5)

    # The applicant sees the new expiry date and 准予注册 in 历史记录
    page.goto("/applicant/")
    expect(page.locator("body")).to_contain_text(f"执业证有效期延续至 {new_expiry.isoformat()}")
    page.get_by_role("link", name="历史记录").first.click()
    row = page.locator("#history tbody tr").first
    expect(row).to_contain_text(number)
    expect(row.locator(".badge")).to_have_text("准予注册")

    db.session.expire_all()
    application = db.session.query(Application).one()
    assert application.status is ApplicationStatus.APPROVED
    assert application.certificate.valid_until == new_expiry
    assert [event.action for event in application.events] == ["submit", "return", "resubmit", "initial_pass",
                                                               "approve"]
