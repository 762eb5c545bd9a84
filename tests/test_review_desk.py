"""The review desk at volume: decisions in a stream (「通过并下一条」 through the same filtered queue), the
confirmation step, 退回 with a checklist, bulk decisions, 认领, the audit log in words, the 申请注册人员汇总表 and
exports that stream every row."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import clock
from portal.models import Application, ApplicationStatus, AuditLog, ReturnChecklistItem
from portal.services.review import exports
from portal.services.review.transitions import withdraw
from tests.factories import login_as, make_application, make_certificate, make_person, make_staff
from tests.test_reviewer_helpers import BODY_A, BODY_B, audit_rows, post, text, world

S = ApplicationStatus
QUEUE = "/reviewer/applications/?flt0_0=submitted"


def queue_of(db, count: int, body_code: str = BODY_A, status: S = S.SUBMITTED) -> list[Application]:
    """``count`` applications of one body, the first the oldest (submitted days apart)."""
    applications = []
    for index in range(count):
        person = make_person(name=f"张{'一二三四五六七八九十'[index]}", body_code=body_code)
        make_certificate(person)
        application = make_application(person, status=status)
        application.submitted_at = application.submitted_at - timedelta(days=30 - index)
        if status is S.INITIAL_PASSED:
            application.decided_at = application.submitted_at + timedelta(days=1)
        applications.append(application)
    db.session.commit()
    return applications


def reload(db, application) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application.id)


def decide(client, application, decision: str, *, then: str = "stay", reason: str = "", items=(),
           confirmed: bool = False, queue: str = QUEUE):
    data = {f"{decision}-id": application.id, f"{decision}-version": application.version,
            f"{decision}-reason": reason, f"{decision}-then": then, f"{decision}-queue": queue,
            f"{decision}-items": list(items)}
    if confirmed:
        data[f"{decision}-confirmed"] = "1"
    return post(client, f"/reviewer/applications/decide/{decision}/", data)


def follow(client, response):
    """Follow redirects by hand (to read each Location) and return the final page and the last location."""
    location = None
    while response.status_code == 302:
        location = response.headers["Location"]
        response = client.get(location)
    return response, location


def items(db, *texts: str) -> None:
    db.session.add_all(ReturnChecklistItem(text=value, sort_order=index) for index, value in enumerate(texts))
    db.session.commit()


# --- decisions in a stream ----------------------------------------------------------------------------------------


def test_pass_and_next_confirms_then_opens_the_next_of_the_same_queue(client, db):
    w = world(db)
    first, second, third = queue_of(db, 3)
    login_as(client, w.reviewer_a)
    queue_page = client.get(QUEUE).get_data(as_text=True)
    link = re.search(rf'href="([^"]*details/\?id={first.id}[^"]*)"', queue_page).group(1).replace("&amp;", "&")
    [carried] = parse_qs(urlsplit(link).query)["url"]
    assert carried.startswith("/reviewer/applications/?") and "flt0_0=submitted" in carried
    detail = client.get(link)
    page = text(detail)
    assert "通过并下一条" in page and "退回并下一条" in page and "认领" in page
    assert re.search(r'name="initial_pass-queue" type="hidden" value="/reviewer/applications/\?[^"]*flt0_0=submitted',
                     detail.get_data(as_text=True).replace("&amp;", "&"))

    confirm = decide(client, first, "initial_pass", then="next")
    assert confirm.status_code == 200
    assert "请确认：初审通过" in text(confirm) and first.number in text(confirm)
    assert reload(db, first).status is S.SUBMITTED  # nothing decided yet

    done, location = follow(client, decide(client, first, "initial_pass", then="next", confirmed=True))
    assert reload(db, first).status is S.INITIAL_PASSED
    # The oldest waiting one after it, with the queue carried on
    assert f"id={second.id}" in location and "flt0_0%3Dsubmitted" in location
    assert second.number in text(done) and "已初审通过" in text(done)
    assert len(audit_rows(db, "application.initial_pass")) == 1


def test_the_stream_follows_the_queues_filters_and_skips_what_a_colleague_claimed(client, db):
    w = world(db)
    first, second, third = queue_of(db, 3)
    colleague = make_staff("colleague_a", body_code=BODY_A)
    second.claimed_by_id = colleague.id
    db.session.commit()
    login_as(client, w.reviewer_a)
    queue = f"/reviewer/applications/?flt0_0=submitted&search={third.person.name[0]}"
    _page, location = follow(client, decide(client, first, "initial_pass", then="next", confirmed=True,
                                            queue=queue))
    assert f"id={third.id}" in location  # second is claimed by a colleague: skipped
    # The end of the queue: back to the list, told so
    newest = w.application_a.id  # the world's own application, submitted today: the end of the queue
    page, location = follow(client, client.get(f"/reviewer/applications/next/?flt0_0=submitted&after={newest}"))
    assert location.startswith("/reviewer/applications/?") and "当前队列中已没有下一条申请" in text(page)
    # A queue URL from elsewhere is not followed
    detail = client.get(f"/reviewer/applications/details/?id={third.id}&url=https://evil.example/x").get_data(
        as_text=True)
    assert 'href="https://evil.example' not in detail and "返回申请列表" in detail


def test_refusals_are_confirmed_with_their_reason_and_return_is_not(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    missing = decide(client, w.application_a, "initial_reject", reason="  ")
    assert "请填写原因" in text(missing) and reload(db, w.application_a).status is S.SUBMITTED
    confirm = decide(client, w.application_a, "initial_reject", reason="不符合延续注册条件\n年龄超过规定")
    assert "请确认：初审不通过" in text(confirm) and "年龄超过规定" in text(confirm)
    assert reload(db, w.application_a).status is S.SUBMITTED
    follow(client, decide(client, w.application_a, "initial_reject", reason="不符合延续注册条件\n年龄超过规定",
                          confirmed=True))
    application = reload(db, w.application_a)
    assert application.status is S.INITIAL_REJECTED and application.last_reason == "不符合延续注册条件\n年龄超过规定"

    login_as(client, w.central)
    passed = queue_of(db, 1, status=S.INITIAL_PASSED)[0]
    confirm = decide(client, passed, "approve")
    assert "请确认：准予延续注册" in text(confirm) and reload(db, passed).status is S.INITIAL_PASSED
    follow(client, decide(client, passed, "approve", confirmed=True))
    assert reload(db, passed).status is S.APPROVED


def test_return_with_ticked_items_and_a_note_reaches_the_applicant_line_by_line(client, db):
    w = world(db)
    items(db, "申请表未加盖聘用单位公章", "继续教育学时证明不全", "身份证复印件不清晰")
    login_as(client, w.reviewer_a)
    detail = client.get(f"/reviewer/applications/details/?id={w.application_a.id}")
    assert "继续教育学时证明不全" in text(detail) and 'name="return-items"' in detail.get_data(as_text=True)

    empty = decide(client, w.application_a, "return")
    assert "请勾选需要补正的材料，或填写退回原因" in text(empty)
    forged = decide(client, w.application_a, "return", items=["随便写的"])
    assert "所选补正项目已不存在" in text(forged)
    assert reload(db, w.application_a).status is S.SUBMITTED

    done = decide(client, w.application_a, "return", items=["申请表未加盖聘用单位公章", "继续教育学时证明不全"],
                  reason="单位名称与公章不一致")
    assert done.status_code == 302  # 退回 needs no confirmation
    application = reload(db, w.application_a)
    assert application.status is S.RETURNED
    assert application.last_reason == ("需要补正的材料：\n1. 申请表未加盖聘用单位公章\n2. 继续教育学时证明不全\n"
                                       "其他说明：\n单位名称与公章不一致")

    login_as(client, w.person_a)
    page = client.get(f"/applicant/applications/{application.id}").get_data(as_text=True)
    assert '<div class="rn-reason-text">需要补正的材料：\n1. 申请表未加盖聘用单位公章\n2.' in page
    assert "修改并重新上报" in page


def test_checklist_is_kept_by_central_and_audited(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    assert client.get("/reviewer/checklist/").status_code == 403
    login_as(client, w.central)
    created = post(client, "/reviewer/checklist/new/", {"text": "劳动合同复印件缺失", "sort_order": "5",
                                                        "active": "y"})
    assert created.status_code == 302
    assert [row.summary for row in audit_rows(db, "checklist.create")] == ["新增退回补正项目：劳动合同复印件缺失"]
    again = post(client, "/reviewer/checklist/new/", {"text": "劳动合同复印件缺失", "sort_order": "6"})
    assert again.status_code == 200 and "已经存在" in text(again)
    assert db.session.scalar(select(func.count()).select_from(ReturnChecklistItem)) == 1


# --- bulk ---------------------------------------------------------------------------------------------------------


def test_bulk_pass_lists_confirms_and_reports_each_item(client, db):
    w = world(db)
    first, second, third = queue_of(db, 3)
    colleague = make_staff("colleague_a", body_code=BODY_A)
    third.claimed_by_id = colleague.id
    db.session.commit()
    login_as(client, w.reviewer_a)
    listing = client.get("/reviewer/desk/")
    assert "批量初审通过" in text(listing) and first.number in text(listing)
    assert w.application_b.number not in text(listing)  # another body's

    # Another body's application in the selection: refused and audit-logged, nothing shown
    forged = post(client, "/reviewer/desk/confirm/initial_pass/", {"ids": [first.id, w.application_b.id]})
    assert forged.status_code == 404 and w.application_b.number not in text(forged)
    assert str(w.application_b.id) in audit_rows(db, "access.denied")[0].summary
    ids = [first.id, second.id, third.id]
    confirm = post(client, "/reviewer/desk/confirm/initial_pass/", {"ids": ids})
    page = text(confirm)
    assert "请确认：批量初审通过" in page and "您将对以下3条申请" in page
    assert "由colleague_a处理中，将被跳过" in page
    assert reload(db, first).status is S.SUBMITTED

    # Meanwhile a colleague passes the second one
    second_now = reload(db, second)
    second_now.status = S.INITIAL_PASSED
    db.session.commit()
    result = post(client, "/reviewer/desk/run/initial_pass/", {"ids": ids, "confirmed": "1"})
    page = text(result)
    assert "成功1条，未办理2条" in page
    assert "该申请当前状态为“初审通过”，不能进行此操作" in page and "已由colleague_a认领处理" in page
    assert reload(db, first).status is S.INITIAL_PASSED and reload(db, third).status is S.SUBMITTED
    assert reload(db, w.application_b).status is S.SUBMITTED
    assert [row.target_id for row in audit_rows(db, "application.initial_pass")] == [first.id]
    summary = audit_rows(db, "application.bulk_initial_pass")[0]
    assert summary.data["succeeded"] == [first.number] and set(summary.data["failed"]) == {second.number,
                                                                                          third.number}

    # Without the confirmation nothing runs; a reviewer cannot bulk-approve
    assert post(client, "/reviewer/desk/run/initial_pass/", {"ids": [third.id]}).status_code == 400
    assert post(client, "/reviewer/desk/confirm/approve/", {"ids": [first.id]}).status_code == 403
    assert len(audit_rows(db, "access.denied")) == 2


def test_central_bulk_approves_one_body(client, db):
    w = world(db)
    ours = queue_of(db, 2, status=S.INITIAL_PASSED)
    theirs = queue_of(db, 1, body_code=BODY_B, status=S.INITIAL_PASSED)
    login_as(client, w.central)
    body_a = ours[0].body_id
    listing = text(client.get(f"/reviewer/desk/?body={body_a}"))
    assert "批量准予延续注册" in listing and ours[0].number in listing and theirs[0].number not in listing
    result = post(client, "/reviewer/desk/run/approve/", {"ids": [a.id for a in ours], "confirmed": "1"})
    assert "成功2条，未办理0条" in text(result)
    assert {reload(db, a).status for a in ours} == {S.APPROVED}
    assert post(client, "/reviewer/desk/confirm/initial_pass/", {"ids": [ours[0].id]}).status_code == 403


# --- 认领 --------------------------------------------------------------------------------------------------------


def test_claim_is_shown_to_colleagues_released_and_ended_by_the_decision(client, app, db):
    w = world(db)
    colleague = make_staff("colleague_a", body_code=BODY_A)
    colleague.name = "李审核"
    w.reviewer_a.name = "王审核"
    db.session.commit()
    login_as(client, w.reviewer_a)
    version = w.application_a.version
    assert post(client, "/reviewer/applications/claim/", {"id": w.application_a.id}).status_code == 302
    application = reload(db, w.application_a)
    assert application.claimed_by_id == w.reviewer_a.id and application.version == version  # not a decision
    mine = client.get(f"/reviewer/applications/?flt0_0=submitted&{mine_filter(client)}")
    assert w.application_a.number in text(mine)

    other = app.test_client()
    login_as(other, colleague)
    detail = text(other.get(f"/reviewer/applications/details/?id={w.application_a.id}"))
    assert "由王审核处理中" in detail
    assert "由王审核处理中" in text(other.get("/reviewer/applications/?flt0_0=submitted"))  # on the queue too
    refused, _ = follow(other, post(other, "/reviewer/applications/claim/", {"id": w.application_a.id}))
    assert "该申请已由王审核认领处理" in text(refused)
    refused, _ = follow(other, post(other, "/reviewer/applications/release/", {"id": w.application_a.id}))
    assert "只能释放本人认领的申请" in text(refused)
    assert reload(db, w.application_a).claimed_by_id == w.reviewer_a.id
    assert w.application_a.number not in text(other.get(f"/reviewer/applications/?{mine_filter(other)}"))

    post(client, "/reviewer/applications/release/", {"id": w.application_a.id})
    assert reload(db, w.application_a).claimed_by_id is None
    central = app.test_client()
    login_as(central, w.central)  # 初审 is not central's step
    refused, _ = follow(central, post(central, "/reviewer/applications/claim/", {"id": w.application_a.id}))
    assert "该申请当前不由您办理，无需认领" in text(refused) and reload(db, w.application_a).claimed_by_id is None
    post(client, "/reviewer/applications/claim/", {"id": w.application_a.id})
    follow(client, decide(client, reload(db, w.application_a), "initial_pass", confirmed=True))
    assert reload(db, w.application_a).claimed_by_id is None  # the step it was claimed for is done
    assert [row.action for row in db.session.scalars(
        select(AuditLog).where(AuditLog.action.like("application.%claim%") | (AuditLog.action == "application.release"))
        .order_by(AuditLog.id))] == ["application.claim", "application.release", "application.claim"]


def mine_filter(client) -> str:
    """The queue's 「我的」 filter as the console's menu links to it."""
    page = client.get("/reviewer/").get_data(as_text=True).replace("&amp;", "&")
    match = re.search(r'href="/reviewer/applications/\?[^"]*?(flt\d+_\w+=mine)"[^>]*>\s*我的', page)
    if match:
        return match.group(1)
    pytest.fail("no 「我的」 link to the queue")


# --- audit log in words ---------------------------------------------------------------------------------------------


def test_audit_log_shows_actions_in_words_including_the_applicants_own(client, db):
    w = world(db)
    returned = make_application(make_person(name="孙悟空", body_code=BODY_A), status=S.RETURNED)
    withdraw(returned, returned.person, clock.utcnow())
    db.session.commit()
    login_as(client, w.central)
    page = client.get("/reviewer/audit/")
    assert "申请人撤回" in text(page) and "application.withdraw" in text(page)
    row = audit_rows(db, "application.withdraw")[0]
    assert row.actor_kind == "applicant" and row.person_id == returned.person_id and row.target_id == returned.id
    filtered = text(client.get("/reviewer/audit/?flt0_1=application.withdraw"))
    assert "申请人撤回" in filtered and "工作人员登录" not in filtered
    client.get("/lang/en")
    english = text(client.get("/reviewer/audit/?flt0_1=application.withdraw"))
    assert "Applicant withdrew" in english


# --- exports --------------------------------------------------------------------------------------------------------


def test_summary_export_per_body_and_dates_as_xlsx_and_pdf(client, db):
    w = world(db)
    ours = queue_of(db, 3)
    login_as(client, w.reviewer_a)
    today = clock.today()
    form = text(client.get("/reviewer/desk/summary/"))
    assert "申请注册人员汇总表" in form
    bad = text(client.get(f"/reviewer/desk/summary/?start={today}&end={today - timedelta(days=1)}&format=xlsx"))
    assert "结束日期不能早于开始日期" in bad
    url = f"/reviewer/desk/summary/?start={today - timedelta(days=40)}&end={today}&format=xlsx&body=999"
    response = client.get(url)
    assert response.status_code == 200 and "summary-210000-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0].startswith("注册安全工程师申请注册人员汇总表（辽宁")
    assert values[1][:5] == ["序号", "申请编号", "姓名", "性别", "证件号码"]
    numbers = [row[1] for row in values[2:]]
    assert numbers == [a.number for a in ours] + [w.application_a.number]  # oldest first; body B's absent
    assert all("*" in row[4] for row in values[2:])  # masked
    [row] = audit_rows(db, "application.summary_export")
    assert row.data["count"] == 4 and row.data["format"] == "xlsx"

    pdf = client.get(url.replace("format=xlsx", "format=pdf"))
    assert pdf.mimetype == "application/pdf"
    content = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "申请注册人员汇总表" in content and ours[0].person.name in content


def test_queue_export_streams_every_row_without_a_cap(client, db, monkeypatch):
    w = world(db)
    queue_of(db, 7)
    monkeypatch.setattr(exports, "BATCH", 2)  # many chunks from a few rows
    login_as(client, w.reviewer_a)
    response = client.get("/reviewer/applications/export/csv/")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 8
    assert audit_rows(db, "application.export")[0].data["count"] == 8
    book = load_workbook(io.BytesIO(client.get("/reviewer/applications/export/xlsx/").data))
    assert book.active.max_row == 9
