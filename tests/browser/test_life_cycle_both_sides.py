"""The registration life cycle across both sides, in Chromium: an exam passer sets a password and applies 初始注册
with uploads → the body 退回 marking one document → the applicant replaces only that one and resubmits → 初审通过 →
central 准予 → the certificate is on the personal page; the holder then applies 变更注册 to a new employer
(validity unchanged, a new body reviews) and later 注销 (the certificate shows 已注销); an expired holder's
重新注册 is granted with a new validity. The applicant's pages of each step: tests/browser/test_life_cycle.py."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    Certificate,
    CertificateStatus,
    ContinuingEducation,
    Person,
    StaffRole,
)
from tests.browser.conftest import screenshot
from tests.browser.test_life_cycle import (  # noqa: F401 - app_config, clock and scan are fixtures
    JIANGSU,
    LIAONING,
    add_work,
    app_config,
    at_step,
    clock,
    exam_passer_logs_in,
    fill_employer,
    fill_personal,
    log_in,
    scan,
    upload,
)
from tests.browser.test_reviewer_loop import staff_login
from tests.factories import make_certificate, make_exam_record, make_person, make_staff, new_id_number

K = ApplicationKind
S = ApplicationStatus


@pytest.fixture
def sharper_scan(tmp_path):
    path = tmp_path / "scan-again.jpg"
    Image.new("RGB", (1200, 900), (250, 250, 250)).save(path, format="JPEG")
    return path


def submit(page, *, again: bool = False) -> str:
    """From 预览 to 上报 (or 重新上报); the application's number."""
    at_step(page, "预览")
    expect(page.get_by_text("以下问题解决后才能上报")).to_have_count(0)
    page.get_by_role("link", name="确认无误，下一步").click()
    at_step(page, "上报")
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="重新上报" if again else "上报", exact=True).click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()
    return page.locator("#application-number").inner_text()


def decide(console, number: str, queue: str, button: str, confirm: str, done: str) -> None:
    console.get_by_role("link", name=queue, exact=True).click()
    console.get_by_role("link", name=number).click()
    console.get_by_role("button", name=button, exact=True).click()
    console.get_by_role("button", name=confirm, exact=True).click()
    expect(console.get_by_text(done).first).to_be_visible()


def application(db, number: str) -> Application:
    db.session.expire_all()
    return db.session.scalar(sa.select(Application).where(Application.number == number))


