"""The console for every kind of registration: the list's 申请类型 filter, the detail page's 申请事项 (the exam
pass cross-checked with the exam records, CE hours, a 变更's old → new, a 注销's ground and filer), and 办理注销 —
a registration body files the 注销 of a person of its own, central staff confirm it (确认注销)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    CertificateStatus,
)
from tests.factories import login_as, make_application, make_certificate, make_exam_record, make_person
from tests.test_reviewer_helpers import BODY_A, audit_rows, post, text, world

K, S = ApplicationKind, ApplicationStatus


def kind_application(person, kind: ApplicationKind, snapshot: dict | None = None, *,
                     status: ApplicationStatus = S.SUBMITTED, **values) -> Application:
    """An application of ``kind`` in ``status`` with the given snapshot parts (next to the person's name)."""
    application = make_application(person, status=status)
    application.kind = kind
    application.snapshot = {"kind": kind.value, "person": {"name": person.name, "id_number": person.id_number},
                            **(snapshot or {})}
    for name, value in values.items():
        setattr(application, name, value)
    return application


EXAM = {"qualification_no": "KS2024000123", "exam_year": "2024", "qualified_on": "2025-01-01",
        "category": "化工安全"}


def test_the_list_filters_by_kind_and_shows_it(client, db):
    w = world(db)
    passer = make_person(name="周杰", body_code=BODY_A)
    initial = kind_application(passer, K.INITIAL, {"exam": EXAM})
    changer = make_person(name="吴敏", body_code=BODY_A)
    make_certificate(changer)
    change = kind_application(changer, K.CHANGE, {"change": {"types": "变更聘用单位"}})
    db.session.commit()
    login_as(client, w.reviewer_a)
    view = client.application.extensions["reviewer_console"]._views
    applications = next(v for v in view if v.endpoint == "reviewer_applications")
    index = next(i for i, f in enumerate(applications._filters) if getattr(f.column, "key", None) == "kind")
    arg = applications.get_filter_arg(index, applications._filters[index])

    page = client.get("/reviewer/applications/")
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]+)<', page.get_data(as_text=True)).group(1))
    assert groups["申请类型"][0]["options"] == [[value, str(label)] for value, label in K.choices()]
    everything = text(page)
    assert all(a.number in everything for a in (w.application_a, initial, change))
    assert "初始注册" in everything and "变更注册" in everything and "延续注册" in everything

    only_change = text(client.get(f"/reviewer/applications/?flt0_{arg}=change"))
    assert change.number in only_change and initial.number not in only_change
    assert w.application_a.number not in only_change
    # with the 初审 queue's status filter too: the queue link still works
    status_arg = applications._status_filter_arg()
    both = text(client.get(f"/reviewer/applications/?flt0_{status_arg}=submitted&flt1_{arg}=initial"))
    assert initial.number in both and change.number not in both
    refused = client.get(f"/reviewer/applications/?flt0_{arg}=hacked")
    assert refused.status_code == 200 and "筛选条件的值无效" in text(refused)

    export = client.get(f"/reviewer/applications/export/csv/?flt0_{arg}=initial").get_data(as_text=True)
    header, *rows = export.lstrip("\ufeff").splitlines()
    assert header.split(",")[:5] == ["申请编号", "姓名", "证件号码", "专业类别", "申请类型"]
    assert len(rows) == 1 and initial.number in rows[0] and "初始注册" in rows[0]


def test_initial_exam_pass_consistent_with_the_exam_records(client, db):
    w = world(db)
    passer = make_person(name="周杰", body_code=BODY_A)
    record = make_exam_record(name="周杰", id_number=passer.id_number, category=Category.CHEMICAL,
                              exam_year=2024)
    exam = {**EXAM, "qualification_no": record.qualification_no}
    application = kind_application(passer, K.INITIAL, {"exam": exam}, exam_record_id=record.id)
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={application.id}"))
    assert "申请事项 · 初始注册" in page
    assert f"资格证书编号 {record.qualification_no} {record.qualification_no} 一致" in page
    assert "资格证书日期 2025-01-01 2025-01-01 一致" in page
    assert "与考试信息一致" in page and "不一致" not in page
    assert "考试信息未记载资格证书日期，按考试年度次年1月1日计" in page
    assert "初始注册申请表（上报的内容）" in page


