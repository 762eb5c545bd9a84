"""The renewal rules as functions: window edges, the age limit, CE counting, work history, drafts, 上报 checks."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.models import Application, ApplicationStatus, CertificateStatus, ContinuingEducation, WorkHistory
from portal.services.errors import DomainError, NotFound
from portal.services.renewal import records, window, wizard
from portal.services.renewal import submission as renewal_submission
from tests.factories import make_application, make_certificate, make_person

RULES = window.RenewalRules()
EXPIRY = date(2026, 3, 31)


@pytest.fixture
def holder(db):
    person = make_person(birth_date=date(1960, 6, 15))
    make_certificate(person, valid_until=EXPIRY)
    return person


def test_rules_come_from_the_settings(app):
    rules = window.RenewalRules.from_config({**app.config, "RENEWAL_WINDOW_MONTHS": 6, "CE_HOURS_REQUIRED": 60})
    assert (rules.window_months, rules.ce_hours_required, rules.age_limit) == (6, 60, 70)


@pytest.mark.parametrize(("today", "problem"), [
    (date(2025, 12, 30), "not_open"),
    (date(2025, 12, 31), None),  # three months before expiry: the window opens
    (date(2026, 3, 31), None),  # the expiry day itself
    (date(2026, 4, 1), "expired"),
])
def test_window_edges(holder, today, problem):
    result = window.check_eligibility(holder, today, RULES)
    assert result.problem == problem
    assert result.opens_on == date(2025, 12, 31) and result.closes_on == EXPIRY


def test_not_open_message_names_the_opening_day(holder):
    message = str(window.check_eligibility(holder, date(2025, 6, 1), RULES).message)
    assert "2025-12-31" in message and "2026-03-31" in message


def test_window_of_a_month_end_expiry(db):
    person = make_person()
    make_certificate(person, valid_until=date(2026, 5, 31))
    assert window.check_eligibility(person, date(2026, 2, 28), RULES).opens_on == date(2026, 2, 28)


@pytest.mark.parametrize(("birth", "problem"), [
    (date(1956, 2, 1), None),  # 69 on the application date
    (date(1956, 1, 1), "age"),  # 70 that day: the limit is reached
])
def test_age_limit_on_the_application_date(db, birth, problem):
    person = make_person(birth_date=birth)
    make_certificate(person, valid_until=EXPIRY)
    assert window.check_eligibility(person, date(2026, 1, 1), RULES).problem == problem


def test_age_from_the_id_number_when_no_birth_date(db):
    person = make_person(birth_date=date(1950, 1, 1))
    person.birth_date = None
    make_certificate(person, valid_until=EXPIRY)
    assert window.check_eligibility(person, date(2026, 1, 1), RULES).problem == "age"


def test_revoked_or_missing_certificate(db):
    person = make_person()
    assert window.check_eligibility(person, date(2026, 1, 1), RULES).problem == "no_certificate"
    make_certificate(person, valid_until=EXPIRY).status = CertificateStatus.REVOKED
    db.session.expire(person, ["certificates"])
    assert window.check_eligibility(person, date(2026, 1, 1), RULES).problem == "revoked"


def test_start_refuses_outside_the_window(holder):
    with pytest.raises(DomainError, match="2025-12-31开放"):
        wizard.start_renewal(holder, date(2025, 1, 1), RULES)


def test_start_reuses_the_draft_another_tab_just_created(db, holder, monkeypatch):
    """The partial unique index refuses a second open application; the draft already there is returned."""
    theirs = make_application(holder, status=ApplicationStatus.DRAFT)
    db.session.commit()
    original = wizard.open_application
    calls = []

    def not_yet_visible(person):
        calls.append(person)
        return None if len(calls) == 1 else original(person)

    monkeypatch.setattr(wizard, "open_application", not_yet_visible)
    mine = wizard.start_renewal(holder, date(2026, 1, 10), RULES)
    assert mine.id == theirs.id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1


def test_counted_education_is_inside_the_current_period(db, holder):
    def entry(start, end, hours):
        db.session.add(ContinuingEducation(person_id=holder.id, course="c", organiser="o", start_date=start,
                                           end_date=end, hours=hours))

    entry(date(2021, 3, 31), date(2021, 4, 2), 10)  # starts on the period's first day: counts
    entry(date(2021, 3, 30), date(2021, 4, 2), 20)  # straddles the start: previous period
    entry(date(2025, 12, 1), date(2025, 12, 3), 30)
    db.session.flush()
    summary = records.education_summary(holder, holder.current_certificate, date(2026, 1, 10), RULES)
    assert [counted for _, counted in summary.entries] == [False, True, True]
    assert summary.total == 40 and not summary.enough
    assert summary.period_from == date(2021, 3, 31)


@pytest.mark.parametrize(("data", "field"), [
    ({"hours": 0}, "hours"), ({"hours": 201}, "hours"), ({"hours": True}, "hours"), ({"hours": "8"}, "hours"),
    ({"start_date": None}, "start_date"), ({"end_date": None}, "end_date"),
    ({"end_date": date(2026, 1, 11)}, "end_date"),
])
def test_clean_education(data, field):
    good = {"course": "课程", "organiser": "机构", "start_date": date(2025, 1, 1), "end_date": date(2025, 1, 2),
            "hours": 8}
    assert records.clean_education(good, date(2026, 1, 10))["hours"] == 8
    with pytest.raises(DomainError) as error:
        records.clean_education({**good, **data}, date(2026, 1, 10))
    assert error.value.field == field


def row(start, end, name="单位"):
    return SimpleNamespace(start_date=start, end_date=end, employer_name=name)


@pytest.mark.parametrize("rows", [
    [row(date(2000, 1, 1), date(2005, 12, 31)), row(date(2006, 1, 1), None)],
    [row(date(2006, 1, 1), None)],
    [],
])
def test_work_history_without_overlaps(rows):
    records.check_work_history(rows, date(2026, 1, 10))


@pytest.mark.parametrize(("rows", "message"), [
    ([row(date(2000, 1, 1), date(2006, 1, 1)), row(date(2006, 1, 1), None)], "不能重叠"),  # the same day twice
    ([row(date(2000, 1, 1), None), row(date(2010, 1, 1), date(2012, 1, 1))], "只有最近的一段"),
    ([row(date(2000, 1, 1), None), row(date(2010, 1, 1), None)], "只有最近的一段"),
])
def test_work_history_overlaps(rows, message):
    with pytest.raises(DomainError, match=message):
        records.check_work_history(rows, date(2026, 1, 10))


def test_records_of_another_person_are_not_found(db, holder):
    other = make_person(name="李四")
    entry = ContinuingEducation(person_id=other.id, course="c", organiser="o", start_date=date(2025, 1, 1),
                                end_date=date(2025, 1, 2), hours=8)
    work = WorkHistory(person_id=other.id, start_date=date(2000, 1, 1), employer_name="x")
    db.session.add_all([entry, work])
    db.session.flush()
    with pytest.raises(NotFound):
        records.get_education(holder, entry.id)
    with pytest.raises(NotFound):
        records.get_work(holder, work.id)
    with pytest.raises(NotFound):
        wizard.get_own_application(make_application(other).id, holder)


def test_steps_and_resume(db, holder):
    application = wizard.start_renewal(holder, date(2026, 1, 10), RULES)
    assert wizard.first_open_step(application) == "personal"
    assert not wizard.step_allowed(application, "employer")
    application.draft = {**application.draft, "completed": ["personal", "employer"], "current": "employer"}
    assert wizard.step_allowed(application, "education") and not wizard.step_allowed(application, "work")
    assert wizard.resume_step(application) == "employer"
    application.draft = {**application.draft, "current": "preview"}  # not reachable: first open step instead
    assert wizard.resume_step(application) == "education"


def test_submission_lists_every_problem_at_once(db, holder):
    application = wizard.start_renewal(holder, date(2026, 1, 10), RULES)
    problems = [str(p) for p in renewal_submission.submission_problems(application, holder, date(2026, 1, 10), RULES)]
    assert any("请先完成以下步骤：个人基本信息、聘用单位信息、继续教育信息、工作经历、预览" in p for p in problems)
    assert any("不足48学时" in p for p in problems)
    assert any("请至少添加一条工作经历" in p for p in problems)
    with pytest.raises(DomainError, match="不足48学时"):
        renewal_submission.submit_renewal(application, holder, date(2026, 1, 10), utcnow(), RULES)
    assert application.status is ApplicationStatus.DRAFT and application.snapshot is None


def _ready_to_submit(db, holder):
    """A draft with every step done, 48 hours and one work row."""
    from tests.factories import body
    from tests.test_renewal_support import CREDIT_CODE, PERSONAL

    application = wizard.start_renewal(holder, date(2026, 1, 10), RULES)
    employer = {"name": "新单位", "credit_code": CREDIT_CODE, "kind": "service", "address": "沈阳市", "contact_person":
                "赵敏", "contact_phone": "024-23456789", "body_id": body("210000").id}
    application.draft = {**application.draft, "personal": PERSONAL, "employer": employer,
                         "completed": ["personal", "employer", "education", "work", "preview"]}
    db.session.add(ContinuingEducation(person_id=holder.id, course="c", organiser="o", start_date=date(2025, 1, 1),
                                       end_date=date(2025, 1, 3), hours=48))
    db.session.add(WorkHistory(person_id=holder.id, start_date=date(2000, 1, 1), employer_name="新单位"))
    db.session.flush()
    return application


def test_submit_keeps_an_existing_employer_record(db, holder):
    from portal.models import Employer, EmployerKind
    from tests.test_renewal_support import CREDIT_CODE

    existing = Employer(name="辽宁华信化工有限公司", credit_code=CREDIT_CODE, kind=EmployerKind.PRODUCTION,
                        address="原地址")
    db.session.add(existing)
    application = _ready_to_submit(db, holder)
    renewal_submission.submit_renewal(application, holder, date(2026, 1, 10), utcnow(), RULES)
    assert holder.employer is existing
    assert (existing.name, existing.address, existing.contact_person) == ("辽宁华信化工有限公司", "原地址", "赵敏")
    assert holder.employer_kind is EmployerKind.SERVICE
    assert application.snapshot["employer"]["name"] == "新单位"  # the form shows what the applicant entered
    assert application.snapshot["employer"]["kind"] == "安全生产专业服务机构"


def test_submit_when_another_applicant_just_added_the_employer(db, holder, monkeypatch):
    from portal.models import Employer
    from tests.test_renewal_support import CREDIT_CODE

    db.session.add(Employer(name="辽宁华信化工有限公司", credit_code=CREDIT_CODE))
    application = _ready_to_submit(db, holder)
    lookups = []
    real = renewal_submission._employer_by_code

    def not_seen_the_first_time(code):
        lookups.append(code)
        return None if len(lookups) == 1 else real(code)

    monkeypatch.setattr(renewal_submission, "_employer_by_code", not_seen_the_first_time)
    renewal_submission.submit_renewal(application, holder, date(2026, 1, 10), utcnow(), RULES)
    assert holder.employer.name == "辽宁华信化工有限公司"
    assert db.session.scalar(sa.select(sa.func.count(Employer.id))) == 1
    assert application.status is ApplicationStatus.SUBMITTED
