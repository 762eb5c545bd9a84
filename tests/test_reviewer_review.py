"""初审 and 审批 in the console: the queue (filters, search, masked ID numbers, export), an application's detail,
the decisions with their reasons, mail to the applicant, and two reviewers deciding at once."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.models import Application, ApplicationStatus, Category, Notice, OutboxMessage
from portal.services.infrastructure.dates import add_years
from tests.factories import login_as, make_application, make_certificate, make_person
from tests.test_reviewer_helpers import audit_rows, post, text, world

S = ApplicationStatus


def decide(client, application, decision: str, reason: str = "", version=None):
    """A decision as the console posts it, already confirmed (the confirmation page: tests/test_review_desk.py)."""
    return post(client, f"/reviewer/applications/decide/{decision}/",
                {f"{decision}-id": application.id, f"{decision}-version": version or application.version,
                 f"{decision}-reason": reason, f"{decision}-confirmed": "1"})


def reload(db, application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def test_queue_lists_submitted_applications_with_masked_id_numbers(client, db):
    w = world(db)
    returned = make_application(make_person(name="孙悟空", body_code="210000"), status=S.RETURNED)
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = client.get("/reviewer/").get_data(as_text=True)
    queue_url = next(part.split('"')[0] for part in page.split('href="')[1:] if "flt0_" in part)
    queue = client.get(queue_url.replace("&amp;", "&"))
    body = queue.get_data(as_text=True)
    assert "初审：已上报、待初审的申请" in text(queue)
    assert w.application_a.number in body and returned.number not in body
    assert w.person_a.id_number not in body  # masked in the list
    assert w.person_a.id_number[:4] + "**********" + w.person_a.id_number[-4:] in body

    everything = client.get("/reviewer/applications/").get_data(as_text=True)
    assert returned.number in everything and w.application_a.number in everything


def test_queue_search_and_filters(client, db):
    w = world(db)
    coal = make_person(name="钱学森", body_code="210000", category=Category.COAL)
    make_certificate(coal)
    old = make_application(coal)
    old.submitted_at = old.submitted_at - timedelta(days=40)
    db.session.commit()
    login_as(client, w.reviewer_a)

    def numbers(query: str) -> set[str]:
        page = client.get("/reviewer/applications/?" + query).get_data(as_text=True)
        return {a.number for a in (w.application_a, old) if a.number in page}

    assert numbers("search=钱学森") == {old.number}
    assert numbers(f"search={w.person_a.id_number}") == {w.application_a.number}
    assert numbers(f"search={old.number}") == {old.number}
    assert numbers("flt0_1=coal") == {old.number}
    today = clock.today()
    assert numbers(f"flt0_2={today - timedelta(days=1)}+to+{today}") == {w.application_a.number}
    assert numbers(f"flt0_2={today - timedelta(days=60)}+to+{today - timedelta(days=30)}") == {old.number}
    # Bad filter values are refused with a message, never reach the database
    page = client.get("/reviewer/applications/?flt0_0=hacked&flt1_2=notadate")
    assert page.status_code == 200 and "筛选条件的值无效" in text(page)


def test_search_matches_from_the_beginning_and_stays_in_the_body(client, db):
    """Search is by prefix (it uses indexes over a million people): a surname, the first digits of an ID number,
    the start of an application number; wildcards typed in the box are plain characters."""
    w = world(db)
    db.session.commit()
    login_as(client, w.reviewer_a)

    def people(query: str) -> bool:
        return w.person_a.masked_id_number in text(client.get("/reviewer/people/?search=" + query))

    def applications(query: str) -> bool:
        return w.application_a.number in text(client.get("/reviewer/applications/?search=" + query))

    assert people("王") and people("王建国") and people(w.person_a.id_number[:8])
    assert not people("建国")  # not from the beginning
    assert not people("%25")  # a typed % is not a wildcard
    assert applications(w.application_a.number[:6]) and applications("王建")
    assert not applications(w.application_a.number[3:])
    assert w.person_b.masked_id_number not in text(client.get("/reviewer/people/?search=赵"))  # another body


def test_export_csv_and_xlsx_of_the_filtered_scoped_queue(client, db):
    w = world(db)
    formula = make_person(name="=HYPERLINK(1)", body_code="210000")
    make_application(formula)
    db.session.commit()
    login_as(client, w.reviewer_a)
    response = client.get("/reviewer/applications/export/csv/")
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["申请编号", "姓名", "证件号码"]
    numbers = {row[0] for row in rows[1:]}
    assert w.application_a.number in numbers and w.application_b.number not in numbers
    assert all("*" in row[2] for row in rows[1:])  # masked
    assert "'=HYPERLINK(1)" in {row[1] for row in rows[1:]}  # a spreadsheet never runs it

    response = client.get("/reviewer/applications/export/xlsx/?search=王建国")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "申请编号" and [row[0] for row in values[1:]] == [w.application_a.number]
    assert "*" in values[1][2]
    exports = audit_rows(db, "application.export")
    assert [row.data["count"] for row in exports] == [2, 1]
    assert client.get("/reviewer/applications/export/json/").status_code == 404


def test_detail_shows_the_full_form_and_logs_the_opening(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    page = client.get(f"/reviewer/applications/details/?id={w.application_a.id}")
    assert page.status_code == 200
    content = text(page)
    assert "注册安全工程师延续注册申请表" in content and w.person_a.id_number in content
    assert "初审通过" in content and "退回修改" in content and "初审不通过" in content
    assert "准予延续注册" not in content  # that is central's decision
    opened = audit_rows(db, "application.view")
    assert len(opened) == 1 and opened[0].target_id == w.application_a.id
    assert w.person_a.id_number not in opened[0].summary

    pdf = client.get(f"/reviewer/applications/pdf/?id={w.application_a.id}")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert audit_rows(db, "application.pdf")[0].target_id == w.application_a.id


def test_a_form_that_cannot_be_printed_sends_the_reviewer_back_with_the_message(client, db, monkeypatch):
    """The PDF fails to render (here: markup the form's translator does not know): the application's page says so,
    no 500, and no opening of a PDF that was never delivered is logged."""
    from portal.services.documents import application_form

    w = world(db)
    login_as(client, w.reviewer_a)
    monkeypatch.setattr(application_form, "_form_html", lambda form: '<div class="af"><marquee>x</marquee></div>')
    response = client.get(f"/reviewer/applications/pdf/?id={w.application_a.id}", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "PDF文件生成失败，请稍后再试" in text(response) and w.application_a.number in text(response)
    assert audit_rows(db, "application.pdf") == []


def test_return_requires_a_reason_and_then_reaches_the_applicant(client, db, caplog):
    w = world(db)
    login_as(client, w.reviewer_a)
    page = decide(client, w.application_a, "return", "   ")
    assert page.status_code == 200 and "请勾选需要补正的材料，或填写退回原因" in text(page)
    assert reload(db, w.application_a).status is S.SUBMITTED

    reason = "1. 继续教育学时证明缺少盖章；\n2. 工作经历2019年起止时间与劳动合同不符。"
    caplog.set_level("INFO")
    response = decide(client, w.application_a, "return", reason)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "已退回申请人修改" in page and "退回修改" in page
    application = reload(db, w.application_a)
    assert application.status is S.RETURNED and application.last_reason == reason
    assert application.events[-1].staff_id == w.reviewer_a.id and application.decided_at is not None
    notice = db.session.scalar(select(Notice).where(Notice.person_id == w.person_a.id, Notice.kind == "returned"))
    assert "继续教育学时证明缺少盖章" in notice.text
    assert audit_rows(db, "application.return")[0].data["reason"] == reason
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "application_return"))
    assert mail.recipient == "wang@example.com" and mail.params["reason"] == reason  # committed with the decision


def test_pass_then_central_approves_and_the_certificate_is_extended(client, app, db):
    w = world(db)
    expiry = w.application_a.certificate.valid_until
    login_as(client, w.reviewer_a)
    assert decide(client, w.application_a, "initial_pass").status_code == 302
    assert reload(db, w.application_a).status is S.INITIAL_PASSED

    central = app.test_client()
    login_as(central, w.central)
    page = client.get("/reviewer/").get_data(as_text=True)
    assert 'data-count="submitted">0<' in page
    home = central.get("/reviewer/").get_data(as_text=True)
    assert 'data-count="initial_passed">1<' in home
    detail = text(central.get(f"/reviewer/applications/details/?id={w.application_a.id}"))
    assert "准予延续注册" in detail and "不予注册" in detail and "退回修改" not in detail
    assert decide(central, reload(db, w.application_a), "approve").status_code == 302
    application = reload(db, w.application_a)
    assert application.status is S.APPROVED
    assert application.certificate.valid_until == add_years(expiry, 5)


def test_refuse_needs_a_reason(client, db):
    w = world(db)
    w.application_a.status = S.INITIAL_PASSED
    db.session.commit()
    login_as(client, w.central)
    assert "请填写原因" in text(decide(client, w.application_a, "refuse", ""))
    assert decide(client, w.application_a, "refuse", "执业证所载单位已注销").status_code == 302
    application = reload(db, w.application_a)
    assert application.status is S.REFUSED and application.last_reason == "执业证所载单位已注销"


def test_a_decision_in_the_wrong_state_or_role_changes_nothing(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    response = decide(client, w.application_a, "approve")  # a reviewer cannot approve
    assert response.status_code == 403
    assert reload(db, w.application_a).status is S.SUBMITTED
    assert audit_rows(db, "access.denied")

    w.application_a = reload(db, w.application_a)
    w.application_a.status = S.APPROVED
    db.session.commit()
    response = decide(client, w.application_a, "initial_pass")
    page = text(client.get(response.headers["Location"]))
    assert "不能进行此操作" in page or "已由其他人员处理" in page
    assert reload(db, w.application_a).status is S.APPROVED


def test_two_reviewers_deciding_at_once_one_wins_the_other_is_told(client, app, db):
    """Both opened the detail page (same version); the second decision finds the application already decided."""
    w = world(db)
    from tests.factories import make_staff

    colleague = make_staff("reviewer_a2", body_code="210000")
    db.session.commit()
    second = app.test_client()
    login_as(client, w.reviewer_a)
    login_as(second, colleague)
    version = w.application_a.version
    assert decide(client, w.application_a, "initial_pass", version=version).status_code == 302
    response = decide(second, w.application_a, "initial_reject", "材料不全", version=version)
    assert response.status_code == 302
    page = text(second.get(response.headers["Location"]))
    assert "该申请已由其他人员处理" in page and "您的操作未保存" in page
    application = reload(db, w.application_a)
    assert application.status is S.INITIAL_PASSED and application.last_reason is None
    assert [event.action for event in application.events if event.staff_id] == ["initial_pass"]


def test_simultaneous_flushes_one_wins_at_the_database(db):
    """The optimistic lock itself: two sessions load the same version; the second UPDATE matches no row and the
    reviewer gets a message, not an error page."""
    from sqlalchemy.orm import Session

    from portal.clock import utcnow
    from portal.models import Staff
    from portal.services.errors import DomainError
    from portal.services.review import queue as review_queue

    w = world(db)
    mine = db.session.get(Application, w.application_a.id)
    reviewer = db.session.get(Staff, w.reviewer_a.id)
    assert mine.status is S.SUBMITTED  # loaded before the other decision
    with Session(db.engine) as other:  # another worker process, deciding first
        other.get(Application, w.application_a.id).status = S.INITIAL_PASSED
        other.commit()
    with pytest.raises(DomainError) as refused:
        review_queue.decide(mine, reviewer, "initial_reject", "材料不全", utcnow())
    db.session.rollback()
    assert "已被其他审核人员处理" in str(refused.value)
    assert reload(db, w.application_a).status is S.INITIAL_PASSED


def test_a_decision_that_rolls_back_leaves_no_mail(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    response = decide(client, w.application_a, "initial_pass", version=w.application_a.version + 1)  # stale page
    assert response.status_code in (200, 302)
    assert reload(db, w.application_a).status is S.SUBMITTED
    assert db.session.scalar(select(OutboxMessage)) is None


def test_search_finds_the_matching_ids_first_and_joins_nothing(app, db):
    """The search condition of a list is a set of ids found through each column's prefix index — a related
    record's column through that record's ids — never a join: over 200,000 applications a join to the people
    named 王伟 let PostgreSQL scan every application when it guessed 10,000 of them (479 in fact). On PostgreSQL
    the ids are an array computed first (``= ANY(array(…))``), which the planner looks up by index whatever it
    guesses; SQLite takes ``IN (SELECT …)``."""
    view = next(view for view in app.extensions["reviewer_console"]._views
                if view.endpoint == "reviewer_applications")
    condition = view._prefix_matches("王伟%")
    sql = str(condition.compile(dialect=db.engine.dialect))
    assert "JOIN" not in sql
    if db.engine.dialect.name == "postgresql":
        assert sql.startswith("applications.id = ANY (array((SELECT")
        assert "applications.person_id = ANY (array((SELECT people.id" in sql
    else:
        assert sql.startswith("applications.id IN (SELECT") and "applications.person_id IN (SELECT people.id" in sql
    person = make_person(name="王伟", body_code="210000")
    application = make_application(person)
    make_application(make_person(name="王建国", body_code="210000"))
    db.session.commit()
    found = db.session.scalars(select(Application.id).where(condition)).all()
    assert found == [application.id]
