"""电子注册证书 in real browsers: central approves a renewal in the console → the holder downloads the signed
certificate from the personal page → pyHanko validates the signature → the page rendered with pdftoppm carries a QR
code that zbarimg decodes → its URL shows 有效; a reissue (what every approval that changes a registration does)
shows the old one as 已作废; after 注销 the page shows 已注销 and the download is refused."""

from __future__ import annotations

import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from portal import clock
from portal.models import ApplicationStatus, CertificateStatus, ElectronicCertificate, StaffRole
from portal.services import certificates
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.test_reviewer_loop import applicant_login, ready_applicant, staff_login
from tests.factories import make_application, make_staff


def qr_url(pdf: bytes, folder: Path, name: str) -> str:
    for tool in ("pdftoppm", "zbarimg"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install poppler-utils zbar-tools"
    (folder / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(folder / f"{name}.pdf"), str(folder / name)],
                   check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(folder / f"{name}.png")], capture_output=True,
                             text=True, check=True)
    return decoded.stdout.strip()


def validate(pdf: bytes, ca_pem: Path):
    """pyHanko's validation, in a thread of its own (it runs an asyncio loop; Playwright's is running here)."""
    def run():
        signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
        return validate_pdf_signature(signature, ValidationContext(trust_roots=[load_cert_from_pemder(str(ca_pem))]))

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_approve_download_validate_scan_reissue_and_revoke(page, new_page, db, app, tmp_path):
    person, certificate = ready_applicant(db)
    application = make_application(person, status=ApplicationStatus.INITIAL_PASSED)
    make_staff("zhongxin", role=StaffRole.CENTRAL)
    db.session.commit()

    # Central approves: the approval issues the electronic certificate
    central = new_page()
    staff_login(central, "zhongxin")
    central.get_by_role("link", name="审批", exact=True).click()
    central.get_by_role("link", name=application.number).click()
    central.get_by_role("button", name="准予延续注册").click()
    confirm = central.get_by_role("button", name="确认准予延续注册")
    if confirm.count():
        confirm.click()
    central.wait_for_load_state()
    db.session.expire_all()
    assert db.session.get(type(application), application.id).status is ApplicationStatus.APPROVED

    # The holder downloads it from the personal page
    applicant_login(page, person.id_number)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载电子注册证书").click()
    download = download_info.value
    assert download.suggested_filename == f"电子注册证书-{certificate.number}.pdf"
    pdf = Path(download.path()).read_bytes()

    status = validate(pdf, Path(app.instance_path) / "certificate-signing" / "ca.pem")
    assert status.bottom_line and status.intact and status.trusted

    url = qr_url(pdf, tmp_path, "certificate")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "certificate.png", SCREENSHOTS / "certificate-pdf.png")
    db.session.expire_all()
    issued = db.session.scalars(db.select(ElectronicCertificate).where(ElectronicCertificate.voided_at.is_(None))).one()
    assert urlsplit(url).path == f"/verify/{issued.token}"
    assert issued.valid_until == certificate.valid_until  # the renewed validity

    # Anyone who scans it sees 有效 with the facts, never the ID number
    visitor = new_page()
    visitor.goto(urlsplit(url).path)
    expect(visitor.locator(".ec-standing")).to_contain_text("有效")
    expect(visitor.locator(".ec-facts")).to_contain_text(certificate.number)
    assert person.id_number not in visitor.content()
    screenshot(visitor, "verify-valid-1280")
    phone = new_page(390, 844)
    phone.goto(urlsplit(url).path)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "verify-valid-390")

    # A reissue (as 变更注册 does on approval) voids the old one at once
    replacement = certificates.issue(certificate, clock.utcnow(), person=person)
    db.session.commit()
    visitor.goto(urlsplit(url).path)
    expect(visitor.locator(".ec-standing")).to_contain_text("已作废")
    screenshot(visitor, "verify-voided-1280")
    visitor.goto(f"/verify/{replacement.token}")
    expect(visitor.locator(".ec-standing")).to_contain_text("有效")
    visitor.goto("/verify")
    visitor.get_by_label("证书编号").fill(replacement.serial.lower().replace("-", " "))
    visitor.get_by_role("button", name="查验").click()
    expect(visitor.locator(".ec-standing")).to_contain_text("有效")

    # After 注销 the page says so and the holder can no longer download it
    certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    visitor.goto(f"/verify/{replacement.token}")
    expect(visitor.locator(".ec-standing")).to_contain_text("已注销")
    page.goto("/applicant/")
    expect(page.get_by_role("link", name="下载电子注册证书")).to_have_count(0)
    page.goto("/applicant/certificate.pdf")
    expect(page.get_by_role("alert").filter(has_text="已注销")).to_be_visible()


def test_the_public_register_in_the_browser(page, db):
    person, certificate = ready_applicant(db)
    certificate.employer_name = "辽宁华信化工有限公司"
    db.session.commit()
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="注册人员查询").click()
    page.get_by_label("姓名").fill(person.name)
    page.get_by_label("执业证编号").fill(certificate.number)
    page.get_by_role("button", name="查询").click()
    results = page.locator("table.data")
    expect(results).to_contain_text(certificate.number)
    expect(results).to_contain_text("有效")
    assert person.id_number not in page.content()
    screenshot(page, "register-1280")
