"""What 准予 does for each kind beyond 延续注册, a body's filed 注销, routing and certificate numbers — at the
service level, on both databases (the wizards and pages: tests/test_kinds_*.py, the console: test_console_kinds)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    AuditLog,
    Category,
    Certificate,
    CertificateStatus,
    ElectronicCertificate,
    Notice,
    OutboxMessage,
    StaffRole,
)
from portal.services.errors import DomainError
from portal.services.registration import cancellation, kinds, numbers, routing
from portal.services.review import transitions
from tests.factories import body, make_application, make_certificate, make_exam_record, make_person, make_staff

K = ApplicationKind
S = ApplicationStatus
CREDIT_CODE_SHENYANG = "91210100MA0QC0D37W"  # characters 3–4: 21 → 辽宁省


def passed(person, kind: ApplicationKind, draft: dict, *, body_code: str = "210000", exam=None) -> Application:
    """An application of ``kind`` that passed 初审 (as the wizard and the body leave it)."""
    application = make_application(person, status=S.INITIAL_PASSED, body_code=body_code)
    application.kind = kind
    application.draft = draft
    application.exam_record_id = exam.id if exam else None
    return application


def employer(name="沈阳新工化工有限公司", code=CREDIT_CODE_SHENYANG) -> dict:
    return {"name": name, "credit_code": code, "kind": "production", "address": "沈阳市浑南区",
            "contact_person": "李明", "contact_phone": "024-12345678"}


@pytest.fixture
def central(db):
    return make_staff(role=StaffRole.CENTRAL)


def test_initial_approval_issues_a_numbered_certificate_valid_five_years(db, central):
    person = make_person(category=None)
    exam = make_exam_record(id_number=person.id_number, category=Category.CHEMICAL)
    application = passed(person, K.INITIAL, {"employer": employer(), "exam": {"category": "chemical"}}, exam=exam)
    now = clock.utcnow()
    transitions.approve(application, central, now)
    db.session.commit()

    certificate = db.session.scalar(select(Certificate).where(Certificate.person_id == person.id))
    today = clock.today()
    assert certificate.number == f"ZA{today.year}21000001"
    assert (certificate.valid_from, certificate.valid_until) == (today, today.replace(year=today.year + 5))
    assert certificate.category is Category.CHEMICAL and certificate.status is CertificateStatus.VALID
    assert certificate.employer_name == "沈阳新工化工有限公司" and certificate.body_id == body("210000").id
    assert person.category is Category.CHEMICAL and person.employer.credit_code == CREDIT_CODE_SHENYANG
    assert application.status is S.APPROVED and application.certificate_id == certificate.id
    issued = db.session.scalar(select(ElectronicCertificate).where(ElectronicCertificate.certificate_id
                                                                   == certificate.id))
    assert issued.number == certificate.number and issued.voided_at is None
    notice = db.session.scalars(select(Notice).where(Notice.person_id == person.id)).all()[-1]
    assert f"执业证编号 {certificate.number}" in notice.text and "初始注册" in notice.text
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.staff_id == central.id)).all()
    assert "application.approve" in actions and "certificate.issued" in actions
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person.id)).one()
    assert mail.template == "application_approve_registration"
    assert mail.params["certificate_number"] == certificate.number and mail.params["kind"] == "初始注册"

    # the next one in the same province and year takes the next number
    other = make_person(category=None)
    passed(other, K.LATE_INITIAL, {"employer": employer("大连港安公司", "91210200MA0QC0D37X"),
                                   "exam": {"category": "coal"}})
    transitions.approve(db.session.scalars(select(Application).where(Application.person_id == other.id)).one(),
                        central, now)
    assert other.current_certificate.number == f"ZA{today.year}21000002"


def test_initial_approval_refused_for_a_holder(db, central):
    person = make_person()
    make_certificate(person)
    application = passed(person, K.INITIAL, {"employer": employer(), "exam": {"category": "chemical"}})
    with pytest.raises(DomainError, match="已有执业证"):
        transitions.approve(application, central, clock.utcnow())


def test_reregistration_makes_the_lapsed_registration_valid_again_under_its_number(db, central):
    person = make_person()
    certificate = make_certificate(person, valid_until=clock.today() - timedelta(days=400))
    number = certificate.number
    application = passed(person, K.REREGISTRATION, {"employer": employer()})
    transitions.approve(application, central, clock.utcnow())
    today = clock.today()
    assert certificate.number == number and certificate.status is CertificateStatus.VALID
    assert (certificate.valid_from, certificate.valid_until) == (today, today.replace(year=today.year + 5))


def test_change_keeps_number_and_validity_and_changes_employer_and_category(db, central):
    person = make_person()
    certificate = make_certificate(person, days_left=900)
    before = (certificate.number, certificate.valid_from, certificate.valid_until)
    first = transitions.approve(passed(person, K.CHANGE, {
        "employer": employer("大连港安公司", "91210200MA0QC0D37X"),
        "change": {"types": ["employer", "category"], "category": "coal"}}), central, clock.utcnow())
    assert first.status is S.APPROVED
    assert (certificate.number, certificate.valid_from, certificate.valid_until) == before
    assert certificate.employer_name == "大连港安公司" and certificate.category is Category.COAL
    assert person.category is Category.COAL and person.employer.name == "大连港安公司"
    issued = db.session.scalars(select(ElectronicCertificate).where(
        ElectronicCertificate.certificate_id == certificate.id)).all()
    assert [e.employer_name for e in issued if e.voided_at is None] == ["大连港安公司"]


def test_cancellation_revokes_and_closes_other_open_applications(db, central):
    person = make_person()
    certificate = make_certificate(person)
    renewal = make_application(person, status=S.SUBMITTED)
    reviewer = make_staff(body_code="210000")
    filed = cancellation.file_by_body(person, reviewer, "death", "", clock.utcnow())
    assert filed.status is S.INITIAL_PASSED and filed.filed_by_id == reviewer.id and filed.number
    assert filed.snapshot["cancellation"]["ground"] == "死亡"
    # the holder cannot start anything while it is pending
    rules = kinds.LifeCycleRules()
    assert not kinds.check(K.CHANGE, person, clock.today(), rules).ok

    transitions.approve(filed, central, clock.utcnow())
    assert certificate.status is CertificateStatus.REVOKED
    assert renewal.status is S.CLOSED
    notices = [n.text for n in db.session.scalars(select(Notice).where(Notice.person_id == person.id))]
    assert any("已终止办理" in text and "延续注册" in text for text in notices)
    assert any(f"执业证（编号 {certificate.number}）已注销" in text for text in notices)
    assert any("辽宁" in text and "注销情形：死亡" in text for text in notices)  # the filing's notice
    templates = db.session.scalars(select(OutboxMessage.template).where(OutboxMessage.person_id == person.id)).all()
    assert sorted(templates) == ["application_approve_cancellation", "application_close"]


def test_a_body_cannot_file_a_cancellation_for_another_bodys_person(db):
    person = make_person(body_code="110000")
    make_certificate(person)
    outsider = make_staff(body_code="210000")
    with pytest.raises(cancellation.OutsideJurisdiction):
        cancellation.file_by_body(person, outsider, "death", "", clock.utcnow())
    assert db.session.scalar(select(func.count()).select_from(Application)
                             .where(Application.kind == K.CANCELLATION)) == 0
    # (the console refuses such a request before the service, with an access.denied row: test_console_kinds)


def test_a_second_filing_and_bad_grounds_are_refused(db):
    person = make_person()
    make_certificate(person)
    reviewer = make_staff(body_code="210000")
    with pytest.raises(DomainError) as error:
        cancellation.file_by_body(person, reviewer, "nonsense", "", clock.utcnow())
    assert error.value.field == "ground"
    with pytest.raises(DomainError) as error:
        cancellation.file_by_body(person, reviewer, "other", "  ", clock.utcnow())
    assert error.value.field == "note"
    cancellation.file_by_body(person, reviewer, "criminal", "判决书（2026）辽01刑初1号", clock.utcnow())
    with pytest.raises(DomainError, match="正在等待注册管理中心确认"):
        cancellation.file_by_body(person, reviewer, "death", "", clock.utcnow())


def test_revocation_bans_reregistration_for_five_years(db, central):
    person = make_person()
    make_certificate(person)
    reviewer = make_staff(body_code="210000")
    filed = cancellation.file_by_body(person, reviewer, "revoked", "以欺骗手段取得注册", clock.utcnow())
    transitions.approve(filed, central, clock.utcnow())
    rules = kinds.LifeCycleRules()
    today = clock.today()
    refused = kinds.check(K.REREGISTRATION, person, today, rules)
    assert not refused.ok and "撤销" in refused.reason
    assert kinds.check(K.REREGISTRATION, person, today.replace(year=today.year + 5), rules).ok


def test_routing_follows_category_enterprise_and_credit_code(db):
    assert routing.suggest_body(Category.CONSTRUCTION, CREDIT_CODE_SHENYANG).code == "BM01"
    assert routing.suggest_body("road", CREDIT_CODE_SHENYANG).code == "BM02"
    enterprise = body("YQ01")
    assert routing.suggest_body(Category.CHEMICAL, CREDIT_CODE_SHENYANG, enterprise.id).code == "YQ01"
    assert routing.suggest_body(Category.CHEMICAL, CREDIT_CODE_SHENYANG).code == "210000"
    assert routing.suggest_body(Category.CHEMICAL, "91110000MA0QC0D37W").code == "110000"
    assert routing.suggest_body(Category.CHEMICAL, "9199") is None
    # a province body's id is no central enterprise
    assert routing.suggest_body(Category.CHEMICAL, CREDIT_CODE_SHENYANG, body("110000").id).code == "210000"


def test_certificate_numbers_skip_an_imported_number(db):
    person = make_person()
    taken = make_certificate(person)
    taken.number = "ZA203133000001"
    db.session.flush()
    assert numbers.next_certificate_number(2031, "33") == "ZA203133000002"
    assert numbers.next_certificate_number(2031, "33") == "ZA203133000003"
    assert numbers.province_digits(None, body("BM01")) == "00"
    assert numbers.province_digits(None, body("440000")) == "44"


def test_initial_turns_late_after_the_deadline(db):
    person = make_person(category=None)
    make_exam_record(id_number=person.id_number, exam_year=2016, category=Category.COAL)
    rules = kinds.LifeCycleRules()
    # qualified 2017-01-01, before 2019-03-01: the legacy deadline 2024-03-01 applies
    assert kinds.check(K.INITIAL, person, date(2024, 3, 1), rules).kind is K.INITIAL
    late = kinds.check(K.INITIAL, person, date(2024, 3, 2), rules)
    assert late.ok and late.kind is K.LATE_INITIAL and late.ce_hours == 48
    assert "逾期初始注册" in late.reason


def test_a_pending_change_shows_the_registration_as_changing_until_it_is_decided(db, central):
    from portal.services import certificates

    person = make_person(name="赵变更")
    certificate = make_certificate(person, days_left=900)
    issued = certificates.issue(certificate, clock.utcnow(), person=person)
    today = clock.today()
    application = make_application(person, status=S.SUBMITTED)
    application.kind = K.CHANGE
    application.draft = {"employer": employer("大连港安公司", "91210200MA0QC0D37X"), "change": {"types": ["employer"]}}
    db.session.flush()
    assert certificates.standing(issued, today) is certificates.Standing.CHANGING
    [entry] = certificates.register_by_number("赵变更", certificate.number, today)
    assert entry.status == "变更中"
    application.status = S.INITIAL_PASSED
    transitions.approve(application, central, clock.utcnow())
    assert certificates.standing(issued, today) is certificates.Standing.VOIDED  # reissued with the new employer
    assert certificates.registration_standing(certificate, today) is certificates.Standing.VALID
    assert certificates.register_by_number("赵变更", certificate.number, today)[0].employer == "大连港安公司"
