"""证件信息更正 (guide 七.3) in real browsers: the reviewer of the applicant's body files the request with the fax
scan, central staff open the scan and apply it, the filing body sees the answer, and the applicant logs in with
the corrected ID number and reads the guide's notice. Also: a reviewer's temporary password for an applicant
without email, which the applicant must change at once."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from portal import clock
from portal.models import IdentityCorrection, Person, StaffRole
from portal.services.infrastructure.passwords import verify_password
from portal.validators import make_resident_id
from tests.browser.conftest import screenshot
from tests.browser.test_reviewer_loop import applicant_login, staff_login
from tests.factories import make_certificate, make_person, make_staff

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_reviewer_files_central_applies_applicant_logs_in_with_the_new_number(page, new_page, db, tmp_path):
    wrong = make_resident_id("211322", date(1975, 5, 5), 135)
    right = make_resident_id("211322", date(1975, 5, 5), 153)
    person = make_person(name="王建国", id_number=wrong)
    make_certificate(person)
    make_staff("liaoning", body_code="210000")
    make_staff("center", role=StaffRole.CENTRAL)
    db.session.commit()
    scan = tmp_path / "传真.pdf"
    scan.write_bytes(PDF)

    # The registration body files the request from the person's page
    reviewer = page
    staff_login(reviewer, "liaoning")
    reviewer.get_by_role("link", name="注册人员", exact=True).click()
    reviewer.get_by_placeholder("姓名或证件号码").fill("王建国")
    reviewer.keyboard.press("Enter")
    reviewer.get_by_role("link", name="王建国").click()
    reviewer.get_by_role("link", name="提交证件信息更正").click()
    reviewer.locator("#id_number").fill(right[:-1] + ("0" if right[-1] != "0" else "1"))
    reviewer.get_by_label("更正原因").fill("证件号码第15至17位录入错误，依据居民身份证原件更正。")
    reviewer.get_by_label("传真日期").fill(clock.today().isoformat())
    reviewer.get_by_label("传真页数").fill("2")
    reviewer.get_by_label("传真扫描件（可选）").set_input_files(str(scan))
    reviewer.get_by_role("button", name="提交更正申请").click()
    expect(reviewer.locator("#id_number-error")).to_contain_text("校验位")  # a typo is caught beside the field
    reviewer.locator("#id_number").fill(right)
    reviewer.get_by_label("传真扫描件（可选）").set_input_files(str(scan))
    screenshot(reviewer, "correction-new-desktop")
    reviewer.get_by_role("button", name="提交更正申请").click()
    expect(reviewer.get_by_text("更正申请已提交")).to_be_visible()
    expect(reviewer.locator("#changes")).to_contain_text(right)
    screenshot(reviewer, "correction-filed-desktop")

    # Central staff open the pending request, view the scan, and apply it
    central = new_page()
    central.on("dialog", lambda dialog: dialog.accept())
    staff_login(central, "center")
    central.get_by_role("link", name="证件信息更正", exact=True).click()
    expect(central.locator("table.model-list")).to_contain_text("王建国")
    screenshot(central, "correction-list-desktop")
    central.get_by_role("link", name="王建国").click()
    with central.expect_popup() as popup:
        central.get_by_role("link", name="查看传真扫描件").click()
    assert popup.value.url.endswith(f"/reviewer/corrections/scan/?id={_correction_id(db)}")
    popup.value.close()
    screenshot(central, "correction-pending-central-desktop")
    central.get_by_role("button", name="予以更正").click()
    expect(central.get_by_text("已予以更正")).to_be_visible()

    # The filing body sees the answer
    reviewer.reload()
    expect(reviewer.locator("body")).to_contain_text("已更正")
    expect(reviewer.locator("body")).to_contain_text("可登录注册管理系统进行注册或者查询")
    screenshot(reviewer, "correction-answered-desktop")
    reviewer.set_viewport_size(PHONE)
    screenshot(reviewer, "correction-answered-phone")

    # The applicant: the old number no longer works, the new one does, and the notice is there
    applicant = new_page()
    applicant_login(applicant, wrong)
    expect(applicant.locator("body")).to_contain_text("证件号码或密码不正确")
    applicant_login(applicant, right)
    expect(applicant.get_by_text("可登录注册管理系统进行注册或者查询")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(Person.id_number).where(Person.id == person.id)) == right


def _correction_id(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(IdentityCorrection.id))


def test_temporary_password_from_the_body_must_be_changed(page, new_page, db):
    person = make_person(name="赵丽", email=None)
    make_certificate(person)
    make_staff("liaoning", body_code="210000")
    db.session.commit()

    page.on("dialog", lambda dialog: dialog.accept())
    staff_login(page, "liaoning")
    page.goto(f"/reviewer/people/details/?id={person.id}")
    page.get_by_role("button", name="重置密码").click()
    expect(page.locator("#temporary-password")).to_contain_text("此密码只显示这一次")
    temporary = page.locator("[data-password]").inner_text().strip()
    screenshot(page, "reviewer-password-reset-desktop")

    applicant = new_page()
    applicant_login(applicant, person.id_number, temporary)
    expect(applicant.get_by_role("heading", name="修改密码")).to_be_visible()
    applicant.goto("/applicant/renewal/")  # nothing else until the password is changed
    expect(applicant.get_by_role("heading", name="修改密码")).to_be_visible()
    applicant.get_by_label("当前密码").fill(temporary)
    applicant.get_by_label("新密码", exact=True).fill("MyOwnPass2027")
    applicant.get_by_label("确认新密码").fill("MyOwnPass2027")
    applicant.get_by_role("button", name="修改密码").click()
    expect(applicant.get_by_text("密码已修改")).to_be_visible()
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert not person.must_change_password and verify_password(person.password_hash, "MyOwnPass2027")