def test_initial_exam_pass_that_differs_shows_the_difference(client, db):
    w = world(db)
    passer = make_person(name="周杰", body_code=BODY_A)
    record = make_exam_record(name="周杰", id_number=passer.id_number, category=Category.COAL, exam_year=2023,
                              qualified_on=date(2024, 3, 15))
    application = kind_application(passer, K.INITIAL, {"exam": {**EXAM, "qualification_no": record.qualification_no}})
    db.session.commit()  # no exam_record_id: the record is found by the stated 资格证书编号
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={application.id}"))
    assert "考试年度 2024 2023 不一致" in page
    assert "资格证书日期 2025-01-01 2024-03-15 不一致" in page
    assert "专业类别 化工安全 煤矿安全 不一致" in page
    assert "与考试信息不一致：请核对标黄的项目" in page and "与考试信息一致" not in page


def test_an_exam_pass_of_someone_else_or_unknown_is_flagged(client, db):
    w = world(db)
    passer = make_person(name="周杰", body_code=BODY_A)
    other = make_exam_record(name="郑和", category=Category.CHEMICAL, exam_year=2024)
    borrowed = kind_application(passer, K.INITIAL, {"exam": {**EXAM, "qualification_no": other.qualification_no}})
    stranger = make_person(name="冯唐", body_code=BODY_A)
    unknown = kind_application(stranger, K.REREGISTRATION, {"exam": {**EXAM, "qualification_no": "KS-NONE"}})
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={borrowed.id}"))
    assert "该资格证书在考试信息中属于其他人员（郑和" in page
    assert other.id_number not in page  # masked
    page = text(client.get(f"/reviewer/applications/details/?id={unknown.id}"))
    assert "考试信息中没有该资格证书编号，请核对资格证书原件" in page


def test_late_initial_and_reregistration_show_their_education_hours(client, db):
    w = world(db)
    late = make_person(name="褚遂良", body_code=BODY_A)
    record = make_exam_record(name="褚遂良", id_number=late.id_number, category=Category.CHEMICAL, exam_year=2015)
    exam = {"qualification_no": record.qualification_no, "exam_year": "2015", "qualified_on": "2016-01-01",
            "category": "化工安全"}
    late_app = kind_application(late, K.LATE_INITIAL, {"exam": exam, "education": {"total": 36, "required": 48}},
                                exam_record_id=record.id)
    back = make_person(name="卫青", body_code=BODY_A)
    make_certificate(back, days_left=-400)
    again = kind_application(back, K.REREGISTRATION,
                             {"education": {"total": 52, "required": 48, "period_from": "2021-11-28",
                                            "period_to": "2026-11-28"}})
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={late_app.id}"))
    assert "申请事项 · 逾期初始注册" in page and "逾期" in page and "与考试信息一致" in page
    assert "已完成 36 学时，要求 48 学时 · 学时不足" in page
    page = text(client.get(f"/reviewer/applications/details/?id={again.id}"))
    assert "已完成 52 学时，要求 48 学时 · 已满足" in page and "计算期间：2021-11-28 至 2026-11-28" in page
    assert "资格证书（考试合格信息）" not in page  # a former holder without an exam record: nothing to compare


def test_change_shows_old_and_new_employer_and_category(client, db):
    w = world(db)
    holder = make_person(name="韩信", body_code=BODY_A)
    make_certificate(holder)
    change = kind_application(holder, K.CHANGE, {
        "employer": {"name": "辽宁新港安全咨询有限公司", "credit_code": "91210200MA0NEW0001"},
        "change": {"types": "变更聘用单位、变更专业类别", "old_employer_name": "辽宁华信化工有限公司",
                   "old_credit_code": "91210100MA0OLD0001", "old_category": "化工安全",
                   "new_category": "其他安全（不包括消防安全）", "reason": "调入新单位"}})
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={change.id}"))
    assert "变更事项 变更聘用单位、变更专业类别" in page
    assert ("聘用单位 辽宁华信化工有限公司 91210100MA0OLD0001 → 辽宁新港安全咨询有限公司 91210200MA0NEW0001"
            in page)
    assert "专业类别 化工安全 → 其他安全（不包括消防安全）" in page
    assert "变更原因 调入新单位" in page and "准予变更后执业证编号和有效期不变" in page


