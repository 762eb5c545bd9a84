"""The application state machine: every transition, its guards, its history row, notice and audit row."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal import clock
from portal.clock import utcnow
from portal.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AuditLog,
    CertificateStatus,
    Notice,
    StaffRole,
)
from portal.services.errors import DomainError
from portal.services.review import transitions
from portal.services.review.transitions import ConcurrentChange
from tests.factories import make_application, make_certificate, make_person, make_staff

S = ApplicationStatus


@pytest.fixture
def people(db):
    """An applicant of the Liaoning body with a certificate; a Liaoning and a Beijing reviewer; central."""
    person = make_person()
    make_certificate(person, valid_until=date(2026, 3, 31))
    return {
        "person": person,
        "reviewer": make_staff("ln", body_code="210000"),
        "other_reviewer": make_staff("bj", body_code="110000"),
        "central": make_staff("center", role=StaffRole.CENTRAL),
    }


def events(db, application) -> list[tuple[str, str | None, str]]:
    rows = db.session.scalars(sa.select(ApplicationEvent)
                              .where(ApplicationEvent.application_id == application.id)
                              .order_by(ApplicationEvent.id))
    return [(row.action, row.from_status and row.from_status.value, row.to_status.value) for row in rows]


def notices(db, person) -> list[str]:
    return [n.kind for n in db.session.scalars(sa.select(Notice).where(Notice.person_id == person.id)
                                                 .order_by(Notice.id))]


def test_submit_assigns_a_number_freezes_the_snapshot_and_notifies(db, people):
    person = people["person"]
    application = make_application(person, status=S.DRAFT)
    now = utcnow()
    snapshot = {"person": {"name": person.name}, "body": {"name": "辽宁省应急管理厅"}}
    transitions.submit(application, person, snapshot, now)
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.SUBMITTED
    assert application.number == f"YX{clock.local_date(now):%Y}{application.id:08d}"  # the registry's year
    assert application.snapshot["person"]["name"] == "王建国"
    assert application.submitted_at == now
    assert events(db, application) == [("submit", "draft", "submitted")]
    notice = db.session.scalar(sa.select(Notice).where(Notice.person_id == person.id))
    assert notice.kind == "submitted" and application.number in notice.text
    assert "辽宁省应急管理厅" in notice.text
    assert "加盖聘用单位公章" in notice.text


def test_submit_twice_is_refused(db, people):
    person = people["person"]
    application = make_application(person, status=S.DRAFT)
    transitions.submit(application, person, {}, utcnow())
    with pytest.raises(DomainError, match="不能重复上报"):
        transitions.submit(application, person, {}, utcnow())


def test_only_the_owner_submits_or_withdraws(db, people):
    application = make_application(people["person"], status=S.DRAFT)
    stranger = make_person(name="李四")
    with pytest.raises(DomainError, match="本人"):
        transitions.submit(application, stranger, {}, utcnow())
    with pytest.raises(DomainError, match="本人"):
        transitions.withdraw(application, stranger, utcnow())
    assert application.status is S.DRAFT


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED])
def test_withdraw_an_open_application_not_under_review(db, people, status):
    person = people["person"]
    application = make_application(person, status=status)
    transitions.withdraw(application, person, utcnow())
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.WITHDRAWN
    assert events(db, application)[-1] == ("withdraw", status.value, "withdrawn")


@pytest.mark.parametrize("status", [S.INITIAL_PASSED, S.APPROVED, S.REFUSED, S.INITIAL_REJECTED, S.WITHDRAWN])
def test_withdraw_is_refused_once_a_reviewer_acted(db, people, status):
    person = people["person"]
    application = make_application(person, status=status)
    with pytest.raises(DomainError, match="不能撤回"):
        transitions.withdraw(application, person, utcnow())
    assert application.status is status


def test_initial_pass_by_the_bodys_reviewer(db, people):
    application = make_application(people["person"])
    now = utcnow()
    transitions.initial_pass(application, people["reviewer"], now)
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.INITIAL_PASSED
    assert application.decided_at == now
    event = application.events[-1]
    assert (event.action, event.staff_id) == ("initial_pass", people["reviewer"].id)
    assert event.from_status is S.SUBMITTED
    assert notices(db, people["person"]) == ["initial_passed"]
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "application.initial_pass"))
    assert log.staff_id == people["reviewer"].id and log.target_id == application.id
    assert people["person"].id_number not in log.summary


@pytest.mark.parametrize("decide", [
    lambda app, staff: transitions.initial_pass(app, staff, utcnow()),
    lambda app, staff: transitions.return_for_changes(app, staff, "缺材料", utcnow()),
    lambda app, staff: transitions.initial_reject(app, staff, "不符合", utcnow()),
])
def test_initial_decisions_only_by_a_reviewer_of_the_applications_body(db, people, decide):
    application = make_application(people["person"])
    for staff in (people["other_reviewer"], people["central"]):
        with pytest.raises(DomainError, match="本注册机构"):
            decide(application, staff)
    people["reviewer"].active = False
    with pytest.raises(DomainError, match="本注册机构"):
        decide(application, people["reviewer"])
    assert application.status is S.SUBMITTED
    assert events(db, application) == []


def test_return_for_changes_needs_a_reason_and_tells_the_applicant(db, people):
    application = make_application(people["person"])
    for empty in ("", "   ", None):
        with pytest.raises(DomainError, match="请填写原因") as error:
            transitions.return_for_changes(application, people["reviewer"], empty, utcnow())
        assert error.value.field == "reason"
    with pytest.raises(DomainError, match="不能超过"):
        transitions.return_for_changes(application, people["reviewer"], "长" * 2001, utcnow())
    transitions.return_for_changes(application, people["reviewer"], "  继续教育证明不全  ", utcnow())
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.RETURNED
    assert application.last_reason == "继续教育证明不全"
    assert application.events[-1].reason == "继续教育证明不全"
    notice = db.session.scalar(sa.select(Notice).where(Notice.person_id == people["person"].id))
    assert notice.kind == "returned" and "继续教育证明不全" in notice.text


def test_returned_application_is_resubmitted_with_the_same_number(db, people):
    person = people["person"]
    application = make_application(person)
    number = application.number
    transitions.return_for_changes(application, people["reviewer"], "补充工作经历", utcnow())
    transitions.submit(application, person, {"person": {"name": "王建国"}}, utcnow())
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.SUBMITTED
    assert application.number == number
    assert [e[0] for e in events(db, application)] == ["return", "resubmit"]


def test_initial_reject(db, people):
    application = make_application(people["person"])
    with pytest.raises(DomainError, match="请填写原因"):
        transitions.initial_reject(application, people["reviewer"], "", utcnow())
    transitions.initial_reject(application, people["reviewer"], "工作经历不符", utcnow())
    assert application.status is S.INITIAL_REJECTED
    assert application.last_reason == "工作经历不符"
    assert notices(db, people["person"]) == ["initial_rejected"]


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.INITIAL_PASSED, S.APPROVED, S.WITHDRAWN])
def test_initial_decisions_need_a_submitted_application(db, people, status):
    application = make_application(people["person"], status=status)
    with pytest.raises(DomainError, match="不能进行此操作"):
        transitions.initial_pass(application, people["reviewer"], utcnow())
    with pytest.raises(DomainError, match="不能进行此操作"):
        transitions.return_for_changes(application, people["reviewer"], "理由", utcnow())
    assert application.status is status


def test_approve_extends_the_certificate_from_the_old_expiry(db, people):
    application = make_application(people["person"], status=S.INITIAL_PASSED)
    certificate = application.certificate
    certificate.status = CertificateStatus.EXPIRED
    transitions.approve(application, people["central"], utcnow())
    db.session.commit()
    db.session.expire_all()
    assert application.status is S.APPROVED
    assert certificate.valid_from == date(2026, 3, 31)
    assert certificate.valid_until == date(2031, 3, 31)
    assert certificate.status is CertificateStatus.VALID
    assert notices(db, people["person"]) == ["approved"]
    assert "2031-03-31" in db.session.scalar(sa.select(Notice)).text
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "application.approve"))
    assert log.data["valid_until"] == ["2026-03-31", "2031-03-31"]


def test_approve_uses_the_configured_period(db, people):
    application = make_application(people["person"], status=S.INITIAL_PASSED)
    transitions.approve(application, people["central"], utcnow(), period_years=3)
    assert application.certificate.valid_until == date(2029, 3, 31)


def test_only_central_staff_approve_or_refuse(db, people):
    application = make_application(people["person"], status=S.INITIAL_PASSED)
    with pytest.raises(DomainError, match="注册管理中心"):
        transitions.approve(application, people["reviewer"], utcnow())
    with pytest.raises(DomainError, match="注册管理中心"):
        transitions.refuse(application, people["reviewer"], "理由", utcnow())
    assert application.status is S.INITIAL_PASSED
    assert application.certificate.valid_until == date(2026, 3, 31)


def test_approve_needs_initial_pass_first(db, people):
    application = make_application(people["person"])
    with pytest.raises(DomainError, match="已上报"):
        transitions.approve(application, people["central"], utcnow())
    assert application.certificate.valid_until == date(2026, 3, 31)


def test_refuse_with_a_reason(db, people):
    application = make_application(people["person"], status=S.INITIAL_PASSED)
    with pytest.raises(DomainError, match="请填写原因"):
        transitions.refuse(application, people["central"], " ", utcnow())
    transitions.refuse(application, people["central"], "材料虚假", utcnow())
    assert application.status is S.REFUSED
    assert application.last_reason == "材料虚假"
    assert application.certificate.valid_until == date(2026, 3, 31)


def test_two_reviewers_at_once_only_one_wins(db, people):
    """Both loaded the submitted application; the other reviewer's decision is committed first."""
    application = make_application(people["person"])
    db.session.commit()
    assert application.status is S.SUBMITTED  # loaded, version 1
    with db.engine.begin() as other:  # the other reviewer's request commits
        other.execute(sa.update(Application).where(Application.id == application.id)
                      .values(status=S.RETURNED, version=Application.version + 1))
    with pytest.raises(ConcurrentChange, match="该申请已被其他审核人员处理，请刷新后查看"):
        transitions.initial_pass(application, people["reviewer"], utcnow())
    db.session.rollback()
    db.session.expire_all()
    assert application.status is S.RETURNED
    assert events(db, application) == []
    assert notices(db, people["person"]) == []


def test_concurrent_change_seen_by_the_applicant(db, people):
    person = people["person"]
    application = make_application(person)
    db.session.commit()
    assert application.status is S.SUBMITTED
    with db.engine.begin() as other:
        other.execute(sa.update(Application).where(Application.id == application.id)
                      .values(status=S.INITIAL_PASSED, version=Application.version + 1))
    with pytest.raises(ConcurrentChange, match="状态已发生变化"):
        transitions.withdraw(application, person, utcnow())
    db.session.rollback()
    db.session.expire_all()
    assert application.status is S.INITIAL_PASSED
