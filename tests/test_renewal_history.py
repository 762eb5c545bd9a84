"""历史记录, an application's page, the form PDF, 撤回, and a returned application submitted again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal import clock
from portal.clock import utcnow
from portal.models import Application, ApplicationStatus, Notice, StaffRole
from portal.services.review import transitions
from tests.factories import login_as, make_application, make_certificate, make_person, make_staff
from tests.test_renewal_support import PERSONAL, csrf_token, fill_wizard, pdf_text, post, submit, text

S = ApplicationStatus


def submitted_application(client, db, person) -> Application:
    login_as(client, person)
    fill_wizard(client)
    submit(client)
    db.session.expire_all()
    return db.session.scalar(sa.select(Application).where(Application.person_id == person.id)
                             .order_by(Application.id.desc()).limit(1))


def test_history_lists_every_application_newest_first(client, db, applicant):
    old = make_application(applicant, status=S.APPROVED)
    old.created_at = datetime(2021, 6, 1, tzinfo=UTC)
    old.last_reason = None
    rejected = make_application(applicant, status=S.INITIAL_REJECTED, body_code="110000")
    rejected.created_at = datetime(2022, 6, 1, tzinfo=UTC)
    rejected.events.append(transitions.ApplicationEvent(action="initial_reject", from_status=S.SUBMITTED,
                                                        to_status=S.INITIAL_REJECTED, reason="工作经历不符",
                                                        staff_id=make_staff().id))
    db.session.commit()
    application = submitted_application(client, db, applicant)
    response = client.get("/applicant/history")
    page = text(response)
    assert page.index(application.number) < page.index(rejected.number) < page.index(old.number)
    assert "已上报" in page and "初审不通过" in page and "准予注册" in page
    assert "工作经历不符" in page
    assert "北京市应急管理局" in page and "辽宁省应急管理厅" in page
    assert "延续注册" in page
    html = response.get_data(as_text=True)
    assert f"/applicant/applications/{application.id}/form.pdf?download=1" in html
    assert 'class="badge badge-submitted"' in html


def test_history_offers_editing_and_withdrawal_only_where_the_rules_allow(client, db, applicant):
    approved = make_application(applicant, status=S.APPROVED)
    returned = make_application(applicant, status=S.RETURNED)
    db.session.commit()
    login_as(client, applicant)
    html = client.get("/applicant/history").get_data(as_text=True)
    rows = {number: html[html.index(number):].split("</tr>")[0] for number in (approved.number, returned.number)}
    assert "修改" in rows[returned.number] and "撤回" in rows[returned.number]
    assert "修改" not in rows[approved.number] and "撤回" not in rows[approved.number]
    detail = text(client.get(f"/applicant/applications/{returned.id}"))
    assert "修改并重新上报" in detail


def test_the_pdf_holds_the_frozen_form(client, db, applicant):
    application = submitted_application(client, db, applicant)
    response = client.get(f"/applicant/applications/{application.id}/form.pdf?download=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    disposition.encode("latin-1")  # a real server sends headers as latin-1: the Chinese name is RFC 5987-quoted
    assert "filename*=UTF-8''%E5%BB%B6%E7%BB%AD%E6%B3%A8%E5%86%8C" in disposition
    assert f'filename="{application.number}.pdf"' in disposition  # the ASCII fallback, e.g. YX2026000001.pdf
    content = pdf_text(response.data)
    for expected in (applicant.name, applicant.id_number, "辽宁华信化工有限公司", application.number,
                     "延续注册申请表", "聘用单位公章", "注册机构初审意见", "申请人签名", "注册管理中心审批意见"):
        assert expected in content, expected
    assert "48" in content.split("学时合计")[1][:40]
    inline = client.get(f"/applicant/applications/{application.id}/form.pdf")
    assert inline.headers["Content-Disposition"].startswith("inline")


def test_later_profile_edits_do_not_change_a_submitted_form(client, db, applicant):
    application = submitted_application(client, db, applicant)
    applicant.mobile = "13000000000"
    applicant.address = "北京市东城区新地址"
    db.session.commit()
    content = pdf_text(client.get(f"/applicant/applications/{application.id}/form.pdf").data)
    assert "13912345678" in content
    assert "新地址" not in content


def test_a_demo_style_snapshot_still_renders(client, db, applicant):
    application = make_application(applicant)  # a snapshot with only name and ID number
    db.session.commit()
    login_as(client, applicant)
    content = pdf_text(client.get(f"/applicant/applications/{application.id}/form.pdf").data)
    assert applicant.name in content and application.number in content


def test_a_draft_has_no_pdf_yet(client, db, applicant):
    application = make_application(applicant, status=S.DRAFT)
    db.session.commit()
    login_as(client, applicant)
    response = client.get(f"/applicant/applications/{application.id}/form.pdf")
    assert response.status_code == 302
    assert "申请上报后才能导出申请表" in text(client.get(response.headers["Location"]))


def test_another_persons_application_answers_404(client, db, applicant):
    other = make_person(name="李四")
    make_certificate(other)
    theirs = make_application(other)
    db.session.commit()
    login_as(client, applicant)
    token = csrf_token(client)
    for url in (f"/applicant/applications/{theirs.id}", f"/applicant/applications/{theirs.id}/form.pdf",
                f"/applicant/applications/{theirs.id}/withdraw", "/applicant/applications/999999"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/applicant/applications/{theirs.id}/withdraw", token=token).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status is S.SUBMITTED
    assert theirs.number not in text(client.get("/applicant/history"))


def test_withdraw_a_submitted_application_after_confirmation(client, db, applicant):
    application = submitted_application(client, db, applicant)
    page = text(client.get(f"/applicant/applications/{application.id}/withdraw"))
    assert "确认撤回" in page and application.number in page
    db.session.refresh(application)
    assert application.status is S.SUBMITTED  # the confirmation page changes nothing
    response = post(client, f"/applicant/applications/{application.id}/withdraw",
                    token=csrf_token(client, f"/applicant/applications/{application.id}/withdraw"))
    assert response.headers["Location"].endswith("/applicant/history")
    db.session.refresh(application)
    assert application.status is S.WITHDRAWN
    assert "已撤回" in text(client.get("/applicant/history"))
    # a withdrawn application no longer blocks a new one
    assert "开始延续注册" in text(client.get("/applicant/renewal/"))


def test_withdraw_a_draft(client, db, applicant):
    login_as(client, applicant)
    token = csrf_token(client)
    post(client, "/applicant/renewal/start", token=token)
    application = db.session.scalar(sa.select(Application))
    post(client, f"/applicant/applications/{application.id}/withdraw", token=token)
    db.session.refresh(application)
    assert application.status is S.WITHDRAWN
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0


@pytest.mark.parametrize("status", [S.INITIAL_PASSED, S.APPROVED, S.INITIAL_REJECTED])
def test_withdrawal_refused_once_reviewed(client, db, applicant, status):
    application = make_application(applicant, status=status)
    db.session.commit()
    login_as(client, applicant)
    token = csrf_token(client, "/applicant/renewal/")
    response = client.get(f"/applicant/applications/{application.id}/withdraw")
    assert response.status_code == 302
    response = post(client, f"/applicant/applications/{application.id}/withdraw", token=token)
    assert "不能撤回" in text(client.get(response.headers["Location"]))
    db.session.refresh(application)
    assert application.status is status


def test_returned_application_shows_the_reason_and_is_resubmitted_with_its_number(client, db, applicant):
    application = submitted_application(client, db, applicant)
    number = application.number
    reviewer = make_staff("ln", body_code="210000")
    transitions.return_for_changes(application, reviewer, "请补充2025年度继续教育证明", utcnow())
    db.session.commit()
    response = client.get("/applicant/renewal/")
    assert response.headers["Location"].endswith("/applicant/renewal/preview")  # the whole form first
    page = text(client.get("/applicant/renewal/personal"))
    assert "注册机构退回修改的原因： 请补充2025年度继续教育证明" in page
    assert number in page
    token = csrf_token(client, "/applicant/renewal/personal")
    assert post(client, "/applicant/renewal/personal", {**PERSONAL, "mobile": "13600000000"}, token).status_code == 302
    assert "重新上报" in text(client.get("/applicant/renewal/submit"))
    response = submit(client, token)
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status is S.SUBMITTED
    assert application.number == number
    assert application.snapshot["person"]["mobile"] == "13600000000"
    assert [event.action for event in application.events] == ["submit", "return", "resubmit"]
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1
    assert "13600000000" in pdf_text(client.get(f"/applicant/applications/{application.id}/form.pdf").data)


def test_resubmission_after_expiry_is_allowed_but_not_over_the_age_limit(client, db, applicant):
    application = submitted_application(client, db, applicant)
    transitions.return_for_changes(application, make_staff(body_code="210000"), "补充材料", utcnow())
    applicant.current_certificate.valid_until = clock.today().replace(day=1) if clock.today().day > 1 else clock.today()
    db.session.commit()
    token = csrf_token(client, "/applicant/renewal/submit")
    applicant.birth_date = date(clock.today().year - 75, 1, 1)
    db.session.commit()
    response = submit(client, token)
    assert response.status_code == 200 and "年满70周岁" in text(response)
    applicant.birth_date = date(1975, 5, 5)
    db.session.commit()
    assert submit(client, token).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).status is S.SUBMITTED


def test_detail_page_lists_the_decisions(client, db, applicant):
    application = make_application(applicant, status=S.SUBMITTED)
    central = make_staff(role=StaffRole.CENTRAL)
    transitions.initial_pass(application, make_staff(body_code="210000"), utcnow())
    transitions.refuse(application, central, "材料不实", utcnow())
    db.session.commit()
    login_as(client, applicant)
    page = text(client.get(f"/applicant/applications/{application.id}"))
    assert "初审通过" in page and "不予注册" in page and "材料不实" in page
    assert "撤回" not in page.split("办理过程")[0].split("延续注册申请")[-1]
