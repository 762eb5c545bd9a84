"""延续注册 in a real browser: log in, walk every step, preview, 上报, download the PDF, 历史记录."""

from __future__ import annotations

import io
from datetime import timedelta

from playwright.sync_api import expect
from pypdf import PdfReader

from portal import clock
from portal.models import Application, ApplicationStatus
from portal.validators import make_credit_code
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_certificate, make_person

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shots(page, name: str) -> None:
    """The page at desktop and at phone width."""
    screenshot(page, f"renewal-{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"renewal-{name}-phone")
    page.set_viewport_size(DESKTOP)


def log_in(page, id_number: str) -> None:
    page.goto("/")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def add_work(page, start: str, end: str, employer: str, position: str = "安全员") -> None:
    page.get_by_label("开始日期").fill(start)
    page.get_by_label("结束日期").fill(end)
    page.get_by_label("工作单位").fill(employer)
    page.get_by_label("职务").fill(position)
    page.get_by_label("从事安全生产工作内容").fill("安全检查、隐患排查治理、安全教育培训")
    page.get_by_role("button", name="添加").click()


def test_renewal_from_login_to_history(page, db, tmp_path):
    person = make_person(name="王建国")
    certificate = make_certificate(person, days_left=40)
    db.session.commit()
    today = clock.today()
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, person.id_number)
    page.get_by_role("link", name="延续注册").first.click()
    expect(page.get_by_text("现在可以申请延续注册")).to_be_visible()
    shots(page, "0-index")
    page.get_by_role("button", name="开始延续注册").click()

    # 1 个人基本信息
    expect(page.locator(".steps li.current")).to_have_text("个人基本信息")
    expect(page.get_by_text(person.id_number)).to_be_visible()
    page.get_by_label("学历").fill("大学本科")
    page.get_by_label("所学专业").fill("安全工程")
    page.get_by_label("技术职称").fill("高级工程师")
    page.get_by_label("手机号码").fill("139123")
    page.get_by_label("通讯地址").fill("辽宁省沈阳市和平区南京北街1号")
    page.get_by_label("邮政编码").fill("110001")
    page.get_by_role("button", name="保存，下一步").click()
    expect(page.locator("#mobile-error")).to_have_text("请填写11位手机号码。")
    shots(page, "1-personal-error")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="保存，下一步").click()

    # 2 聘用单位信息
    expect(page.locator(".steps li.current")).to_have_text("聘用单位信息")
    expect(page.locator(".steps li.done")).to_have_count(1)
    page.get_by_label("单位名称").fill("辽宁华信化工有限公司")
    page.get_by_label("统一社会信用代码").fill("91210100MA0Y123450")
    page.get_by_label("单位属性").select_option(label="生产经营单位")
    page.get_by_label("单位地址").fill("辽宁省沈阳市和平区南京北街1号")
    page.get_by_label("联系人").fill("赵敏")
    page.get_by_label("联系电话").fill("024-23456789")
    page.get_by_label("受理注册机构").select_option(label="辽宁省应急管理厅")
    page.get_by_role("button", name="保存，下一步").click()
    expect(page.locator("#credit_code-error")).to_contain_text("校验位不正确")
    page.get_by_label("统一社会信用代码").fill(make_credit_code("91210100MA0Y12345"))
    shots(page, "2-employer")
    page.get_by_role("button", name="保存，下一步").click()

    # 3 继续教育信息
    expect(page.locator(".steps li.current")).to_have_text("继续教育信息")
    for course, days_ago, hours in (("危险化学品安全管理", 300, 30), ("安全生产法律法规", 200, 18)):
        start = today - timedelta(days=days_ago)
        page.get_by_label("培训课程").fill(course)
        page.get_by_label("培训机构").fill("辽宁省安全生产培训中心")
        page.get_by_label("开始日期").fill(start.isoformat())
        page.get_by_label("结束日期").fill((start + timedelta(days=2)).isoformat())
        page.get_by_label("学时").fill(str(hours))
        page.get_by_role("button", name="添加").click()
        expect(page.get_by_text("已添加一条继续教育记录。")).to_be_visible()
    expect(page.locator("#ce-total strong")).to_have_text("48")
    shots(page, "3-education")
    page.get_by_role("button", name="下一步").click()

    # 4 工作经历: 添加 twice, open a row through its 起止时间 to edit, add a third and delete it
    expect(page.locator(".steps li.current")).to_have_text("工作经历")
    add_work(page, "1998-07-01", "2005-12-31", "沈阳化工厂")
    add_work(page, "2006-01-01", "", "辽宁华信化工有限公司", "安全部部长")
    page.get_by_role("link", name="1998-07-01 至 2005-12-31").click()
    expect(page.get_by_role("heading", name="修改工作经历")).to_be_visible()
    page.get_by_label("工作单位").fill("沈阳化工集团")
    page.get_by_label("结束日期").fill("2006-03-31")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator(".field-error")).to_contain_text("工作经历的时间不能重叠")
    shots(page, "4-work-overlap")
    page.get_by_label("结束日期").fill("2005-12-31")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("工作经历已修改。")).to_be_visible()
    add_work(page, "1990-01-01", "1994-06-30", "临时单位")
    page.get_by_role("link", name="1990-01-01 至 1994-06-30").click()
    page.get_by_role("button", name="删除").click()
    expect(page.get_by_text("工作经历已删除。")).to_be_visible()
    expect(page.locator("#work-rows tbody tr")).to_have_count(2)
    expect(page.locator("#work-rows")).to_contain_text("沈阳化工集团")
    expect(page.locator("#work-rows")).to_contain_text("2006-01-01 至今")
    shots(page, "4-work")
    page.get_by_role("button", name="下一步").click()

    # 5 预览
    expect(page.locator(".steps li.current")).to_have_text("预览")
    form = page.locator(".af")
    for expected in ("注册安全工程师延续注册申请表", "王建国", person.id_number, "辽宁华信化工有限公司", "沈阳化工集团",
                     "聘用单位公章", "注册机构初审意见"):
        expect(form).to_contain_text(expected)
    shots(page, "5-preview")
    page.get_by_role("link", name="确认无误，下一步").click()

    # 6 上报: the confirmation box first, then the dialog
    expect(page.locator(".steps li.current")).to_have_text("上报")
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.locator("#confirm-error")).to_have_text("请先勾选确认，再上报。")
    page.get_by_label("本人承诺").check()
    shots(page, "6-submit")
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()
    number = page.locator("#application-number").inner_text()
    expect(page.get_by_text("加盖聘用单位公章")).to_be_visible()
    shots(page, "7-submitted")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出申请表").click()
    path = tmp_path / "form.pdf"
    download_info.value.save_as(path)
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    for expected in ("王建国", person.id_number, "辽宁华信化工有限公司", number):
        assert expected in content, expected
    assert "48" in content.split("学时合计")[1][:40]

    page.get_by_role("link", name="历史记录").first.click()
    row = page.locator("#history tbody tr").first
    expect(row).to_contain_text(number)
    expect(row.locator(".badge")).to_have_text("已上报")
    shots(page, "8-history")

    db.session.expire_all()
    application = db.session.query(Application).one()
    assert application.status is ApplicationStatus.SUBMITTED and application.number == number
    assert application.certificate_id == certificate.id


