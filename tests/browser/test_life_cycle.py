"""The applicant side of every kind in Chromium, through the pages' own labels: an exam passer sets a password and
applies 初始注册 with uploads; a holder applies 变更注册 to a new employer; an expired holder applies 重新注册; a
holder applies 注销注册. Each wizard step of each kind and the 功能目录 are saved under screens/ (zh) to look at;
the console halves (退回, 初审通过, 准予) are the reviewers' tests."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    ContinuingEducation,
    Employer,
    EmployerKind,
    Person,
)
from portal.validators import make_credit_code
from tests.browser.conftest import screenshot
from tests.clocks import beijing
from tests.factories import PASSWORD, make_certificate, make_exam_record, make_person, new_id_number

K = ApplicationKind
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
axe = Axe()
S = ApplicationStatus
LIAONING = make_credit_code("91210100MA0Y12345")
JIANGSU = make_credit_code("91320100MA1X23456")


@pytest.fixture(autouse=True)
def clock(time_machine):
    """2026-11-28, 10:00 Beijing, ticking (the browser waits on real time)."""
    time_machine.move_to(beijing(2026, 11, 28, 10), tick=True)


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_STORAGE": "filesystem", "UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture
def scan(tmp_path):
    """A photo of a document, as a phone would send it."""
    path = tmp_path / "scan.png"
    Image.new("RGB", (900, 1200), (245, 245, 240)).save(path, format="PNG")
    return path


def log_in(page, id_number: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def at_step(page, label: str) -> None:
    expect(page.locator(".steps li.current")).to_have_text(label)


def shot(page, kind: str, number: int, step: str) -> None:
    """Save the page (desktop, then phone width) and check it there: axe-core finds no serious or critical WCAG
    2.1 A/AA violation, and nothing scrolls sideways on a phone."""
    name = f"kinds-{kind}-{number}-{step}"
    screenshot(page, name)
    accessible(page, name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px on a phone"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def accessible(page, name: str) -> None:
    result = axe.run(page, options=WCAG)
    grave = [f"{v['id']} ({v['impact']}) {[node['target'] for node in v['nodes'][:3]]}"
             for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not grave, f"{name}: " + "; ".join(grave)


def fill_personal(page) -> None:
    page.get_by_label("学历").fill("大学本科")
    page.get_by_label("所学专业").fill("安全工程")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("通讯地址").fill("辽宁省沈阳市和平区南京北街1号")
    page.get_by_role("button", name="保存，下一步").click()


def fill_employer(page, name: str, code: str, address: str) -> None:
    page.get_by_label("单位名称").fill(name)
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("单位属性").select_option(label="生产经营单位")
    page.get_by_label("单位地址").fill(address)
    page.get_by_label("联系人").fill("赵敏")
    page.get_by_label("联系电话").fill("024-23456789")
    page.locator("#employer-save").click()


def add_work(page) -> None:
    page.get_by_label("开始日期").fill("2020-07-01")
    page.get_by_label("工作单位").fill("辽宁华信化工有限公司")
    page.get_by_label("职务").fill("安全员")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("#work-rows")).to_contain_text("辽宁华信化工有限公司")
    page.get_by_role("button", name="下一步").click()


def upload(page, item: str, path) -> None:
    page.locator(f"#upload-{item}").set_input_files(str(path))
    page.locator(f"#material-{item} .mt-upload button").click()
    expect(page.locator(f"#material-{item}")).to_contain_text("第1份")


def preview_and_submit(page, kind: str, number: int, title: str) -> None:
    at_step(page, "预览")
    expect(page.locator(".af-scroll")).to_contain_text(title)
    expect(page.get_by_text("以下问题解决后才能上报")).to_have_count(0)
    shot(page, kind, number, "preview")
    page.get_by_role("link", name="确认无误，下一步").click()
    at_step(page, "上报")
    shot(page, kind, number + 1, "submit")
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()


def exam_passer_logs_in(page, name: str, id_number: str) -> None:
    """An exam passer sets a password (设置密码, 考试合格人员), logs in and completes the first-login profile."""
    page.goto("/applicant/set-password")
    page.get_by_label("考试合格、尚未取得执业证的人员").check()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("新密码", exact=True).fill("Passer2026")
    page.get_by_label("确认新密码").fill("Passer2026")
    page.get_by_role("button", name="设置密码").click()
    log_in(page, id_number, "Passer2026")
    page.get_by_label("单位属性").select_option(label="生产经营单位")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="保存").click()


def application_of(db, person_id: int) -> Application:
    db.session.expire_all()
    return db.session.scalars(sa.select(Application).where(Application.person_id == person_id)
                              .order_by(Application.id.desc())).first()


def test_exam_passer_sets_a_password_and_applies_for_initial_registration(page, db, scan):
    id_number = new_id_number(date(1992, 4, 18))
    make_exam_record(name="周杰", id_number=id_number, category=Category.CHEMICAL)
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    exam_passer_logs_in(page, "周杰", id_number)

    menu = page.locator("#kinds")
    expect(menu.get_by_role("link", name="初始注册", exact=True)).to_be_visible()
    expect(menu.locator("[data-kind=renewal]")).to_contain_text("为什么不能申请？")
    menu.locator("[data-kind=renewal] summary").click()
    expect(menu.locator("[data-kind=renewal]")).to_contain_text("没有您的执业证注册信息")
    screenshot(page, "kinds-catalogue-exam-passer")
    accessible(page, "catalogue")
    menu.get_by_role("link", name="初始注册", exact=True).click()
    expect(page.get_by_text("请在2031-01-01前申请初始注册")).to_be_visible()
    shot(page, "initial", 0, "index")
    page.get_by_role("button", name="开始初始注册").click()

    at_step(page, "个人基本信息")
    shot(page, "initial", 1, "personal")
    fill_personal(page)
    at_step(page, "资格信息")
    expect(page.locator("#exam-facts")).to_contain_text("2025")
    page.get_by_role("button", name="保存，下一步").click()
    expect(page.locator("#confirm-error")).to_contain_text("请核对资格信息后勾选确认")
    shot(page, "initial", 2, "exam")
    page.get_by_label("以上资格信息是我本人的").check()
    page.get_by_role("button", name="保存，下一步").click()

    at_step(page, "聘用单位信息")
    fill_employer(page, "辽宁华信化工有限公司", LIAONING, "辽宁省沈阳市和平区南京北街1号")
    expect(page.locator("#routed-body")).to_contain_text("辽宁省")
    shot(page, "initial", 3, "employer")
    page.get_by_role("button", name="确认，下一步").click()

    at_step(page, "工作经历")
    shot(page, "initial", 4, "work")
    add_work(page)
    at_step(page, "上传材料")
    for item in ("qualification", "contract", "id_card"):
        upload(page, item, scan)
    shot(page, "initial", 5, "materials")
    page.get_by_role("button", name="下一步").click()
    preview_and_submit(page, "initial", 6, "注册安全工程师初始注册申请表")

    expect(page.locator("#signed-form-steps")).to_contain_text("签字盖章的申请表")
    upload(page, "signed_form", scan)
    screenshot(page, "kinds-initial-8-after-submit")
    person = db.session.scalar(sa.select(Person).where(Person.id_number == id_number))
    application = application_of(db, person.id)
    assert application.kind is K.INITIAL and application.status is S.SUBMITTED
    assert {m.item for m in application.materials} == {"qualification", "contract", "id_card", "signed_form"}
    page.goto("/applicant/history")
    expect(page.locator("#history")).to_contain_text("初始注册")


def test_holder_applies_for_change_to_a_new_employer(page, db, scan):
    person = make_person(name="李明")
    firm = Employer(name="辽宁华信化工有限公司", credit_code=LIAONING, kind=EmployerKind.PRODUCTION)
    db.session.add(firm)
    person.employer = firm
    certificate = make_certificate(person, valid_until=date(2028, 6, 30))
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, person.id_number)
    screenshot(page, "kinds-catalogue-holder")
    page.locator("#kinds").get_by_role("link", name="变更注册", exact=True).click()
    shot(page, "change", 0, "index")
    page.get_by_role("button", name="开始变更注册").click()

    at_step(page, "变更事项")
    page.get_by_label("变更聘用单位").check()
    page.get_by_label("变更原因").fill("调入新单位工作")
    shot(page, "change", 1, "change")
    page.get_by_role("button", name="保存，下一步").click()

    at_step(page, "聘用单位信息")
    fill_employer(page, "辽宁华信化工有限公司", LIAONING, "辽宁省沈阳市")
    expect(page.locator("#credit_code-error")).to_contain_text("您填写的是现聘用单位")
    shot(page, "change", 2, "employer-error")
    fill_employer(page, "江苏苏化集团有限公司", JIANGSU, "江苏省南京市鼓楼区")
    expect(page.locator("#routed-body")).to_contain_text("江苏省")
    shot(page, "change", 3, "employer")
    page.get_by_role("button", name="确认，下一步").click()

    at_step(page, "上传材料")
    for item in ("practice_cert", "release", "contract"):
        upload(page, item, scan)
    shot(page, "change", 4, "materials")
    page.get_by_role("button", name="下一步").click()
    preview_and_submit(page, "change", 5, "注册安全工程师变更注册申请表")
    screenshot(page, "kinds-change-7-after-submit")

    page.goto("/applicant/")
    expect(page.locator("#changing")).to_have_text("变更中")
    expect(page.locator("#kinds").get_by_role("link", name="继续办理")).to_be_visible()
    screenshot(page, "kinds-catalogue-change-pending")
    application = application_of(db, person.id)
    assert application.kind is K.CHANGE and application.status is S.SUBMITTED
    assert application.snapshot["change"]["old_employer_name"] == "辽宁华信化工有限公司"
    db.session.refresh(certificate)
    assert certificate.valid_until == date(2028, 6, 30)


def test_expired_holder_applies_for_reregistration(page, db, scan):
    person = make_person(name="赵强")
    make_certificate(person, valid_until=date(2025, 3, 31))
    db.session.add(ContinuingEducation(person_id=person.id, course="危险化学品安全管理", organiser="辽宁省安全培训中心",
                                       start_date=date(2025, 5, 1), end_date=date(2025, 5, 6), hours=48))
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, person.id_number)
    screenshot(page, "kinds-catalogue-expired")
    page.locator("#kinds").get_by_role("link", name="重新注册", exact=True).click()
    shot(page, "reregistration", 0, "index")
    page.get_by_role("button", name="开始重新注册").click()
    at_step(page, "个人基本信息")
    fill_personal(page)
    at_step(page, "聘用单位信息")
    fill_employer(page, "辽宁华信化工有限公司", LIAONING, "辽宁省沈阳市")
    page.get_by_role("button", name="确认，下一步").click()
    at_step(page, "继续教育信息")
    expect(page.locator("#ce-total")).to_contain_text("48")
    shot(page, "reregistration", 3, "education")
    page.get_by_role("button", name="下一步").click()
    at_step(page, "工作经历")
    add_work(page)
    at_step(page, "上传材料")
    for item in ("qualification", "contract", "id_card", "ce_proof"):
        upload(page, item, scan)
    shot(page, "reregistration", 5, "materials")
    page.get_by_role("button", name="下一步").click()
    preview_and_submit(page, "reregistration", 6, "注册安全工程师重新注册申请表")
    application = application_of(db, person.id)
    assert application.kind is K.REREGISTRATION and application.status is S.SUBMITTED


def test_holder_applies_for_cancellation(page, db):
    person = make_person(name="钱程")
    make_certificate(person, valid_until=date(2028, 6, 30))
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, person.id_number)
    page.locator("#kinds").get_by_role("link", name="注销注册", exact=True).click()
    shot(page, "cancellation", 0, "index")
    page.get_by_role("button", name="开始注销注册").click()
    at_step(page, "注销原因")
    page.get_by_label("其他").check()
    page.get_by_role("button", name="保存，下一步").click()
    expect(page.locator("#note-error")).to_contain_text("请说明注销原因")
    shot(page, "cancellation", 1, "reason")
    page.get_by_label("退休").check()
    page.get_by_role("button", name="保存，下一步").click()
    at_step(page, "上传材料")
    shot(page, "cancellation", 2, "materials")
    page.get_by_role("button", name="下一步").click()
    preview_and_submit(page, "cancellation", 3, "注册安全工程师注销注册申请表")
    screenshot(page, "kinds-cancellation-5-after-submit")
    application = application_of(db, person.id)
    assert application.kind is K.CANCELLATION and application.status is S.SUBMITTED
    assert application.snapshot["cancellation"]["reason"] == "退休"


def test_catalogue_and_change_steps_in_english_on_a_phone(new_page, db):
    person = make_person(name="李明")
    make_certificate(person, valid_until=date(2028, 6, 30))
    db.session.commit()
    page = new_page(390, 844)
    log_in(page, person.id_number)
    page.get_by_role("link", name="English").click()
    expect(page.locator("#kinds [data-kind=initial]")).to_contain_text("Why can I not apply?")
    screenshot(page, "kinds-catalogue-holder-en-phone")
    page.locator("#kinds [data-kind=change] a").click()
    page.get_by_role("button", name=re.compile("Start")).click()
    expect(page.locator("#change-types")).to_be_visible()
    screenshot(page, "kinds-change-1-change-en-phone")
