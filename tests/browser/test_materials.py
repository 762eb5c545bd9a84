"""申请材料 in real browsers: the applicant uploads a photo and a PDF and sees the thumbnail and the pages, a renamed
text file is refused beside its item; after 上报 the body's reviewer sees the documents on the application's page,
opens the photo in the viewer and enlarges it, and reads the PDF's pages."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal import clock
from portal.clock import utcnow
from portal.models import Application, ApplicationKind, ApplicationStatus
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import GRAVE, WCAG
from tests.browser.test_reviewer_loop import applicant_login, staff_login
from tests.factories import make_person, make_staff
from tests.test_storage_uploads import jpeg_with_exif


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads")}


def grave_violations(page) -> list[str]:
    """Serious or critical WCAG 2.x A/AA violations axe-core finds on the page."""
    result = Axe().run(page, options=WCAG)
    return [f"{v['id']}: {[node['target'] for node in v['nodes'][:3]]}" for v in result.response["violations"]
            if v["impact"] in GRAVE]


def contract_pdf() -> bytes:
    """A two-page PDF with something on each page (drawn with reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=A4)
    for number in (1, 2):
        drawing.setFont("Helvetica-Bold", 28)
        drawing.drawString(72, 760, f"LABOUR CONTRACT - page {number}")
        drawing.setFont("Helvetica", 12)
        for line in range(30):
            text = f"Clause {number}.{line + 1}: the employee works as a safety engineer."
            drawing.drawString(72, 720 - line * 20, text)
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def photo() -> bytes:
    """A phone photo of a certificate: landscape pixels, EXIF saying it was held upright."""
    return jpeg_with_exif(1200, 800)