def test_returned_application_shows_the_reason_and_is_submitted_again(page, db):
    from portal.clock import utcnow
    from portal.services.review import transitions
    from tests.factories import make_staff

    person = make_person(name="李明")
    make_certificate(person, days_left=30)
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, person.id_number)
    page.goto("/applicant/renewal/")
    page.get_by_role("button", name="开始延续注册").click()
    page.get_by_label("学历").fill("大学本科")
    page.get_by_label("所学专业").fill("安全工程")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("通讯地址").fill("北京市东城区")
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_label("单位名称").fill("北京安泰安全技术有限公司")
    page.get_by_label("统一社会信用代码").fill(make_credit_code("91110101MA0A12345"))
    page.get_by_label("单位属性").select_option(label="安全生产专业服务机构")
    page.get_by_label("单位地址").fill("北京市东城区")
    page.get_by_label("联系人").fill("钱敏")
    page.get_by_label("联系电话").fill("010-12345678")
    page.get_by_label("受理注册机构").select_option(label="辽宁省应急管理厅")
    page.get_by_role("button", name="保存，下一步").click()
    start = clock.today() - timedelta(days=100)
    page.get_by_label("培训课程").fill("安全评价")
    page.get_by_label("培训机构").fill("北京市安全生产培训中心")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(start.isoformat())
    page.get_by_label("学时").fill("40")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("还差8学时")).to_be_visible()
    page.get_by_role("button", name="下一步").click()
    add_work(page, "2010-01-01", "", "北京安泰安全技术有限公司")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_text("不足48学时，不能上报")).to_be_visible()
    shots(page, "9-preview-problems")
    page.get_by_role("link", name="继续教育信息").click()
    page.get_by_label("培训课程").fill("应急管理")
    page.get_by_label("培训机构").fill("北京市安全生产培训中心")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(start.isoformat())
    page.get_by_label("学时").fill("8")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("link", name="上报").click()
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="上报", exact=True).click()
    number = page.locator("#application-number").inner_text()

    db.session.expire_all()
    application = db.session.query(Application).one()
    reviewer = make_staff(body_code="210000")
    transitions.return_for_changes(application, reviewer, "请补充继续教育证明的复印件。", utcnow())
    db.session.commit()

    page.goto("/applicant/renewal/")
    expect(page.locator(".steps li.current")).to_have_text("预览")
    expect(page.locator(".rn-reason")).to_contain_text("请补充继续教育证明的复印件。")
    expect(page.locator(".rn-reason")).to_contain_text(number)
    shots(page, "10-returned")
    page.get_by_role("link", name="确认无误，下一步").click()
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="重新上报").click()
    expect(page.get_by_role("heading", name="上报成功")).to_be_visible()
    expect(page.locator("#application-number")).to_have_text(number)
    page.get_by_role("link", name="历史记录").first.click()
    expect(page.locator("#history tbody tr")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("退回修改")  # the latest decision, with its reason
    expect(page.locator("#history .badge")).to_have_text("已上报")
    shots(page, "11-history-returned")


def test_outside_the_window(page, db):
    person = make_person(name="张伟")
    make_certificate(person, days_left=200)
    db.session.commit()
    log_in(page, person.id_number)
    page.goto("/applicant/renewal/")
    expect(page.get_by_text("延续注册将于")).to_be_visible()
    expect(page.get_by_role("button", name="开始延续注册")).to_have_count(0)
    shots(page, "12-not-open")
