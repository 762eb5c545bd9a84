"""The 延续注册 wizard through HTTP: the window, each step's input rules, no skipping, resuming, 上报 once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.models import Application, ApplicationStatus, ContinuingEducation, Notice, WorkHistory
from portal.services.infrastructure.dates import add_years
from tests.factories import login_as, make_certificate, make_person
from tests.test_renewal_support import (
    PERSONAL,
    ce_data,
    csrf_token,
    employer_data,
    fill_wizard,
    post,
    submit,
    text,
    work_data,
)

S = ApplicationStatus


def applications(db, person) -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Application).where(Application.person_id == person.id)))


# --- the window -------------------------------------------------------------------------------------------


def test_inside_the_window_the_page_offers_to_start(client, applicant):
    login_as(client, applicant)
    page = text(client.get("/applicant/renewal/"))
    assert "现在可以申请延续注册" in page
    assert "开始延续注册" in page
    assert "48学时" in page


def test_before_the_window_the_page_says_when_it_opens(client, db):
    person = make_person()
    certificate = make_certificate(person, days_left=200)
    db.session.commit()
    login_as(client, person)
    page = text(client.get("/applicant/renewal/"))
    opens = date(certificate.valid_until.year, certificate.valid_until.month, 1)  # rough: month arithmetic below
    from portal.services.infrastructure.dates import add_months
    opens = add_months(certificate.valid_until, -3)
    assert f"延续注册将于{opens.isoformat()}开放" in page
    assert "开始延续注册" not in page
    response = post(client, "/applicant/renewal/start", token=csrf_token(client, "/applicant/renewal/personal"))
    assert response.status_code == 302
    assert applications(db, person) == []


def test_after_expiry_the_page_says_reregistration_is_needed(client, db):
    person = make_person()
    make_certificate(person, days_left=-1)
    db.session.commit()
    login_as(client, person)
    page = text(client.get("/applicant/renewal/"))
    assert "需申请重新注册" in page
    assert "开始延续注册" not in page


def test_over_the_age_limit_cannot_renew(client, db):
    born = add_years(clock.today(), -71)
    person = make_person(birth_date=born)
    make_certificate(person)
    db.session.commit()
    login_as(client, person)
    page = text(client.get("/applicant/renewal/"))
    assert "年满70周岁" in page and "不能申请延续注册" in page
    assert "开始延续注册" not in page


def test_without_a_certificate_there_is_nothing_to_renew(client, db):
    person = make_person()
    db.session.commit()
    login_as(client, person)
    assert "没有您的执业证注册信息" in text(client.get("/applicant/renewal/"))


# --- steps ------------------------------------------------------------------------------------------------


def test_start_creates_one_draft_prefilled_from_the_profile(client, db, applicant):
    applicant.mobile, applicant.education = "13800000000", "硕士研究生"
    db.session.commit()
    login_as(client, applicant)
    token = csrf_token(client)
    response = post(client, "/applicant/renewal/start", token=token)
    assert response.headers["Location"].endswith("/applicant/renewal/")
    post(client, "/applicant/renewal/start", token=token)  # a second tab
    (application,) = applications(db, applicant)
    assert application.status is S.DRAFT and application.number is None
    assert application.body.code == "210000"
    page = client.get("/applicant/renewal/", follow_redirects=True)
    assert "13800000000" in page.get_data(as_text=True) and "硕士研究生" in page.get_data(as_text=True)
    assert "个人基本信息" in text(page)


def test_a_step_cannot_be_skipped_by_typing_its_url(client, db, applicant):
    login_as(client, applicant)
    post(client, "/applicant/renewal/start")
    for url in ("/applicant/renewal/employer", "/applicant/renewal/education", "/applicant/renewal/work",
                "/applicant/renewal/preview", "/applicant/renewal/submit"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/applicant/renewal/personal")
    page = text(client.get("/applicant/renewal/personal"))
    assert "请按顺序填写，先完成“个人基本信息”" in page
    response = submit(client, token=csrf_token(client, "/applicant/renewal/personal"))
    assert response.status_code == 302
    assert applications(db, applicant)[0].status is S.DRAFT


def test_step_pages_need_an_application(client, applicant):
    login_as(client, applicant)
    response = client.get("/applicant/renewal/employer")
    assert response.headers["Location"].endswith("/applicant/renewal/")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("mobile", "12345", "请填写11位手机号码"),
    ("email", "not-an-email", "电子邮箱格式不正确"),
    ("postcode", "1100", "邮政编码应为6位数字"),
    ("major", "", "请填写所学专业"),
    ("address", "长" * 201, "不能超过200个字"),
])
def test_personal_step_rejects_bad_input_beside_the_field(client, db, applicant, field, value, message):
    login_as(client, applicant)
    post(client, "/applicant/renewal/start")
    response = post(client, "/applicant/renewal/personal", {**PERSONAL, field: value})
    assert response.status_code == 200
    assert message in text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    (application,) = applications(db, applicant)
    assert "personal" not in application.draft["completed"]


def test_identity_fields_are_read_only(client, db, applicant):
    login_as(client, applicant)
    post(client, "/applicant/renewal/start")
    page = client.get("/applicant/renewal/personal").get_data(as_text=True)
    assert applicant.id_number in page
    assert 'name="name"' not in page and 'name="id_number"' not in page
    post(client, "/applicant/renewal/personal", {**PERSONAL, "name": "李鬼", "id_number": "110101199001011234"})
    (application,) = applications(db, applicant)
    assert "name" not in application.draft["personal"]
    db.session.refresh(applicant)
    assert applicant.name == "王建国"


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"credit_code": "91210100MA0Y123450"}, "credit_code", "统一社会信用代码校验位不正确"),
    ({"credit_code": "123"}, "credit_code", "统一社会信用代码应为18位"),
    ({"kind": ""}, "kind", "请选择单位属性"),
    ({"name": "单" * 201}, "name", "不能超过200个字"),
    ({"body_id": ""}, "body_id", "请选择受理初审的注册机构"),
    ({"contact_phone": "abc"}, "contact_phone", "请填写正确的联系电话"),
])
def test_employer_step_rejects_bad_input(client, db, applicant, values, field, message):
    login_as(client, applicant)
    post(client, "/applicant/renewal/start")
    post(client, "/applicant/renewal/personal", PERSONAL)
    response = post(client, "/applicant/renewal/employer", employer_data(**values))
    assert response.status_code == 200
    assert message in text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert "employer" not in applications(db, applicant)[0].draft["completed"]


def test_employer_step_refuses_the_center_and_a_department_of_another_category(client, db, applicant):
    from tests.factories import body
    login_as(client, applicant)
    post(client, "/applicant/renewal/start")
    post(client, "/applicant/renewal/personal", PERSONAL)
    page = client.get("/applicant/renewal/employer").get_data(as_text=True)
    assert "注册管理中心" not in page.split('id="body_id"')[1].split("</select>")[0]
    response = post(client, "/applicant/renewal/employer", employer_data(body_id=str(body("000000").id)))
    assert "请选择受理初审的注册机构" in text(response)
    response = post(client, "/applicant/renewal/employer", employer_data(body_id=str(body("BM01").id)))
    assert "住房和城乡建设部只受理建筑施工安全类别的注册申请" in text(response)
    response = post(client, "/applicant/renewal/employer", employer_data(body_id=str(body("110000").id)))
    assert response.status_code == 302
    application = applications(db, applicant)[0]
    assert application.body.code == "110000"
    assert application.draft["employer"]["credit_code"] == employer_data()["credit_code"]


def _to_education(client):
    post(client, "/applicant/renewal/start")
    post(client, "/applicant/renewal/personal", PERSONAL)
    post(client, "/applicant/renewal/employer", employer_data())


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"hours": "0"}, "hours", "学时应为1至200之间的整数"),
    ({"hours": "-5"}, "hours", "学时应为1至200之间的整数"),
    ({"hours": "5000"}, "hours", "学时应为1至200之间的整数"),
    ({"hours": "2.5"}, "hours", "请填写整数"),
    ({"start_date": "2024-05-10", "end_date": "2024-05-01"}, "end_date", "结束日期不能早于开始日期"),
    ({"end_date": (clock.today() + timedelta(days=3)).isoformat()}, "end_date", "结束日期不能晚于今天"),
    ({"start_date": "not a date"}, "start_date", "日期格式不正确"),
    ({"course": ""}, "course", "请填写培训课程"),
    ({"course": "课" * 101}, "course", "不能超过100个字"),
])
def test_education_entry_rejects_bad_input(client, db, applicant, values, field, message):
    login_as(client, applicant)
    _to_education(client)
    response = post(client, "/applicant/renewal/education", ce_data(**values))
    assert response.status_code == 200
    assert message in text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ContinuingEducation.id))) == 0


def test_education_total_counts_only_the_current_period(client, db, applicant):
    login_as(client, applicant)
    _to_education(client)
    post(client, "/applicant/renewal/education", ce_data(days_ago=100, hours=30))
    post(client, "/applicant/renewal/education", ce_data(days_ago=6 * 365, hours=40, course="上个周期的培训"))
    page = text(client.get("/applicant/renewal/education"))
    assert "30 / 48 学时" in page
    assert "还差18学时" in page
    assert "不在本注册周期内，不计入" in page
    post(client, "/applicant/renewal/education", ce_data(days_ago=200, hours=18))
    assert "48 / 48 学时" in text(client.get("/applicant/renewal/education"))


def test_education_entry_edit_and_delete(client, db, applicant):
    login_as(client, applicant)
    _to_education(client)
    post(client, "/applicant/renewal/education", ce_data(hours=10))
    entry = db.session.scalar(sa.select(ContinuingEducation))
    page = client.get(f"/applicant/renewal/education/{entry.id}").get_data(as_text=True)
    assert "修改继续教育记录" in page and 'value="10"' in page
    response = post(client, f"/applicant/renewal/education/{entry.id}", ce_data(hours=16, course="应急管理"))
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.hours, entry.course) == (16, "应急管理")
    post(client, f"/applicant/renewal/education/{entry.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count(ContinuingEducation.id))) == 0


def _to_work(client):
    _to_education(client)
    post(client, "/applicant/renewal/education/next")


def test_work_rows_added_edited_and_deleted_through_their_period(client, db, applicant):
    login_as(client, applicant)
    _to_work(client)
    post(client, "/applicant/renewal/work", work_data("1998-07-01", "2005-12-31", employer_name="沈阳化工厂"))
    post(client, "/applicant/renewal/work", work_data("2006-01-01", ""))
    page = client.get("/applicant/renewal/work").get_data(as_text=True)
    first = db.session.scalar(sa.select(WorkHistory).where(WorkHistory.employer_name == "沈阳化工厂"))
    assert f'href="/applicant/renewal/work/{first.id}#work-form">1998-07-01 至 2005-12-31</a>' in page
    assert "2006-01-01 至今" in page
    response = post(client, f"/applicant/renewal/work/{first.id}", work_data("1999-01-01", "2005-12-31",
                                                                             employer_name="沈阳化工二厂"))
    assert response.status_code == 302
    db.session.refresh(first)
    assert (first.start_date, first.employer_name) == (date(1999, 1, 1), "沈阳化工二厂")
    post(client, f"/applicant/renewal/work/{first.id}/delete")
    assert [row.employer_name for row in db.session.scalars(sa.select(WorkHistory))] == ["辽宁华信化工有限公司"]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"start_date": "2010-01-01", "end_date": "2012-01-01"}, "start_date", "工作经历的时间不能重叠"),
    ({"start_date": "2000-01-01", "end_date": ""}, "start_date", "只有最近的一段工作经历可以填写“至今”"),
    ({"start_date": "2000-01-01", "end_date": "1999-01-01"}, "end_date", "结束日期不能早于开始日期"),
    ({"start_date": (clock.today() + timedelta(days=1)).isoformat(), "end_date": ""}, "start_date",
     "开始日期不能晚于今天"),
    ({"start_date": "1900-01-01", "end_date": "1901-01-01"}, "start_date", "开始日期不正确"),
    ({"employer_name": ""}, "employer_name", "请填写工作单位"),
    ({"duties": "职" * 501}, "duties", "不能超过500个字"),
])
def test_work_row_rejects_bad_input(client, db, applicant, values, field, message):
    login_as(client, applicant)
    _to_work(client)
    post(client, "/applicant/renewal/work", work_data("2006-01-01", ""))
    response = post(client, "/applicant/renewal/work", work_data(**{"start_date": "1990-01-01",
                                                                    "end_date": "1995-01-01", **values}))
    assert response.status_code == 200
    assert message in text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(WorkHistory.id))) == 1


def test_editing_a_row_into_an_overlap_saves_nothing(client, db, applicant):
    login_as(client, applicant)
    _to_work(client)
    post(client, "/applicant/renewal/work", work_data("1998-07-01", "2005-12-31", employer_name="沈阳化工厂"))
    post(client, "/applicant/renewal/work", work_data("2006-01-01", ""))
    first = db.session.scalar(sa.select(WorkHistory).where(WorkHistory.employer_name == "沈阳化工厂"))
    response = post(client, f"/applicant/renewal/work/{first.id}", work_data("1998-07-01", "2007-12-31",
                                                                             employer_name="沈阳化工厂"))
    assert "工作经历的时间不能重叠" in text(response)
    db.session.refresh(first)
    assert first.end_date == date(2005, 12, 31)


def test_work_step_needs_a_row(client, db, applicant):
    login_as(client, applicant)
    _to_work(client)
    response = post(client, "/applicant/renewal/work/next", follow_redirects=True)
    assert "请至少添加一条工作经历" in text(response)
    assert "work" not in applications(db, applicant)[0].draft["completed"]


def test_another_persons_records_answer_404(client, db, applicant):
    other = make_person(name="李四")
    make_certificate(other)
    entry = ContinuingEducation(person_id=other.id, course="x", organiser="y", start_date=date(2024, 1, 1),
                                end_date=date(2024, 1, 2), hours=8)
    row = WorkHistory(person_id=other.id, start_date=date(2000, 1, 1), employer_name="z")
    db.session.add_all([entry, row])
    db.session.commit()
    login_as(client, applicant)
    _to_work(client)
    token = csrf_token(client, "/applicant/renewal/work")
    assert client.get(f"/applicant/renewal/education/{entry.id}").status_code == 404
    assert post(client, f"/applicant/renewal/education/{entry.id}", ce_data(), token).status_code == 404
    assert post(client, f"/applicant/renewal/education/{entry.id}/delete", token=token).status_code == 404
    assert client.get(f"/applicant/renewal/work/{row.id}").status_code == 404
    assert post(client, f"/applicant/renewal/work/{row.id}/delete", token=token).status_code == 404
    db.session.expire_all()
    assert db.session.get(ContinuingEducation, entry.id).hours == 8
    assert db.session.get(WorkHistory, row.id) is not None


# --- resume, preview, submit -------------------------------------------------------------------------------


def test_leaving_and_logging_in_again_resumes_where_the_user_was(app, db, applicant):
    first = app.test_client()
    login_as(first, applicant)
    _to_education(first)
    first.get("/applicant/renewal/education")
    second = app.test_client()  # a new login (another browser)
    login_as(second, applicant)
    response = second.get("/applicant/renewal/")
    assert response.headers["Location"].endswith("/applicant/renewal/education")
    page = text(second.get("/applicant/renewal/employer"))
    assert "辽宁华信化工有限公司" in second.get("/applicant/renewal/employer").get_data(as_text=True)
    assert "聘用单位信息" in page
    assert second.get("/applicant/renewal/").headers["Location"].endswith("/applicant/renewal/employer")


def test_preview_shows_the_form_as_it_prints(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    page = text(client.get("/applicant/renewal/preview"))
    for expected in ("注册安全工程师延续注册申请表", applicant.name, applicant.id_number, "辽宁华信化工有限公司",
                     "辽宁省应急管理厅", "本注册周期内继续教育学时合计", "48", "沈阳化工厂", "聘用单位公章",
                     "注册机构初审意见", "申请人签名", "（上报后生成）"):
        assert expected in page, expected


def test_submit_needs_the_confirmation(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    response = submit(client, confirm=False)
    assert response.status_code == 200
    assert "请先勾选确认，再上报" in text(response)
    assert applications(db, applicant)[0].status is S.DRAFT


def test_submit_freezes_numbers_and_notifies(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    response = submit(client)
    assert response.status_code == 302
    (application,) = applications(db, applicant)
    assert response.headers["Location"].endswith(f"/applicant/applications/{application.id}?submitted=1")
    assert application.status is S.SUBMITTED
    assert application.number == f"YX{clock.today():%Y}{application.id:08d}"
    snapshot = application.snapshot
    assert snapshot["person"]["id_number"] == applicant.id_number
    assert snapshot["person"]["mobile"] == "13912345678"
    assert snapshot["employer"]["kind"] == "生产经营单位"
    assert snapshot["education"]["total"] == 48
    assert [row["employer_name"] for row in snapshot["work"]] == ["沈阳化工厂", "辽宁华信化工有限公司"]
    assert snapshot["body"]["name"] == "辽宁省应急管理厅"
    page = text(client.get(response.headers["Location"]))
    assert "上报成功" in page and application.number in page
    assert "加盖聘用单位公章" in page and "辽宁省应急管理厅进行初审" in page
    notice = db.session.scalar(sa.select(Notice).where(Notice.person_id == applicant.id))
    assert notice.kind == "submitted" and application.number in notice.text
    db.session.refresh(applicant)
    assert applicant.mobile == "13912345678"
    assert applicant.employer.credit_code == snapshot["employer"]["credit_code"]


def test_too_few_hours_cannot_be_submitted(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client, hours=(20, 20))
    page = text(client.get("/applicant/renewal/submit"))
    assert "继续教育学时为40学时，不足48学时，不能上报" in page
    response = submit(client)
    assert response.status_code == 200
    assert "不足48学时" in text(response)
    (application,) = applications(db, applicant)
    assert application.status is S.DRAFT and application.number is None and application.snapshot is None


def test_submission_outside_the_window_is_refused(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    certificate = applicant.current_certificate
    certificate.valid_until = clock.today() - timedelta(days=1)  # the certificate expired meanwhile
    db.session.commit()
    response = submit(client)
    assert response.status_code == 200
    assert "需申请重新注册" in text(response)
    assert applications(db, applicant)[0].status is S.DRAFT


def test_double_submit_from_two_tabs_and_a_replay_makes_one_application(app, db, applicant):
    tab_one, tab_two = app.test_client(), app.test_client()
    login_as(tab_one, applicant)
    fill_wizard(tab_one)
    with tab_one.session_transaction() as session:
        cookie = dict(session)
    with tab_two.session_transaction() as session:  # the second tab shares the browser's session
        session.update(cookie)
    token_one = csrf_token(tab_one, "/applicant/renewal/submit")
    token_two = csrf_token(tab_two, "/applicant/renewal/submit")
    first = submit(tab_one, token_one)
    second = submit(tab_two, token_two)
    replay = submit(tab_one, token_one)
    assert first.status_code == 302 and "submitted=1" in first.headers["Location"]
    for response in (second, replay):
        assert response.status_code == 302
        assert "/applicant/applications/" in response.headers["Location"]
        assert "submitted=1" not in response.headers["Location"]
    (application,) = applications(db, applicant)
    assert application.status is S.SUBMITTED
    assert [event.action for event in application.events] == ["submit"]
    assert "申请已上报，不能再修改" in text(tab_two.get(second.headers["Location"]))


def test_racing_submissions_one_wins(client, db, applicant, monkeypatch):
    """Two requests loaded the same draft; the other one's 上报 commits first: this one must not submit again."""
    from portal.services.renewal import submission as renewal_submission

    login_as(client, applicant)
    fill_wizard(client)
    token = csrf_token(client, "/applicant/renewal/submit")
    checks = renewal_submission.submission_problems

    def the_other_request_commits_meanwhile(application, *args):
        problems = checks(application, *args)  # this request saw a draft and found nothing wrong ...
        with db.engine.begin() as other:  # ... while the other tab's 上报 was committed
            other.execute(sa.update(Application).where(Application.id == application.id)
                          .values(status=S.SUBMITTED, number="YX-OTHER", version=Application.version + 1))
        return problems

    monkeypatch.setattr(renewal_submission, "submission_problems", the_other_request_commits_meanwhile)
    response = submit(client, token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applicant/renewal/")
    (application,) = applications(db, applicant)
    assert application.number == "YX-OTHER"
    assert application.events == []
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0
    assert "状态已发生变化" in text(client.get("/applicant/renewal/", follow_redirects=True))


def test_editing_after_submit_is_refused(client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    token = csrf_token(client, "/applicant/renewal/submit")
    submit(client, token)
    (application,) = applications(db, applicant)
    for url in ("/applicant/renewal/personal", "/applicant/renewal/work", "/applicant/renewal/submit"):
        response = client.get(url)
        assert response.headers["Location"].endswith(f"/applicant/applications/{application.id}")
    response = post(client, "/applicant/renewal/personal", {**PERSONAL, "mobile": "13700000000"}, token)
    assert response.status_code == 302
    response = post(client, "/applicant/renewal/education", ce_data(hours=100), token)
    db.session.expire_all()
    assert db.session.get(Application, application.id).draft["personal"]["mobile"] == "13912345678"
    assert db.session.scalar(sa.select(sa.func.sum(ContinuingEducation.hours))) == 48
    assert client.get("/applicant/renewal/").headers["Location"].endswith(f"/applicant/applications/{application.id}")


def test_english_interface_but_the_form_stays_chinese(client, db, applicant):
    login_as(client, applicant)
    client.get("/lang/en")
    assert "Start continuation registration" in text(client.get("/applicant/renewal/"))
    fill_wizard(client)
    page = text(client.get("/applicant/renewal/preview"))
    assert "Step 5: preview the continuation registration form" in page
    assert "注册安全工程师延续注册申请表" in page and "聘用单位公章" in page
    response = post(client, "/applicant/renewal/work", {"start_date": "2000-01-01", "employer_name": "x",
                                                        "end_date": "2000-02-01"})
    assert "Work periods must not overlap: 1998-07-01 to 2005-12-31 (沈阳化工厂)" in text(response)