def test_initial_return_replace_approve_then_change_then_cancellation(page, new_page, db, scan, sharper_scan):  # noqa: F811
    id_number = new_id_number(date(1990, 3, 12))
    make_exam_record(name="孙丽", id_number=id_number, category=Category.CHEMICAL)
    make_staff("liaoning", body_code="210000")
    make_staff("jiangsu", body_code="320000")
    make_staff("center", role=StaffRole.CENTRAL)
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    # An exam passer sets a password and applies 初始注册 with uploads
    exam_passer_logs_in(page, "孙丽", id_number)
    page.locator("#kinds").get_by_role("link", name="初始注册", exact=True).click()
    page.get_by_role("button", name="开始初始注册").click()
    fill_personal(page)
    page.get_by_label("以上资格信息是我本人的").check()
    page.get_by_role("button", name="保存，下一步").click()
    fill_employer(page, "辽宁华信化工有限公司", LIAONING, "辽宁省沈阳市和平区南京北街1号")
    expect(page.locator("#routed-body")).to_contain_text("辽宁省")
    page.get_by_role("button", name="确认，下一步").click()
    add_work(page)
    for item in ("qualification", "contract", "id_card"):
        upload(page, item, scan)
    page.get_by_role("button", name="下一步").click()
    number = submit(page)
    upload(page, "signed_form", scan)

    # The Liaoning body returns it, marking the ID card's photo for replacement
    reviewer = new_page()
    staff_login(reviewer, "liaoning")
    reviewer.get_by_role("link", name="初审", exact=True).click()
    reviewer.get_by_role("link", name=number).click()
    expect(reviewer.locator("#decisions")).to_be_visible()
    id_card = application(db, number).materials
    marked = next(m for m in id_card if m.item == "id_card")
    reviewer.locator(f"#return-replace-{marked.id}").check()
    reviewer.locator(f"[name=return-replace-reason-{marked.id}]").fill("身份证照片模糊，请重新拍摄")
    reviewer.get_by_role("button", name="退回修改", exact=True).click()
    expect(reviewer.get_by_text("已退回申请人修改").first).to_be_visible()
    screenshot(reviewer, "life-cycle-returned-console")

    # The applicant replaces only that document and resubmits
    page.goto("/applicant/")
    expect(page.get_by_text("身份证照片模糊").first).to_be_visible()
    returned = application(db, number)
    assert returned.status is S.RETURNED
    page.goto(f"/applicant/applications/{returned.id}/materials")
    flagged = page.locator(f"[data-material='{marked.id}']")
    expect(flagged).to_contain_text("需要更换：身份证照片模糊")
    expect(page.locator("#upload-qualification")).to_have_count(0)  # the others stay as they are
    flagged.locator("summary").click()
    flagged.locator("input[type=file]").set_input_files(str(sharper_scan))
    flagged.get_by_role("button", name="上传替换").click()
    expect(page.locator(".mt-flagged")).to_have_count(0)
    screenshot(page, "life-cycle-replaced")
    page.goto("/applicant/")
    page.locator("#kinds").get_by_role("link", name="继续办理").click()  # a returned one resumes at 预览
    if page.locator(".steps li.current").inner_text() != "预览":
        page.locator(".steps").get_by_role("link", name="预览").click()
    assert submit(page, again=True) == number
    replaced = application(db, number)
    assert [m.content_type for m in replaced.materials if m.item == "id_card"] == ["image/jpeg"]
    assert replaced.status is S.SUBMITTED

    # 初审通过 by the body, 准予初始注册 by the center
    decide(reviewer, number, "初审", "初审通过", "确认初审通过", "已初审通过")
    central = new_page()
    staff_login(central, "center")
    decide(central, number, "审批", "准予初始注册", "确认准予初始注册", "已准予初始注册")

    # The certificate is on the personal page
    page.goto("/applicant/")
    person = db.session.scalar(sa.select(Person).where(Person.id_number == id_number))
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.person_id == person.id))
    assert certificate.number == "ZA202621000001"
    assert (certificate.valid_from, certificate.valid_until) == (date(2026, 11, 28), date(2031, 11, 28))
    expect(page.locator("body")).to_contain_text(certificate.number)
    screenshot(page, "life-cycle-initial-granted")

    # 变更注册 to a Jiangsu employer: reviewed by Jiangsu, validity unchanged
    page.locator("#kinds").get_by_role("link", name="变更注册", exact=True).click()
    page.get_by_role("button", name="开始变更注册").click()
    page.get_by_label("变更聘用单位").check()
    page.get_by_label("变更原因").fill("调入新单位工作")
    page.get_by_role("button", name="保存，下一步").click()
    fill_employer(page, "江苏苏化集团有限公司", JIANGSU, "江苏省南京市鼓楼区")
    expect(page.locator("#routed-body")).to_contain_text("江苏省")
    page.get_by_role("button", name="确认，下一步").click()
    for item in ("practice_cert", "release", "contract"):
        upload(page, item, scan)
    page.get_by_role("button", name="下一步").click()
    change_number = submit(page)
    upload(page, "signed_form", scan)
    page.goto("/applicant/")
    expect(page.locator("#changing")).to_have_text("变更中")

    jiangsu = new_page()
    staff_login(jiangsu, "jiangsu")
    decide(jiangsu, change_number, "初审", "初审通过", "确认初审通过", "已初审通过")
    decide(central, change_number, "审批", "准予变更注册", "确认准予变更注册", "已准予变更注册")
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert certificate.employer_name == "江苏苏化集团有限公司"
    assert (certificate.valid_from, certificate.valid_until) == (date(2026, 11, 28), date(2031, 11, 28))
    page.goto("/applicant/")
    expect(page.locator("#changing")).to_have_count(0)
    expect(page.locator("body")).to_contain_text(certificate.number)

    # 注销 by the holder, confirmed by the center: the certificate shows 已注销
    page.locator("#kinds").get_by_role("link", name="注销注册", exact=True).click()
    page.get_by_role("button", name="开始注销注册").click()
    page.get_by_label("离职").check()
    page.get_by_role("button", name="保存，下一步").click()
    at_step(page, "上传材料")
    page.get_by_role("button", name="下一步").click()
    cancel_number = submit(page)
    upload(page, "signed_form", scan)
    decide(jiangsu, cancel_number, "初审", "初审通过", "确认初审通过", "已初审通过")
    decide(central, cancel_number, "审批", "确认注销", "确认注销", "已确认注销")
    page.goto("/applicant/")
    expect(page.locator("body")).to_contain_text("已注销")
    screenshot(page, "life-cycle-cancelled")
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.REVOKED
    assert [application(db, n).status for n in (number, change_number, cancel_number)] == [S.APPROVED] * 3


def test_expired_holder_is_registered_again(page, new_page, db, scan):  # noqa: F811
    person = make_person(name="赵强")
    old = make_certificate(person, valid_until=date(2025, 3, 31))
    db.session.add(ContinuingEducation(person_id=person.id, course="危险化学品安全管理", organiser="辽宁省安全培训中心",
                                       start_date=date(2025, 5, 1), end_date=date(2025, 5, 6), hours=48))
    make_staff("liaoning", body_code="210000")
    make_staff("center", role=StaffRole.CENTRAL)
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, person.id_number)
    page.locator("#kinds").get_by_role("link", name="重新注册", exact=True).click()
    page.get_by_role("button", name="开始重新注册").click()
    fill_personal(page)
    fill_employer(page, "辽宁华信化工有限公司", LIAONING, "辽宁省沈阳市")
    page.get_by_role("button", name="确认，下一步").click()
    at_step(page, "继续教育信息")
    page.get_by_role("button", name="下一步").click()
    add_work(page)
    for item in ("qualification", "contract", "id_card", "ce_proof"):
        upload(page, item, scan)
    page.get_by_role("button", name="下一步").click()
    number = submit(page)
    upload(page, "signed_form", scan)

    reviewer = new_page()
    staff_login(reviewer, "liaoning")
    decide(reviewer, number, "初审", "初审通过", "确认初审通过", "已初审通过")
    central = new_page()
    staff_login(central, "center")
    decide(central, number, "审批", "准予重新注册", "确认准予重新注册", "已准予重新注册")

    db.session.expire_all()
    certificate = db.session.get(Certificate, old.id)
    assert certificate.status is CertificateStatus.VALID
    assert (certificate.valid_from, certificate.valid_until) == (date(2026, 11, 28), date(2031, 11, 28))
    page.goto("/applicant/")
    expect(page.locator("body")).to_contain_text("2031-11-28")
    screenshot(page, "life-cycle-reregistered")
    assert application(db, number).kind is K.REREGISTRATION
