"""电子注册证书: issued on approval, signed (PAdES, checked with pyHanko), a QR code that decodes to the live
verification page, reissue voids the old one, downloads refused after 注销 or expiry; the public register."""

from __future__ import annotations

import io
import re
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from portal import create_app
from portal.extensions import db as _db
from portal.models import ApplicationStatus, AuditLog, CertificateStatus, ElectronicCertificate, StaffRole
from portal.services import certificates
from portal.services.certificates.signing import development_key
from portal.services.review import transitions
from tests.accounts_helpers import text
from tests.factories import login_as, make_application, make_certificate, make_person, make_staff

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def validate(pdf: bytes, ca_pem: Path):
    """pyHanko's validation, in a thread of its own: it runs an asyncio loop, and a browser test earlier in this
    process (Playwright's sync API) may have left one running in this thread."""
    def run():
        context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca_pem))])
        signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
        return validate_pdf_signature(signature, context)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def decode_qr(pdf: bytes, tmp_path: Path) -> str:
    for tool in ("pdftoppm", "zbarimg"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install poppler-utils zbar-tools"
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
                   check=True)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "c.png")], capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def holder_with_certificate(db, **values):
    person = make_person(**values)
    certificate = make_certificate(person, valid_until=date(2027, 3, 1))
    db.session.commit()
    return person, certificate


def test_a_signed_certificate_validates_and_any_changed_byte_breaks_it(app, db, frozen, tmp_path):
    """Signed with a key given in the settings: a development PKI made afresh for this test."""
    key = development_key(tmp_path / "pki")
    app.config.update(CERTIFICATE_SIGNING_P12=str(key.p12_path), CERTIFICATE_SIGNING_PASSPHRASE=key.passphrase.decode())
    person, certificate = holder_with_certificate(db)
    with app.test_request_context():
        issued = certificates.issue(certificate, NOW, person=person)
        db.session.commit()
        pdf = certificates.document(issued)
    ca = tmp_path / "pki" / "ca.pem"
    status = validate(pdf, ca)
    assert status.bottom_line and status.intact and status.trusted

    position = len(pdf) // 3  # in the original document, which the signature covers
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1:]
    broken = validate(tampered, ca)
    assert not broken.bottom_line and not broken.intact

    url = decode_qr(pdf, tmp_path)
    assert url == f"http://127.0.0.1:5000/verify/{issued.token}"
    assert re.fullmatch(r"DZ-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", issued.serial)


def test_the_verification_page_shows_the_live_standing_and_never_the_id_number(app, db, client, frozen):
    person, certificate = holder_with_certificate(db)
    issued = certificates.issue(certificate, NOW, person=person)
    db.session.commit()
    page = text(client.get(f"/verify/{issued.token}"))
    assert "有效" in page and person.name in page and certificate.number in page
    assert person.id_number not in page and person.id_number[-6:] not in page

    typed = issued.serial.replace("-", " ").lower()
    by_serial = text(client.get("/verify", query_string={"serial": typed}))
    assert "有效" in by_serial and certificate.number in by_serial

    replacement = certificates.issue(certificate, NOW, person=person)
    db.session.commit()
    assert "已作废" in text(client.get(f"/verify/{issued.token}"))
    assert "有效" in text(client.get(f"/verify/{replacement.token}"))

    certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert "已注销" in text(client.get(f"/verify/{replacement.token}"))
    assert client.get("/verify/not-a-token-at-all-xxxxxx").status_code == 404
    assert "未找到" in text(client.get("/verify", query_string={"serial": "DZ-2222-2222-2222"}))


def test_approval_issues_a_new_certificate_and_voids_the_previous(app, db, frozen):
    person, certificate = holder_with_certificate(db)
    central = make_staff("zhongxin", role=StaffRole.CENTRAL)
    application = make_application(person, status=ApplicationStatus.INITIAL_PASSED)
    db.session.commit()
    old = certificates.issue(certificate, NOW, person=person)
    db.session.commit()
    transitions.perform("approve", application, central, NOW)
    db.session.commit()
    db.session.expire_all()
    issued = db.session.scalars(select(ElectronicCertificate).order_by(ElectronicCertificate.id)).all()
    assert [row.serial for row in issued][0] == old.serial and len(issued) == 2
    assert issued[0].voided_at is not None and issued[1].voided_at is None
    assert issued[1].valid_until == certificate.valid_until
    assert issued[1].valid_until > date(2027, 3, 1)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "certificate.issued")).all()
    assert len(actions) == 2


