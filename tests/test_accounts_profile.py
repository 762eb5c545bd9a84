"""首次登录补全信息 (guide 四) and 更新身份证号 (guide 五)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import AuditLog, Category, EmployerKind, Notice
from portal.validators import make_resident_id, upgrade_to_18
from tests.accounts_helpers import login, logout, post_form, text
from tests.factories import make_certificate, make_person

OLD_ID = "211322640220001"  # first generation, 15 digits (guide 图57: 211322196402200016)
NEW_ID = "211322196402200016"


@pytest.fixture
def incomplete(db):
    """A certificate holder imported without 单位属性 (the registered CSV has no such column)."""
    person = make_person(name="孙磊", employer_kind=None, mobile=None, email=None)
    make_certificate(person)
    db.session.commit()
    return person


@pytest.fixture
def first_generation(db):
    person = make_person(name="刘芳", id_number=OLD_ID)
    make_certificate(person)
    db.session.commit()
    return person


def complete(client, **values):
    data = {"category": "chemical", "employer_kind": "service", "mobile": "13912345678", "email": ""}
    data.update(values)
    return post_form(client, "/applicant/complete-profile", data)


def test_every_applicant_page_leads_to_the_completion_form(client, db, incomplete):
    login(client, incomplete.id_number)
    for path in ("/applicant/", "/applicant/history", "/applicant/renewal/"):
        assert client.get(path).headers["Location"] == "/applicant/complete-profile"
    page = text(client.get("/applicant/complete-profile"))
    assert "首次登录补全信息" in page
    assert "请先补全注册类别和单位属性等信息。" in page
    for label in ("注册类别", "单位属性", "手机号码", "电子邮箱", "保存"):
        assert label in page


@pytest.mark.parametrize(("values", "message"), [
    ({"employer_kind": ""}, "请选择单位属性。"),
    ({"category": ""}, "请选择注册类别。"),
    ({"category": "made-up"}, "请选择注册类别。"),
    ({"mobile": "1234"}, "请填写11位手机号码。"),
    ({"mobile": ""}, "请输入手机号码。"),
    ({"email": "not-an-email"}, "电子邮箱格式不正确。"),
])
def test_missing_or_bad_values_are_explained_and_nothing_is_saved(client, db, incomplete, values, message):
    login(client, incomplete.id_number)
    response = complete(client, **values)
    assert response.status_code == 200
    assert message in text(response)
    db.session.refresh(incomplete)
    assert incomplete.employer_kind is None and incomplete.mobile is None


def test_completing_the_profile_opens_the_personal_page(client, db, incomplete):
    login(client, incomplete.id_number)
    response = complete(client, category="coal", email=" sun@example.com ")
    assert response.headers["Location"] == "/applicant/"
    db.session.refresh(incomplete)
    assert incomplete.category is Category.COAL
    assert incomplete.employer_kind is EmployerKind.SERVICE
    assert incomplete.mobile == "13912345678" and incomplete.email == "sun@example.com"
    page = text(client.get("/applicant/"))
    assert "信息已保存。" in page and "孙磊，您好！" in page
    assert "安全生产专业服务机构" in page
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.complete_profile"))
    assert audit.person_id == incomplete.id and audit.data == {"category": "coal", "employer_kind": "service"}


def test_the_form_can_be_reopened_later_to_edit_contact_details(client, db, applicant):
    login(client, applicant.id_number)
    page = client.get("/applicant/complete-profile").get_data(as_text=True)
    assert "修改个人信息" in page
    assert '<option selected value="chemical">' in page or 'value="chemical" selected' in page


def test_upgrade_menu_item_only_for_a_15_digit_id(client, db, applicant, first_generation):
    login(client, applicant.id_number)
    assert "更新身份证号" not in text(client.get("/applicant/"))
    response = client.get("/applicant/update-id")
    assert response.headers["Location"] == "/applicant/"
    assert "您的证件号码无需更新。" in text(client.get("/applicant/"))
    logout(client)
    login(client, OLD_ID)
    assert "更新身份证号" in text(client.get("/applicant/"))


def test_upgrade_to_the_same_persons_18_digit_number_then_only_it_logs_in(app, client, db, first_generation):
    assert upgrade_to_18(OLD_ID) == NEW_ID
    login(client, OLD_ID)
    page = text(client.get("/applicant/update-id"))
    assert OLD_ID in page and "新身份证号码（18位）" in page
    response = post_form(client, "/applicant/update-id", {"new_id_number": NEW_ID.lower()})
    page = text(response)
    assert "身份证号码已更新" in page and NEW_ID in page
    db.session.refresh(first_generation)
    assert first_generation.id_number == NEW_ID
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.upgrade_id"))
    assert audit.data == {"old": OLD_ID, "new": NEW_ID}
    assert OLD_ID not in audit.summary and NEW_ID not in audit.summary  # masked in the summary
    notice = db.session.scalar(select(Notice).where(Notice.person_id == first_generation.id))
    assert notice.kind == "id_upgraded"
    assert "今后请使用新号码登录" in text(client.get("/applicant/"))
    logout(client)

    assert "证件号码或密码不正确" in text(login(client, OLD_ID))
    assert login(client, NEW_ID).headers["Location"] == "/applicant/"
    assert "更新身份证号" not in text(client.get("/applicant/"))


@pytest.mark.parametrize(("number", "message"), [
    (make_resident_id("211322", date(1964, 2, 21), 1), "不属于同一人"),   # another birth date
    (make_resident_id("211323", date(1964, 2, 20), 1), "不属于同一人"),   # another address code
    (make_resident_id("211322", date(1964, 2, 20), 2), "不属于同一人"),   # another sequence number
    (NEW_ID[:17] + "1", "身份证号码校验位不正确"),
    ("21132219640220001", "身份证号码应为18位"),
    (OLD_ID, "身份证号码应为18位"),
    ("", "请输入18位身份证号码。"),
])
def test_a_number_of_someone_else_or_malformed_is_refused(client, db, first_generation, number, message):
    login(client, OLD_ID)
    response = post_form(client, "/applicant/update-id", {"new_id_number": number})
    page = text(response)
    assert response.status_code == 200
    assert message in page
    if message == "不属于同一人":
        assert "证件信息更正程序" in page
        assert "在证件、证明上盖章并传真至注册管理中心" in page
    db.session.refresh(first_generation)
    assert first_generation.id_number == OLD_ID
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "account.upgrade_id")) is None


def test_a_number_already_used_by_another_person_is_refused(client, db, first_generation):
    make_person(name="刘芳", id_number=NEW_ID)
    db.session.commit()
    login(client, OLD_ID)
    page = text(post_form(client, "/applicant/update-id", {"new_id_number": NEW_ID}))
    assert "该身份证号码已被其他注册人员使用，请与注册管理中心联系。" in page
    db.session.refresh(first_generation)
    assert first_generation.id_number == OLD_ID
