"""Every public and applicant page through axe-core (bundled by axe-playwright-python, no network), in Chinese and
English, at phone (390 px) and desktop (1280 px) width: no serious or critical violation of WCAG 2.0/2.1 A and
AA, and at 390 px no sideways scrolling. One browser session per combination visits each page once; the phone
screenshots in Chinese are saved under screens/ (a11y-*.png) to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from portal.clock import utcnow
from portal.models import (
    Announcement,
    ApplicationStatus,
    ContinuingEducation,
    Document,
    DocumentKind,
    IdType,
    WorkHistory,
)
from portal.services import certificates
from portal.services.accounts.applicants import request_password_reset
from portal.services.accounts.sessions import end_session, start_session
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, body, login_as, make_application, make_certificate, make_person
from tests.test_renewal_support import fill_wizard, submit

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
GRAVE = {"serious", "critical"}
COMBINATIONS = [(language, width) for language in ("zh", "en") for width in (390, 1280)]

axe = Axe()


@pytest.fixture
def app_config():
    return {"CAPTCHA_ENABLED": True}


@pytest.fixture(autouse=True)
def readable_captcha(monkeypatch):
    monkeypatch.setattr("portal.services.infrastructure.challenges.new_captcha_text", lambda: "AB3K")


@pytest.fixture
def site(app, db):
    """Published content, and three applicants: one in the middle of the wizard with too few 学时, one whose
    application was submitted, one with a first-generation ID and nothing started."""
    announcement = Announcement(title="关于开展2026年度注册安全工程师延续注册工作的通知", body="各注册机构：……")
    regulation = Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定",
                          issued_by="国家安全生产监督管理总局令第11号", body="第一条 ……")
    db.session.add_all([announcement, regulation, Document(kind=DocumentKind.FORM, title="延续注册申请表（空白）",
                                                            template="renewal_blank.html")])
    liaoning = body("210000")
    liaoning.phone = "024-12345678"
    drafting, submitted = make_person(name="王建国"), make_person(name="李红")
    older = make_person(name="张卫东", id_number="110101750505123")
    newcomer = make_person(name="周杰", password=None, email=None)  # no password yet, no email on file
    for person in (drafting, submitted, older, newcomer):
        make_certificate(person)
    make_application(submitted, status=ApplicationStatus.APPROVED)  # an earlier, finished one: a history
    db.session.commit()
    for person, hours, send in ((drafting, (24,), False), (submitted, (24, 24), True)):
        client = app.test_client()
        login_as(client, person)
        fill_wizard(client, hours=hours)
        if send:
            assert submit(client).status_code == 302
    db.session.expire_all()
    for person in (drafting, submitted):
        end_session(person)  # as after 安全退出: the browser logs in without a take-over
    _person, reset_token = request_password_reset(submitted.name, IdType.RESIDENT_ID, submitted.id_number,
                                                  submitted.email, utcnow(), timedelta(hours=1))
    electronic = certificates.issue(older.current_certificate, utcnow(), person=older)
    db.session.commit()
    return {"announcement": announcement.id, "regulation": regulation.id, "drafting": drafting,
            "submitted": submitted, "older": older, "newcomer": newcomer, "reset_token": reset_token,
            "number": submitted.current_certificate.number, "verify_token": electronic.token,
            "entry": db.session.scalar(select(ContinuingEducation.id).filter_by(person_id=drafting.id)),
            "row": db.session.scalar(select(WorkHistory.id).filter_by(person_id=drafting.id))}


def log_in(page, person) -> None:
    page.goto("/")
    page.locator("#id_number").fill(person.id_number)
    page.locator("#password").fill(PASSWORD)
    page.locator("#captcha").fill("ab3k")
    page.locator("form[action$='/login'] button[type=submit]").click()
    expect(page.locator("body[data-idle-remaining]")).to_have_count(1)


def log_out(page) -> None:
    page.locator(".logout-form button").click()
    expect(page.locator(".logout-form")).to_have_count(0)


@pytest.mark.parametrize(("language", "width"), COMBINATIONS)
def test_every_page_passes_axe(new_page, db, site, language, width):
    page = new_page(width, 844 if width == 390 else 900)
    found: list[str] = []

    def check(name: str) -> None:
        result = axe.run(page, options=WCAG)
        for violation in result.response["violations"]:
            if violation["impact"] in GRAVE:
                targets = "; ".join(str(node["target"]) for node in violation["nodes"][:3])
                found.append(f"{name} [{language} {width}]: {violation['id']} ({violation['impact']}) {targets}")
        if width == 390:
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                found.append(f"{name} [{language} {width}]: scrolls sideways by {overflow} px")
            if language == "zh":
                screenshot(page, f"a11y-{name}-390")

    def visit(path: str, name: str) -> None:
        page.goto(path)
        check(name)

    if language == "en":
        page.goto("/lang/en?next=/")
    visit("/", "home")
    page.locator("form[action$='/login'] button[type=submit]").click()  # empty: errors beside the fields
    check("home-errors")
    visit("/bodies?q=辽宁", "bodies")
    visit("/announcements", "announcements")
    visit(f"/announcements/{site['announcement']}", "announcement")
    visit("/forms", "forms")
    visit("/regulations", "regulations")
    visit(f"/regulations/{site['regulation']}", "regulation")
    visit("/register", "register")
    visit(f"/register?name=李红&number={site['number']}", "register-found")
    visit("/verify", "verify")
    visit("/verify?serial=DZ-0000-0000-0000", "verify-unknown")
    visit(f"/verify/{site['verify_token']}", "verify-valid")
    visit("/applicant/set-password", "set-password")
    visit("/applicant/forgot-password", "forgot-password")
    visit("/applicant/forgot-password/sent", "forgot-password-sent")
    visit("/applicant/reset-password/not-a-token", "reset-password-invalid")
    visit(f"/applicant/reset-password/{site['reset_token']}", "reset-password")
    for person, name in ((site["drafting"], "set-password-exists"), (site["newcomer"], "set-password-new")):
        page.goto("/applicant/set-password")
        page.locator("#name").fill(person.name)
        page.locator("#id_number").fill(person.id_number)
        page.locator("#captcha").fill("AB3K")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        check(name)
    page.goto("/applicant/forgot-password")
    for field, value in (("#name", site["newcomer"].name), ("#id_number", site["newcomer"].id_number),
                         ("#email", "zhou@example.com"), ("#captcha", "AB3K")):
        page.locator(field).fill(value)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    check("forgot-password-no-email")
    visit("/no-such-page", "not-found")

    # 结束其他登录并继续: the account is live in another browser
    drafting = site["drafting"]
    start_session(drafting, utcnow())
    db.session.commit()
    page.goto("/")
    page.locator("#id_number").fill(drafting.id_number)
    page.locator("#password").fill(PASSWORD)
    page.locator("#captcha").fill("AB3K")
    page.locator("form[action$='/login'] button[type=submit]").click()
    expect(page.locator("form[action$='/login/take-over']")).to_be_visible()
    check("take-over")
    page.locator("form[action$='/login/take-over'] button").click()
    expect(page.locator("body[data-idle-remaining]")).to_have_count(1)
    check("personal-page")
    for path, name in (("/applicant/renewal/personal", "renewal-1-personal"),
                       ("/applicant/renewal/employer", "renewal-2-employer"),
                       ("/applicant/renewal/education", "renewal-3-education"),
                       (f"/applicant/renewal/education/{site['entry']}", "renewal-3-education-edit"),
                       (f"/applicant/renewal/work/{site['row']}", "renewal-4-work-edit"),
                       ("/applicant/renewal/work", "renewal-4-work"),
                       ("/applicant/renewal/preview", "renewal-5-preview"),
                       ("/applicant/renewal/submit", "renewal-6-submit"),
                       ("/applicant/history", "history"),
                       ("/applicant/complete-profile", "complete-profile"),
                       ("/applicant/change-password", "change-password")):
        visit(path, name)
    page.locator("main form button[type=submit]").first.click()  # 修改密码, empty: errors beside the fields
    check("change-password-errors")
    log_out(page)

    log_in(page, site["submitted"])
    check("personal-page-submitted")
    visit("/applicant/renewal/", "application")
    page.get_by_role("link", name="撤回" if language == "zh" else "Withdraw").first.click()
    check("withdraw")
    log_out(page)

    log_in(page, site["older"])
    visit("/applicant/renewal/", "renewal-index")
    visit("/applicant/update-id", "update-id")

    assert not found, "\n".join(found)