def test_the_applicant_uploads_a_photo_and_the_reviewer_opens_it(db, page, new_page, tmp_path):
    person = make_person(name="周杰")
    application = Application(person=person, kind=ApplicationKind.INITIAL, status=ApplicationStatus.DRAFT,
                              body_id=person.body_id, draft={"completed": []})
    db.session.add(application)
    reviewer = make_staff("reviewer_m", body_code="210000")
    db.session.commit()
    (tmp_path / "证书照片.jpg").write_bytes(photo())
    (tmp_path / "劳动合同.pdf").write_bytes(contract_pdf())
    (tmp_path / "身份证.pdf").write_bytes(b"this is only text, renamed")

    applicant_login(page, person.id_number)
    page.goto(f"/applicant/applications/{application.id}/materials")
    qualification = page.locator("#material-qualification")
    qualification.locator('input[type="file"]').set_input_files(str(tmp_path / "证书照片.jpg"))
    qualification.get_by_role("button", name="上传", exact=True).click()
    thumbnail = page.locator("#material-qualification img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") > 0
    width, height = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert height > width  # turned upright by its EXIF orientation

    contract = page.locator("#material-contract")
    contract.locator('input[type="file"]').set_input_files(str(tmp_path / "劳动合同.pdf"))
    contract.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#material-contract .mt-pdf")).to_contain_text("2 页")

    id_card = page.locator("#material-id_card")
    id_card.locator('input[type="file"]').set_input_files(str(tmp_path / "身份证.pdf"))
    id_card.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#material-id_card .mt-error")).to_contain_text("只能上传 PDF、JPEG 或 PNG")
    expect(page.locator("#material-qualification .mt-error")).to_have_count(0)
    screenshot(page, "materials-applicant-checklist")
    assert grave_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "materials-applicant-checklist-390")

    db.session.expire_all()
    application = db.session.get(Application, application.id)
    application.status, application.submitted_at = ApplicationStatus.SUBMITTED, utcnow()
    application.number = f"YX{clock.today():%Y}{application.id:08d}"
    application.snapshot = {"person": {"name": person.name, "id_number": person.id_number}}
    db.session.commit()

    console = new_page()
    staff_login(console, reviewer.username)
    console.goto(f"/reviewer/applications/details/?id={application.id}")
    card = console.locator("#materials")
    expect(card).to_contain_text("资格证书")
    expect(card).to_contain_text("申请人尚未上传签字盖章的申请表")
    card.screenshot(path=str(screenshot(console, "materials-reviewer-detail").with_name("materials-reviewer-card.png")))
    card.locator('[data-item="qualification"] img').click()
    viewer = console.locator("#viewer")
    expect(viewer).to_contain_text("资格证书 · 第1份")
    image = viewer.locator(".mv-stage img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    image.click()
    expect(console.locator("#zoom")).to_be_visible()
    screenshot(console, "materials-reviewer-viewer-zoom")
    console.locator("#zoom .mv-close").click()
    expect(console.locator("#zoom")).to_be_hidden()
    screenshot(console, "materials-reviewer-viewer")
    assert grave_violations(console) == []

    console.get_by_role("link", name="下一个文件").click()  # the contract, a PDF: its pages as images
    pages = console.locator(".mv-stage .mv-page img")
    expect(pages).to_have_count(2)
    for index in range(2):  # the pages load as they come into view
        pages.nth(index).scroll_into_view_if_needed()
    console.wait_for_function("() => [...document.querySelectorAll('.mv-page img')]"
                              ".every(img => img.complete && img.naturalWidth > 0)")
    screenshot(console, "materials-reviewer-pdf")


def test_the_reviewer_marks_a_document_at_return_and_the_applicant_replaces_it(db, page, new_page, tmp_path):
    from portal.services.registration import materials

    person = make_person(name="周杰")
    application = Application(person=person, kind=ApplicationKind.INITIAL, status=ApplicationStatus.DRAFT,
                              body_id=person.body_id, draft={"completed": []})
    db.session.add(application)
    db.session.flush()
    now = utcnow()
    for code in ("qualification", "contract", "id_card"):
        materials.upload(application, person, code, [photo()], now)
    application.status, application.submitted_at = ApplicationStatus.SUBMITTED, now
    application.number = f"YX{clock.today():%Y}{application.id:08d}"
    application.snapshot = {"person": {"name": person.name, "id_number": person.id_number}}
    reviewer = make_staff("reviewer_r", body_code="210000")
    db.session.commit()
    id_card = materials.files_of(application, "id_card")[0]
    (tmp_path / "身份证-清晰.jpg").write_bytes(jpeg_with_exif(900, 600))

    console = new_page()
    staff_login(console, reviewer.username)
    console.goto(f"/reviewer/applications/details/?id={application.id}")
    marks = console.locator("#return-materials")
    marks.get_by_label("身份证件 · 第1份").check()
    marks.locator(f'input[name="return-replace-reason-{id_card.id}"]').fill("照片反光，号码看不清")
    console.locator('button[data-decision="return"]').click()
    expect(console.locator(".alert-success, .alert").first).to_be_visible()
    expect(console.locator(f'#materials [data-material="{id_card.id}"]')).to_contain_text("照片反光，号码看不清")

    applicant_login(page, person.id_number)
    page.goto(f"/applicant/applications/{application.id}/materials")
    flagged = page.locator("#material-id_card .mt-flagged")
    expect(flagged).to_contain_text("需要更换：照片反光，号码看不清")
    expect(page.locator("#material-id_card h4")).to_contain_text("需更换")
    expect(page.locator("#material-qualification .mt-buttons")).to_have_count(0)  # not marked: stays as it is
    screenshot(page, "materials-applicant-returned")
    flagged.locator("summary").click()
    flagged.locator('input[type="file"]').set_input_files(str(tmp_path / "身份证-清晰.jpg"))
    flagged.get_by_role("button", name="上传替换").click()
    expect(page.locator("#material-id_card .mt-flagged")).to_have_count(0)
    expect(page.locator("#material-id_card .mt-file")).to_have_count(1)
    expect(page.locator("#material-id_card img")).to_be_visible()
    expect(page.locator("#material-id_card h4")).to_contain_text("已上传")
