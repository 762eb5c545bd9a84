"""A clerk's morning in Chromium (issue 11's Done-when): the dashboard shows the overdue item first; the clerk opens
it, 退回 with two ticked items and a note, 「通过并下一条」 through three more (each confirmed, one with the keyboard),
bulk-passes two with confirmation; central staff filter by that body and bulk-approve. Ages and deadlines agree
with the working-day calendar across the 2026 Mid-Autumn and National Day holidays. Screenshots at 1280 px."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import Application, ApplicationStatus, ReturnChecklistItem, StaffRole
from tests.browser.conftest import screenshot
from tests.browser.test_reviewer_loop import staff_login
from tests.clocks import beijing
from tests.factories import make_certificate, make_person, make_staff
from tests.test_deadlines import submitted

S = ApplicationStatus


@pytest.fixture
def morning(db, time_machine):
    """Tuesday 2026-10-20, 09:30 in Beijing: Liaoning's 初审 queue of seven, submitted from 09-15 (overdue) to
    10-16, one on the Mid-Autumn holiday; a Jilin application already passed to the center."""
    time_machine.move_to(beijing(2026, 10, 20, 9, 30), tick=True)
    w = SimpleNamespace()
    w.reviewer = make_staff("shenhe", body_code="210000")
    w.central = make_staff("zhongxin", role=StaffRole.CENTRAL)
    days = [date(2026, 9, 15), date(2026, 9, 21), date(2026, 9, 25), date(2026, 9, 29), date(2026, 10, 12),
            date(2026, 10, 15), date(2026, 10, 16)]
    w.queue = []
    for index, day in enumerate(days):
        person = make_person(name=f"李{'一二三四五六七'[index]}")
        make_certificate(person, valid_until=date(2027, 6, 30))
        w.queue.append(submitted(person, day))
    jilin = make_person(name="赵丽", body_code="220000")
    make_certificate(jilin, valid_until=date(2027, 6, 30))
    w.jilin = submitted(jilin, date(2026, 9, 28), status=S.INITIAL_PASSED, passed=date(2026, 10, 9))
    db.session.add_all([ReturnChecklistItem(text="申请表未加盖聘用单位公章", sort_order=1),
                        ReturnChecklistItem(text="继续教育学时证明不全", sort_order=2),
                        ReturnChecklistItem(text="身份证复印件不清晰", sort_order=3)])
    db.session.commit()
    return w


def statuses(db, applications) -> list[S]:
    db.session.expire_all()
    return [db.session.get(Application, a.id).status for a in applications]


def test_a_clerks_morning(page, db, morning):
    overdue, amber, holiday, fourth, fifth, sixth, newest = morning.queue
    staff_login(page, "shenhe")

    # The dashboard: the overdue item first (due 10-19, a working day ago)
    first = page.locator("#urgent tbody tr").first
    expect(first).to_have_attribute("data-urgent", "overdue")
    expect(first).to_contain_text(overdue.number)
    expect(first).to_contain_text("已超期1个工作日")

    # Open it; 退回 with two ticked items and a note, and on to the next
    first.get_by_role("link", name=overdue.number).click()
    expect(page.locator('#deadlines [data-step="initial_review"]')).to_contain_text("已超期1个工作日")
    page.get_by_label("申请表未加盖聘用单位公章").check()
    page.get_by_label("继续教育学时证明不全").check()
    page.get_by_label("其他需要补正的内容").fill("工作单位名称与公章不一致，请核对。\n如有疑问请致电审核科。")
    screenshot(page, "desk-detail-return-desktop")
    page.get_by_role("button", name="退回并下一条").click()
    expect(page.get_by_text("已退回申请人修改")).to_be_visible()
    expect(page.locator("h4.page-title")).to_contain_text(amber.number)  # the oldest still waiting

    # 「通过并下一条」 through three: each asked once more; the ages follow the calendar
    expect(page.locator('#deadlines [data-step="initial_review"]')).to_contain_text("剩余4个工作日")  # amber
    page.get_by_role("button", name="通过并下一条", exact=True).click()
    expect(page.locator("h4.page-title")).to_contain_text("请确认：初审通过")
    expect(page.locator("#confirmation")).to_contain_text(amber.number)
    screenshot(page, "desk-confirm-desktop")
    page.get_by_role("button", name="确认初审通过并打开下一条").click()
    # submitted on 09-25, a Mid-Autumn holiday: counted from Monday 09-28, across National Day
    expect(page.locator("h4.page-title")).to_contain_text(holiday.number)
    expect(page.locator('#deadlines [data-step="initial_review"]')).to_contain_text("剩余8个工作日")
    button = page.get_by_role("button", name="通过并下一条", exact=True)
    button.focus()
    page.keyboard.press("Enter")  # the buttons work from the keyboard
    expect(page.get_by_role("button", name="确认初审通过并打开下一条")).to_be_focused()  # autofocus
    page.keyboard.press("Enter")
    expect(page.locator("h4.page-title")).to_contain_text(fourth.number)
    page.get_by_role("button", name="通过并下一条", exact=True).click()
    page.get_by_role("button", name="确认初审通过并打开下一条").click()
    expect(page.locator("h4.page-title")).to_contain_text(fifth.number)
    assert statuses(db, [overdue, amber, holiday, fourth, fifth]) == [S.RETURNED, S.INITIAL_PASSED,
                                                                      S.INITIAL_PASSED, S.INITIAL_PASSED,
                                                                      S.SUBMITTED]
    db.session.expire_all()
    reason = db.session.get(Application, overdue.id).last_reason
    assert reason == ("需要补正的材料：\n1. 申请表未加盖聘用单位公章\n2. 继续教育学时证明不全\n其他说明：\n"
                      "工作单位名称与公章不一致，请核对。\n如有疑问请致电审核科。")

    # Bulk-pass two with confirmation
    page.get_by_role("link", name="批量审核").click()
    expect(page.locator("#bulk-list tbody tr")).to_have_count(3)
    page.get_by_label(f"选择 {fifth.number}").check()
    page.get_by_label(f"选择 {sixth.number}").check()
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.locator("#bulk-confirm-list tbody tr")).to_have_count(2)
    page.get_by_role("button", name="确认初审通过（2条）").click()
    expect(page.locator("#bulk-result")).to_contain_text("成功2条，未办理0条")
    screenshot(page, "desk-bulk-result-reviewer-desktop")
    assert statuses(db, [fifth, sixth, newest]) == [S.INITIAL_PASSED, S.INITIAL_PASSED, S.SUBMITTED]

    # Central staff filter by Liaoning and bulk-approve what it passed
    page.get_by_role("button", name="安全退出").click()
    staff_login(page, "zhongxin")
    page.get_by_role("link", name="批量审核").click()
    expect(page.locator("#bulk-list tbody tr")).to_have_count(6)  # five of Liaoning, one of Jilin
    page.get_by_label("注册机构").select_option(label="辽宁省应急管理厅")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#bulk-list tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#bulk-list")).not_to_contain_text(morning.jilin.number)
    for checkbox in page.locator('#bulk-list input[name="ids"]').all():
        checkbox.check()
    screenshot(page, "desk-bulk-select-central-desktop")
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.locator("#bulk-confirm-list tbody tr")).to_have_count(5)
    screenshot(page, "desk-bulk-confirm-central-desktop")
    page.get_by_role("button", name="确认准予延续注册（5条）").click()
    expect(page.locator("#bulk-result")).to_contain_text("成功5条，未办理0条")
    screenshot(page, "desk-bulk-result-central-desktop")
    assert statuses(db, [amber, holiday, fourth, fifth, sixth]) == [S.APPROVED] * 5
    assert statuses(db, [morning.jilin]) == [S.INITIAL_PASSED]
    assert db.session.scalar(select(Application.claimed_by_id).where(Application.id == amber.id)) is None


def test_central_imports_a_file_in_the_console(page, db, tmp_path):
    """Upload, read the report (a bad row by line and column), upload the corrected file, import with progress."""
    make_staff("zhongxin", role=StaffRole.CENTRAL)
    db.session.commit()
    from tests.test_imports import csv_bytes, registered_row

    bad = tmp_path / "registered.csv"
    bad.write_bytes(csv_bytes([registered_row(700_000), registered_row(700_001, mobile="12")]))
    good = tmp_path / "registered-fixed.csv"
    good.write_bytes(csv_bytes([registered_row(700_000 + index) for index in range(3)]))
    staff_login(page, "zhongxin")
    page.goto("/reviewer/imports/")
    page.get_by_label("导入内容").select_option(label="注册人员")
    page.get_by_label("CSV 文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#import-errors")).to_contain_text("第3行 mobile：请填写11位手机号码")
    screenshot(page, "desk-import-report-desktop")
    page.get_by_role("link", name="重新上传").click()
    page.get_by_label("导入内容").select_option(label="注册人员")
    page.get_by_label("CSV 文件").set_input_files(str(good))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#import-report")).to_contain_text("检查通过：共3行，导入后将新增3条")
    page.get_by_role("button", name="开始导入").click()
    expect(page.locator("#import-done")).to_contain_text("导入成功：共 3 行，新增 3 条，更新 0 条。")
    expect(page.locator(".import-progress")).to_contain_text("已处理 3 行（100%）")
    screenshot(page, "desk-import-done-desktop")