@pytest.mark.parametrize("snapshot", [None, {}, {"exam": "junk", "change": [], "cancellation": 3,
                                                  "education": {"total": None}}])
def test_a_detail_page_of_any_kind_survives_a_partial_snapshot(client, db, snapshot):
    w = world(db)
    for index, kind in enumerate(K):
        person = make_person(name=f"测试{index}", body_code=BODY_A)
        application = kind_application(person, kind)
        application.snapshot = snapshot
    db.session.commit()
    login_as(client, w.reviewer_a)
    for application in db.session.scalars(select(Application).where(Application.body_id == w.person_a.body_id)):
        response = client.get(f"/reviewer/applications/details/?id={application.id}")
        assert response.status_code == 200, application.kind
        assert f"{application.kind.label}申请表" in text(response)


def test_the_holders_own_cancellation_shows_its_reason(client, db):
    w = world(db)
    holder = make_person(name="萧何", body_code=BODY_A)
    make_certificate(holder)
    own = kind_application(holder, K.CANCELLATION, {"cancellation": {"reason": "退休", "filed_by": "本人"}},
                           certificate=holder.current_certificate)
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/applications/details/?id={own.id}"))
    assert "提出方 本人" in page and "注销原因 退休" in page
    assert f"注销的执业证 {holder.current_certificate.number}" in page


def test_the_bulk_desk_lists_the_kind(client, db):
    w = world(db)
    passer = make_person(name="周杰", body_code=BODY_A)
    kind_application(passer, K.INITIAL, {"exam": EXAM})
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get("/reviewer/desk/"))
    assert "申请类型" in page and "初始注册" in page and "延续注册" in page


# --- 办理注销 -------------------------------------------------------------------------------------------------


def filed(db, person) -> Application | None:
    db.session.expire_all()
    return db.session.scalar(select(Application).where(Application.person_id == person.id,
                                                       Application.filed_by_id.is_not(None)))


def test_the_person_page_offers_cancellation_to_its_body_only_for_a_valid_registration(client, db):
    w = world(db)
    expired = make_person(name="李广", body_code=BODY_A)
    make_certificate(expired, days_left=-10)
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    assert "办理注销" in page
    assert "办理注销" not in text(client.get(f"/reviewer/people/details/?id={expired.id}"))
    refused = client.get(f"/reviewer/people/cancel/?id={expired.id}", follow_redirects=True)
    assert "该人员没有有效的注册，无需办理注销" in text(refused)

    form = client.get(f"/reviewer/people/cancel/?id={w.person_a.id}")
    shown = text(form)
    assert form.status_code == 200 and "注销情形" in shown and "情况说明" in shown
    for ground in ("死亡", "丧失民事行为能力", "注册被撤销", "注册被吊销", "受到刑事处罚", "聘用单位申请注销", "其他"):
        assert ground in shown
    assert w.person_a.current_certificate.number in shown

    login_as(client, w.central)  # the center confirms what a body files; it does not file
    assert "办理注销" not in text(client.get(f"/reviewer/people/details/?id={w.person_b.id}"))
    refused = client.get(f"/reviewer/people/cancel/?id={w.person_b.id}", follow_redirects=True)
    assert "注销注册由该人员所属的注册机构办理" in text(refused)
    assert filed(db, w.person_b) is None


