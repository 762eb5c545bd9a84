"""The console's dashboard in Chromium: the bar charts are drawn by static/js/barchart.js from dashboard.json (bars
carry the figures of the page's tables), overdue items come first, and the queue shows ages and deadlines in
working days across the 2026 National Day holidays. Screenshots at 1280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_reviewer_loop import staff_login
from tests.clocks import beijing
from tests.test_deadlines import queue  # noqa: F401 - the fixture: Liaoning's queue of several ages


@pytest.fixture
def clock_today(time_machine):
    time_machine.move_to(beijing(2026, 10, 20, 9, 30), tick=True)


def bars(page, chart: str) -> list[tuple[str, int]]:
    chart_box = page.locator(f'.barchart[data-chart="{chart}"]')
    expect(chart_box).to_have_attribute("data-drawn", "true")
    return [(bar.get_attribute("data-label"), int(bar.get_attribute("data-value")))
            for bar in chart_box.locator("rect.bar").all()]


def test_reviewer_dashboard_and_queue(page, queue):  # noqa: F811
    staff_login(page, "shenhe")
    drawn = bars(page, "age")
    assert [value for _label, value in drawn] == [1, 0, 1, 1, 1]
    table = [int(cell) for cell in page.locator('[data-table="age"] tbody td:nth-child(2)').all_text_contents()]
    assert table == [value for _label, value in drawn]
    # the widest bar is the largest figure; an empty bucket draws no bar
    widths = [float(w) for w in page.locator('.barchart[data-chart="age"] rect.bar').evaluate_all(
        "rects => rects.map(r => r.getAttribute('width'))")]
    assert widths[1] == 0 and min(w for w in widths if w) > 0
    first = page.locator("#urgent tbody tr").first
    expect(first).to_have_attribute("data-urgent", "overdue")
    expect(first).to_contain_text(queue.b.number)
    expect(first).to_contain_text("已超期1个工作日")
    screenshot(page, "console-dashboard-reviewer-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert [value for _label, value in bars(page, "age")] == [1, 0, 1, 1, 1]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "console-dashboard-reviewer-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="查看已超期").click()
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="初审", exact=True).click()
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(queue.b.number)  # oldest first
    expect(rows.nth(2)).to_contain_text("已等待12个工作日")  # submitted on the Mid-Autumn holiday
    expect(rows.nth(2)).to_contain_text("剩余8个工作日")
    colour = rows.nth(1).locator(".deadline").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(255, 241, 204)"  # amber: 4 left
    screenshot(page, "console-queue-deadlines-desktop")
    rows.nth(2).locator("a", has_text="YX").click()
    expect(page.locator('#deadlines [data-step="initial_review"]')).to_contain_text("剩余8个工作日")
    screenshot(page, "console-detail-deadlines-desktop")


def test_central_dashboard_compares_bodies(page, queue):  # noqa: F811
    staff_login(page, "zhongxin")
    drawn = dict(bars(page, "bodies"))
    assert drawn == {"辽宁省应急管理厅": 4, "吉林省应急管理厅": 1} or sorted(drawn.values()) == [1, 4]
    classes = page.locator('.barchart[data-chart="bodies"] rect.bar').evaluate_all(
        "rects => rects.map(r => r.getAttribute('class'))")
    assert all("overdue" in c for c in classes)  # both bodies have an overdue item
    expect(page.locator("#expiring")).to_contain_text(queue.e.number)
    screenshot(page, "console-dashboard-central-desktop")
    page.locator('[data-table="bodies"] a', has_text="吉林省").first.click()
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(queue.f.number)
    expect(page.locator(".filters")).to_contain_text("吉林省应急管理厅")
    screenshot(page, "console-queue-by-body-central-desktop")
