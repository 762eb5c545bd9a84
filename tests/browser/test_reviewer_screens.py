"""Screenshots of the console's main pages at desktop and phone width (looked at by a person), plus the checks
that they render: queue, application detail, applicant page, correction form, administration and English."""

from __future__ import annotations

from playwright.sync_api import expect

from portal import clock
from portal.clock import utcnow
from portal.models import StaffRole
from portal.services.corrections import file_correction
from tests.browser.conftest import screenshot
from tests.browser.test_reviewer_loop import staff_login
from tests.factories import make_application, make_certificate, make_person, make_staff

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shots(page, name: str) -> None:
    screenshot(page, f"reviewer-{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"reviewer-{name}-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(DESKTOP)
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide at phone width"


def test_console_pages(page, db):
    people = []
    for name, email in (("王建国", "wang@example.com"), ("李四", None), ("欧阳娜娜", None)):
        person = make_person(name=name, email=email)
        make_certificate(person)
        make_application(person)
        people.append(person)
    reviewer = make_staff("liaoning", body_code="210000")
    make_staff("center", role=StaffRole.CENTRAL)
    file_correction(people[1], reviewer, {"name": "李思"}, reason="姓名录入错误", fax_date=clock.today(),
                    fax_pages=1, scan=None, max_scan_bytes=1000, now=utcnow(), today=clock.today())
    db.session.commit()

    staff_login(page, "liaoning")
    shots(page, "home")
    page.get_by_role("link", name="初审", exact=True).click()
    expect(page.locator("table.model-list tbody tr")).to_have_count(3)
    shots(page, "queue")
    page.locator("table.model-list a", has_text="YX").first.click()
    expect(page.locator(".af")).to_be_visible()
    shots(page, "detail")
    page.goto(f"/reviewer/people/details/?id={people[2].id}")
    shots(page, "person")
    page.goto("/reviewer/people/")
    shots(page, "people")
    page.goto(f"/reviewer/corrections/new/?person_id={people[2].id}")
    shots(page, "correction-new")

    page.goto("/lang/en?next=/reviewer/applications/")
    expect(page.get_by_role("link", name="All applications")).to_be_visible()
    screenshot(page, "reviewer-queue-english-desktop")
    page.goto("/lang/zh?next=/reviewer/")
    page.get_by_role("button", name="安全退出").click()
    expect(page.get_by_text("您已安全退出")).to_be_visible()
    screenshot(page, "reviewer-login-desktop")

    staff_login(page, "center")
    page.goto("/reviewer/staff/")
    shots(page, "staff")
    page.goto("/reviewer/audit/")
    shots(page, "audit")