def test_the_holder_downloads_while_valid_and_is_refused_after_revocation_or_expiry(app, db, client, frozen,
                                                                                   time_machine):
    person, certificate = holder_with_certificate(db)
    login_as(client, person)
    response = client.get("/applicant/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "filename=" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    second = client.get("/applicant/certificate.pdf")
    assert second.mimetype == "application/pdf" and second.data.startswith(b"%PDF")
    assert len(db.session.scalars(select(ElectronicCertificate)).all()) == 1  # the same certificate again
    downloads = db.session.scalars(select(AuditLog).where(AuditLog.action == "certificate.downloaded")).all()
    assert len(downloads) == 2 and person.id_number not in downloads[0].summary

    time_machine.move_to(datetime(2027, 3, 2, 2, 0, tzinfo=UTC), tick=False)  # the day after the expiry
    login_as(client, person)  # the months in between ended the session
    refused = client.get("/applicant/certificate.pdf", follow_redirects=True)
    assert "已过期" in text(refused) and refused.mimetype == "text/html"

    time_machine.move_to(NOW, tick=False)
    login_as(client, person)
    db.session.expire_all()
    certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert "已注销" in text(client.get("/applicant/certificate.pdf", follow_redirects=True))


def test_the_public_register_answers_exact_lookups_only(app, db, client, frozen):
    person, certificate = holder_with_certificate(db, name="李红梅")
    certificate.employer_name = "大连化工集团有限公司"
    make_person(name="李红")  # a prefix of the name finds nothing
    db.session.commit()
    page = text(client.get("/register", query_string={"name": "李红梅", "number": certificate.number}))
    assert certificate.number in page and "李红梅" in page and "有效" in page
    assert person.id_number not in page
    assert "未找到" in text(client.get("/register", query_string={"name": "李红", "number": certificate.number}))
    by_employer = text(client.get("/register", query_string={"employer": certificate.employer_name}))
    assert "李红梅" in by_employer
    assert "未找到" in text(client.get("/register", query_string={"employer": certificate.employer_name[:3]}))


@pytest.mark.parametrize("app_config", [{"CAPTCHA_ENABLED": True, "REGISTER_FREE_LOOKUPS": 2}])
def test_the_register_asks_for_the_captcha_after_a_few_lookups(app, db, client, frozen):
    person, certificate = holder_with_certificate(db)
    query = {"name": person.name, "number": certificate.number}
    for _ in range(2):
        assert certificate.number in text(client.get("/register", query_string=query))
    page = text(client.get("/register", query_string=query))
    assert "请输入验证码" in page and "查询结果" not in page


def test_serials_are_typed_in_any_form_and_never_contain_look_alikes():
    serial = certificates.new_serial()
    assert not set(serial[3:].replace("-", "")) & set("01OIL")
    assert certificates.normalize_serial(serial.lower().replace("-", " ")) == serial
    assert certificates.normalize_serial("DZ-0000-0000-0000") is None
    assert certificates.normalize_serial("") is None
    assert certificates.normalize_serial("x" * 500) is None


def test_a_reissue_in_the_past_is_not_valid_beyond_its_dates(app, db, frozen):
    person, certificate = holder_with_certificate(db)
    issued = certificates.issue(certificate, NOW, person=person)
    db.session.commit()
    assert certificates.standing(issued, date(2027, 3, 1)) is certificates.Standing.VALID
    assert certificates.standing(issued, date(2027, 3, 2)) is certificates.Standing.EXPIRED
    assert certificates.standing(issued, date(2027, 3, 1) - timedelta(days=400)) is certificates.Standing.VALID


def test_register_lookups_are_counted_together_by_every_worker_through_redis(db, test_config, redis_db):
    """Two app processes (as two gunicorn workers) on one Redis: lookups made through one count in the other."""
    person, certificate = holder_with_certificate(db)
    settings = {**test_config, "CAPTCHA_ENABLED": True, "REGISTER_FREE_LOOKUPS": 3,
                "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}", "RATELIMIT_KEY_PREFIX": secrets.token_hex(6)}
    first, second = create_app(settings), create_app(settings)
    try:
        assert first.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
        query = {"name": person.name, "number": certificate.number}
        for _ in range(3):
            assert "查询结果" in text(first.test_client().get("/register", query_string=query))
        asked = text(second.test_client().get("/register", query_string=query))
        assert "请输入验证码" in asked and "查询结果" not in asked
    finally:
        for worker in (first, second):  # their pools, closed (a pool left to the garbage collector warns)
            with worker.app_context():
                _db.engine.dispose()
