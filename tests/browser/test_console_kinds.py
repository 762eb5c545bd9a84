"""The console for every kind in Chromium: a registration body files the 注销 of a person who has died and the
center confirms it (确认注销); the application list filtered by 申请类型 and a detail page of each kind, on the
demonstration data. Screenshots go to screens/ to be looked at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import Application, ApplicationKind, ApplicationStatus, Certificate, CertificateStatus, StaffRole
from tests.browser.conftest import screenshot
from tests.browser.test_reviewer_loop import staff_login
from tests.factories import make_application, make_certificate, make_person, make_staff

K, S = ApplicationKind, ApplicationStatus


def test_a_body_files_a_cancellation_and_the_center_confirms_it(page, new_page, db):
    person = make_person(name="王建国", body_code="210000")
    certificate = make_certificate(person)
    own = make_application(person)  # the person's own renewal, closed by the 注销
    make_staff("liaoning", body_code="210000")
    make_staff("center", role=StaffRole.CENTRAL)
    db.session.commit()

    reviewer = page
    staff_login(reviewer, "liaoning")
    reviewer.get_by_role("link", name="注册人员", exact=True).click()
    reviewer.get_by_placeholder("姓名或证件号码").fill("王建国")
    reviewer.keyboard.press("Enter")
    reviewer.get_by_role("link", name="王建国").click()
    reviewer.get_by_role("link", name="办理注销").click()
    expect(reviewer.locator("#cancellation-form")).to_contain_text(certificate.number)
    reviewer.get_by_role("button", name="下一步：确认").click()
    expect(reviewer.locator("#ground-error")).to_contain_text("请选择注销情形")  # beside the field
    reviewer.get_by_label("注销情形").select_option(label="死亡")
    reviewer.get_by_label("情况说明").fill("2026年11月20日因病去世，家属提交了死亡证明（编号 LN2026-1120）。")
    screenshot(reviewer, "console-kinds-cancellation-form")
    reviewer.get_by_role("button", name="下一步：确认").click()
    expect(reviewer.locator("#confirmation")).to_contain_text(re.compile(r"注销情形\s*死亡"))
    screenshot(reviewer, "console-kinds-cancellation-confirm")
    reviewer.get_by_role("button", name="确认办理注销").click()
    expect(reviewer.get_by_text("已报注册管理中心确认")).to_be_visible()
    expect(reviewer.locator("#kind-fields")).to_contain_text("注册机构办理")
    expect(reviewer.locator("#kind-fields")).to_contain_text("死亡")
    filed = db.session.scalar(select(Application).where(Application.filed_by_id.is_not(None)))
    assert filed.status is S.INITIAL_PASSED and filed.kind is K.CANCELLATION

    central = new_page()
    staff_login(central, "center")
    central.get_by_role("link", name="审批", exact=True).click()
    central.get_by_role("link", name=filed.number).click()
    expect(central.locator("#kind-fields")).to_contain_text("2026年11月20日因病去世")
    screenshot(central, "console-kinds-cancellation-detail-central")
    central.locator("#decisions").get_by_role("button", name="确认注销", exact=True).click()
    expect(central.locator("#confirmation")).to_contain_text("确认注销")
    central.locator("#confirm-decision").click()
    expect(central.get_by_text("已确认注销，执业证已注销。")).to_be_visible()

    db.session.expire_all()
    assert db.session.get(Application, filed.id).status is S.APPROVED
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.REVOKED
    assert db.session.get(Application, own.id).status is S.CLOSED
    reviewer.goto(f"/reviewer/people/details/?id={person.id}")
    expect(reviewer.locator(f'[data-certificate-status="{CertificateStatus.REVOKED.value}"]')).to_have_text("已注销")
    expect(reviewer.get_by_role("row", name=re.compile(filed.number))).to_contain_text("注销注册")
    screenshot(reviewer, "console-kinds-person-cancelled")
    expect(reviewer.get_by_role("link", name="办理注销")).to_have_count(0)


@pytest.mark.parametrize("app_config", [{"UPLOAD_STORAGE": "database"}])  # the demo's scans: no files
def test_the_list_by_kind_and_a_detail_page_of_each_kind_on_the_demo_data(page, app, db):
    from portal.services.data.demo import DEMO_STAFF_PASSWORD, load_demo_data
    from portal.services.infrastructure.outbox import no_mail

    with no_mail():
        load_demo_data()
    db.session.commit()
    page.goto("/reviewer/")
    page.get_by_label("用户名").fill("shenhe_ln")
    page.get_by_label("密码").fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="全部申请").click()
    # Flask-Admin's filter menu is a javascript: link its script takes over: wait for the script, or a click on a
    # loaded machine follows the link (which the Content-Security-Policy blocks)
    page.wait_for_load_state("load")
    page.get_by_role("link", name=re.compile("添加筛选")).click()
    page.get_by_role("link", name="申请类型", exact=True).click()
    page.locator("select.filter-val").last.select_option(label="初始注册", force=True)  # under select2
    with page.expect_navigation():
        page.locator("#filter_form").evaluate("form => form.requestSubmit()")  # its 应用 button shows on change
    expect(page.locator("#filter_form")).to_contain_text("初始注册")
    rows = page.locator("table.model-list tbody tr")
    expect(rows.first).to_contain_text("初始注册")
    assert all("初始注册" in text for text in rows.all_inner_texts())
    screenshot(page, "console-kinds-list-filtered")

    for kind in (K.INITIAL, K.LATE_INITIAL, K.CHANGE, K.REREGISTRATION, K.CANCELLATION):
        application = db.session.scalar(select(Application).where(
            Application.kind == kind, Application.status == S.SUBMITTED, Application.filed_by_id.is_(None)))
        page.goto(f"/reviewer/applications/details/?id={application.id}")
        card = page.locator("#kind-fields")
        expect(card).to_contain_text(f"申请事项 · {kind.text}")
        if kind in (K.INITIAL, K.LATE_INITIAL, K.REREGISTRATION):
            expect(card.locator("#exam-result")).to_contain_text("与考试信息一致")
        if kind in (K.LATE_INITIAL, K.REREGISTRATION):
            expect(card.locator("#education-hours")).to_contain_text("已满足")
        if kind is K.CHANGE:
            expect(card).to_contain_text("辽宁新港安全咨询有限公司")
        if kind is K.CANCELLATION:
            expect(card).to_contain_text("退休")
        screenshot(page, f"console-kinds-detail-{kind.value}")
