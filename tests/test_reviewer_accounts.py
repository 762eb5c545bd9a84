"""Reviewer actions on applicants' accounts (temporary password, 解锁) and the central-only administration:
staff accounts, registration bodies, announcements, documents and the read-only audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.models import Announcement, AuditLog, Body, Document, Person, Staff, StaffRole
from portal.services.infrastructure.passwords import verify_password
from tests.factories import PASSWORD, login_as, make_staff
from tests.test_reviewer_helpers import audit_rows, post, staff_login, text, world


def temporary_password(response) -> str:
    match = re.search(r"data-password>([^<]+)<", response.get_data(as_text=True))
    assert match, "no temporary password on the page"
    return match.group(1).strip()


def test_reset_gives_a_one_time_password_and_ends_the_live_session(client, app, db):
    w = world(db)
    person = w.person_b  # no email on file
    applicant = app.test_client()
    login_as(applicant, person)
    assert applicant.get("/applicant/").status_code == 200
    login_as(client, w.reviewer_b)
    response = post(client, "/reviewer/people/reset-password/", {"id": person.id})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = temporary_password(response)
    assert "此密码只显示这一次" in text(response)
    assert password not in client.get(f"/reviewer/people/details/?id={person.id}").get_data(as_text=True)

    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert verify_password(person.password_hash, password) and person.must_change_password
    assert person.session_token is None
    assert applicant.get("/applicant/").status_code == 302  # the live session ended
    row = audit_rows(db, "applicant.password_reset")[0]
    assert row.staff_id == w.reviewer_b.id and password not in str(row.summary) + str(row.data)
    assert person.id_number not in row.summary


def test_reset_is_refused_for_applicants_with_email(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    assert "可在首页“忘记密码”通过邮件自行重置密码" in text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    response = post(client, "/reviewer/people/reset-password/", {"id": w.person_a.id})
    assert "忘记密码" in text(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert not db.session.get(Person, w.person_a.id).must_change_password


def test_unlock_releases_both_locks(client, app, db):
    w = world(db)
    person = w.person_a
    person.locked_until = utcnow() + timedelta(minutes=10)
    person.session_token, person.last_seen_at = "abc", utcnow()
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/people/details/?id={person.id}"))
    assert "锁定至" in page and "自动解锁" in page
    listing = text(client.get("/reviewer/people/"))
    assert "密码错误锁定" in listing
    response = post(client, "/reviewer/people/unlock/", {"id": person.id})
    assert "已解锁" in text(client.get(response.headers["Location"]))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.locked_until is None and person.session_token is None and person.failed_logins == 0
    assert audit_rows(db, "applicant.unlock")[0].data["locked_until"]


def test_opening_a_person_shows_the_full_number_and_is_logged(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    assert w.person_a.id_number in text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    assert w.person_a.id_number not in client.get("/reviewer/people/").get_data(as_text=True)
    [row] = audit_rows(db, "person.view")
    assert row.target_id == w.person_a.id and w.person_a.id_number not in row.summary


# --- central only ----------------------------------------------------------------------------------------------

def test_central_creates_a_reviewer_who_must_change_the_password(client, app, db):
    central = make_staff("central", role=StaffRole.CENTRAL)
    db.session.commit()
    login_as(client, central)
    form = {"username": "liaoning2", "name": "李审核", "role": "reviewer", "body": "210000",
            "password": "Huaxin-Quarry-26", "confirm": "Huaxin-Quarry-26"}
    page = post(client, "/reviewer/staff/new/", {**form, "password": "weak", "confirm": "weak"})
    assert "密码长度至少为8位" in text(page)
    page = post(client, "/reviewer/staff/new/", {**form, "confirm": "Other2026"})
    assert "两次输入的密码不一致" in text(page)
    page = post(client, "/reviewer/staff/new/", {**form, "body": "000000"})
    assert "审核人员不能属于注册管理中心" in text(page)
    response = post(client, "/reviewer/staff/new/", form)
    assert response.status_code == 302
    staff = db.session.scalar(select(Staff).where(Staff.username == "liaoning2"))
    assert staff.must_change_password and staff.body.code == "210000"
    assert verify_password(staff.password_hash, "Huaxin-Quarry-26")
    assert "Huaxin-Quarry-26" not in client.get(response.headers["Location"]).get_data(as_text=True)
    page = post(client, "/reviewer/staff/new/", form)
    assert "用户名已存在" in text(page)
    assert audit_rows(db, "staff.create")[0].staff_id == central.id

    newcomer = app.test_client()
    assert staff_login(newcomer, "liaoning2", "Huaxin-Quarry-26").headers["Location"] == "/reviewer/account/password"


def test_the_staff_form_never_offers_the_password_hash(client, db):
    w = world(db)
    login_as(client, w.central)
    page = client.get(f"/reviewer/staff/edit/?id={w.reviewer_a.id}").get_data(as_text=True)
    assert "password_hash" not in page and 'name="name"' in page and 'name="active"' in page


def test_central_disables_a_reviewer_whose_session_ends(client, app, db):
    w = world(db)
    reviewer = app.test_client()
    login_as(reviewer, w.reviewer_a)
    login_as(client, w.central)
    response = post(client, f"/reviewer/staff/edit/?id={w.reviewer_a.id}", {"name": "停用的人"})
    assert response.status_code == 302
    db.session.expire_all()
    staff = db.session.get(Staff, w.reviewer_a.id)
    assert not staff.active and staff.name == "停用的人"
    assert reviewer.get("/reviewer/").status_code == 302
    assert audit_rows(db, "staff.disable")
    # nobody disables themselves
    page = post(client, f"/reviewer/staff/edit/?id={w.central.id}", {"name": "central"})
    assert "不能停用自己的账号" in text(page)
    db.session.expire_all()
    assert db.session.get(Staff, w.central.id).active


def test_central_resets_a_colleagues_password(client, app, db):
    w = world(db)
    login_as(client, w.central)
    password = temporary_password(post(client, "/reviewer/staff/reset-password/", {"id": w.reviewer_b.id}))
    other = app.test_client()
    assert staff_login(other, "reviewer_b", password).headers["Location"] == "/reviewer/account/password"
    assert audit_rows(db, "staff.password_reset")


def test_bodies_are_edited_by_central_with_validation_and_audit(client, db):
    w = world(db)
    login_as(client, w.central)
    page = post(client, "/reviewer/bodies/new/", {"code": "210000", "name": "重复", "kind": "province"})
    assert "代码 * 已经存在" in text(page)  # Flask-Admin's unique check, beside the field
    page = post(client, "/reviewer/bodies/new/", {"code": "YQ99", "name": "某央企", "kind": "enterprise",
                                                  "email": "not-an-email"})
    assert "电子邮箱格式不正确" in text(page)
    response = post(client, "/reviewer/bodies/new/", {"code": "YQ99", "name": "某央企", "kind": "enterprise",
                                                      "email": "safety@example.com", "sort_order": "300"})
    assert response.status_code == 302
    body = db.session.scalar(select(Body).where(Body.code == "YQ99"))
    assert body.kind.value == "enterprise" and body.email == "safety@example.com"
    liaoning = db.session.scalar(select(Body).where(Body.code == "210000"))
    edit = client.get(f"/reviewer/bodies/edit/?id={liaoning.id}").get_data(as_text=True)
    assert 'name="code"' not in edit  # codes are fixed once created
    post(client, f"/reviewer/bodies/edit/?id={liaoning.id}", {"name": liaoning.name, "kind": "province",
                                                              "phone": "024-12345678", "sort_order": "6"})
    db.session.expire_all()
    assert db.session.get(Body, liaoning.id).phone == "024-12345678"
    assert [row.action for row in audit_rows(db, "body.create") + audit_rows(db, "body.update")] == \
        ["body.create", "body.update"]


def test_announcements_and_documents(client, db):
    w = world(db)
    login_as(client, w.central)
    assert post(client, "/reviewer/announcements/new/", {"title": "关于延续注册的通知", "body": "内容",
                                                          "published": "y"}).status_code == 302
    assert db.session.scalar(select(Announcement.title)) == "关于延续注册的通知"
    page = post(client, "/reviewer/documents/new/", {"kind": "regulation", "title": "规定",
                                                     "url": "javascript:alert(1)"})
    assert "链接" in text(page) and db.session.scalar(select(Document.id)) is None
    assert post(client, "/reviewer/documents/new/", {"kind": "form", "title": "延续注册申请表",
                                                      "template": "renewal_blank.html"}).status_code == 302
    assert db.session.scalar(select(Document.template)) == "renewal_blank.html"
    assert audit_rows(db, "announcement.create") and audit_rows(db, "document.create")


def test_audit_log_is_read_only_and_filterable(client, db):
    w = world(db)
    login_as(client, w.central)
    login_as(client, w.reviewer_a)
    client.get(f"/reviewer/people/details/?id={w.person_b.id}")  # denied: another body's person
    login_as(client, w.central)
    page = client.get("/reviewer/audit/?flt0_2=access.denied").get_data(as_text=True)
    listing = page.split('model-list">', 1)[1].split("</table>", 1)[0]  # the rows (the filter menu names them all)
    assert "access.denied" in listing and "person.view" not in listing
    page = client.get("/reviewer/audit/?flt0_0=reviewer_a").get_data(as_text=True)
    assert "reviewer_a" in page and "central2" not in page
    row_id = db.session.scalar(select(AuditLog.id).where(AuditLog.action == "access.denied"))
    assert client.get(f"/reviewer/audit/details/?id={row_id}").status_code == 200
    for url in ("/reviewer/audit/new/", f"/reviewer/audit/edit/?id={row_id}"):
        assert client.get(url).status_code == 404
    assert post(client, "/reviewer/audit/delete/", {"id": row_id}).status_code == 404
    assert db.session.get(AuditLog, row_id) is not None
    assert PASSWORD not in page