def test_a_reviewer_of_another_body_is_refused_and_audited(client, db):
    w = world(db)
    login_as(client, w.reviewer_b)
    before = len(audit_rows(db, "access.denied"))
    assert client.get(f"/reviewer/people/cancel/?id={w.person_a.id}").status_code == 404
    response = post(client, f"/reviewer/people/cancel/?id={w.person_a.id}",
                    {"ground": "death", "note": "死亡证明", "confirmed": "1"})
    assert response.status_code == 404
    rows = audit_rows(db, "access.denied")
    assert len(rows) == before + 2 and "reviewer_b" in rows[-1].summary
    assert filed(db, w.person_a) is None


def test_the_form_needs_a_ground_and_a_note_and_asks_for_confirmation(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    url = f"/reviewer/people/cancel/?id={w.person_a.id}"
    assert "请选择注销情形。" in text(post(client, url, {"ground": "", "note": ""}))
    assert "注销情形为“其他”时，请填写说明。" in text(post(client, url, {"ground": "other", "note": " "}))
    assert "情况说明不能超过500个字。" in text(post(client, url, {"ground": "death", "note": "长" * 501}))
    assert "不是有效的选择" in text(post(client, url, {"ground": "holiday", "note": "x"}))  # not a ground
    confirm = text(post(client, url, {"ground": "death", "note": "2026年11月20日因病去世，有死亡证明。"}))
    assert "请确认：办理注销" in confirm and "注销情形 死亡" in confirm and "2026年11月20日因病去世" in confirm
    edit = text(post(client, url, {"ground": "death", "note": "改一改", "confirmed": "1", "edit": "1"}))
    assert "下一步：确认" in edit and "改一改" in edit
    assert filed(db, w.person_a) is None  # nothing filed before the confirmation


cancellation = pytest.importorskip("portal.services.registration.cancellation")


def test_a_body_files_and_central_confirms_the_cancellation(client, db):
    w = world(db)
    certificate = w.person_a.current_certificate
    login_as(client, w.reviewer_a)
    response = post(client, f"/reviewer/people/cancel/?id={w.person_a.id}",
                    {"ground": "death", "note": "2026年11月20日因病去世，有死亡证明。", "confirmed": "1"})
    assert response.status_code == 302
    application = filed(db, w.person_a)
    assert application is not None and application.kind is K.CANCELLATION
    assert application.status is S.INITIAL_PASSED and application.filed_by_id == w.reviewer_a.id
    assert application.body_id == w.person_a.body_id
    detail = text(client.get(response.headers["Location"]))
    assert "已办理注销" in detail and "注册机构办理" in detail and "注销情形 死亡" in detail
    assert "报注册管理中心确认注销 · " in detail  # its history entry
    assert "reviewer_a" in detail or "审核员" in detail
    person_page = text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    assert f"已办理注销（申请编号 {application.number}）" in person_page
    # filed once: the form is not offered again
    again = client.get(f"/reviewer/people/cancel/?id={w.person_a.id}", follow_redirects=True)
    assert "正在等待注册管理中心确认" in text(again)
    [filing] = audit_rows(db, "application.file_cancellation")
    assert filing.staff_id == w.reviewer_a.id and filing.target_id == application.id

    login_as(client, w.central)
    queue = text(client.get("/reviewer/applications/?flt0_0=initial_passed"))
    assert application.number in queue and "注销注册" in queue
    detail = client.get(f"/reviewer/applications/details/?id={application.id}")
    assert "确认注销并下一条" in text(detail) and "不予注销并下一条" in text(detail)
    assert "情况说明 2026年11月20日因病去世" in text(detail)
    confirm = text(post(client, "/reviewer/applications/decide/approve/",
                        {"approve-id": application.id, "approve-version": application.version}))
    assert "请确认：确认注销" in confirm and "延续" not in confirm
    approved = post(client, "/reviewer/applications/decide/approve/",
                    {"approve-id": application.id, "approve-version": application.version,
                     "approve-confirmed": "1"}, follow_redirects=True)
    assert "已确认注销，执业证已注销" in text(approved)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status is S.APPROVED
    assert db.session.get(type(certificate), certificate.id).status is CertificateStatus.REVOKED
    assert "已注销" in text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    # the person's own open renewal was closed by the 注销
    assert db.session.get(Application, w.application_a.id).status is S.CLOSED
    closed = text(client.get(f"/reviewer/applications/details/?id={w.application_a.id}"))
    assert "已终止" in closed and "终止办理 · central" in closed


@pytest.mark.parametrize("app_config", [{"UPLOAD_STORAGE": "database"}])  # the demo's scans: no files
def test_every_application_of_the_demo_data_opens_in_the_console(app, client, db):
    """The demonstration set: an applicant at each stage of each kind, each detail page showing its kind's facts;
    the returned ones with a document marked for replacement; the body-filed 注销 waiting for the center."""
    from portal.models import ApplicationMaterial, Staff
    from portal.services.data.demo import load_demo_data
    from portal.services.infrastructure.outbox import no_mail

    with no_mail():
        logins = load_demo_data()
    db.session.commit()
    kinds = tuple(f"{kind.text}：" for kind in K if kind is not K.RENEWAL)
    assert sum(1 for login in logins if login.who.startswith(kinds)) == 5 * 6 + 2
    stages = {S.DRAFT, S.SUBMITTED, S.RETURNED, S.INITIAL_PASSED, S.APPROVED, S.REFUSED}
    for kind in K:
        held = set(db.session.scalars(select(Application.status).where(Application.kind == kind)))
        assert stages <= held, kind
    assert db.session.scalar(select(func.count()).select_from(Application).where(Application.status == S.CLOSED)) == 1
    flagged = db.session.scalars(select(ApplicationMaterial).where(
        ApplicationMaterial.replace_requested_at.is_not(None))).all()
    assert {m.application.kind for m in flagged} == set(K) - {K.RENEWAL}
    assert all(m.application.status is S.RETURNED and m.replace_reason for m in flagged)

    login_as(client, db.session.scalar(select(Staff).where(Staff.username == "zhongxin")))
    for application in db.session.scalars(select(Application).where(Application.submitted_at.is_not(None),
                                                                    Application.kind != K.RENEWAL)):
        page = text(client.get(f"/reviewer/applications/details/?id={application.id}"))
        assert f"申请事项 · {application.kind.text}" in page, application.number
        if application.kind in (K.INITIAL, K.LATE_INITIAL, K.REREGISTRATION):
            assert "与考试信息一致" in page, application.number
        if application.status is S.INITIAL_PASSED:
            assert "确认注销" in page if application.kind is K.CANCELLATION else "准予" in page
    page = text(client.get("/reviewer/applications/?flt0_0=initial_passed&flt1_6=cancellation"))
    assert "尉迟敬德" in page


def test_bulk_approval_words_each_kind_on_its_own(client, db):
    """批量准予 of a renewal and a body-filed 注销 together: the confirmation says 确认注销 beside the 注销, and each
    item's result reads as its kind's decision."""
    from portal.clock import utcnow
    from portal.services.registration.cancellation import file_by_body

    w = world(db)
    renewer = make_person(name="曹参", body_code=BODY_A)
    make_certificate(renewer)
    renewal = make_application(renewer, status=S.INITIAL_PASSED)
    holder = make_person(name="萧何", body_code=BODY_A)
    make_certificate(holder)
    filed_one = file_by_body(holder, w.reviewer_a, "death", "因病去世。", utcnow())
    db.session.commit()
    login_as(client, w.central)
    ids = [renewal.id, filed_one.id]
    confirm = text(post(client, "/reviewer/desk/confirm/approve/", {"ids": ids}))
    assert f"{filed_one.number} 萧何" in confirm and "注销注册" in confirm and "确认注销" in confirm
    result = post(client, "/reviewer/desk/run/approve/", {"ids": ids, "confirmed": "1"})
    page = text(result)
    assert "成功2条" in page
    assert "已确认注销，执业证已注销。" in page and "已准予延续注册，执业证有效期已延续。" in page
    db.session.expire_all()
    assert db.session.get(Application, filed_one.id).status is S.APPROVED
    assert db.session.get(type(holder), holder.id).current_certificate.status is CertificateStatus.REVOKED
