"""The 功能目录 of the personal page for each kind of person: exactly the kinds this person may start now are
links, the open application is 继续办理, and every other kind says why not under 「为什么不能申请？」; a kind's
entry page says the same, and starting a refused kind creates nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.models import Application, ApplicationKind, ApplicationStatus, Category
from tests.clocks import beijing
from tests.factories import login_as, make_application, make_certificate, make_exam_record, make_person, make_staff
from tests.test_renewal_support import csrf_token, post, text

K = ApplicationKind
S = ApplicationStatus


@pytest.fixture(autouse=True)
def clock(time_machine):
    """2026-11-28, 10:00 Beijing."""
    time_machine.move_to(beijing(2026, 11, 28, 10), tick=False)


def catalogue(client) -> dict[str, tuple[str, str]]:
    """kind → (what the 功能目录 offers: "link", "continue" or "why", the card's text)."""
    html = client.get("/applicant/").get_data(as_text=True)
    cards = {}
    for kind, card in re.findall(r'<li class="kc-offer[^"]*" data-kind="(\w+)">(.*?)</li>', html, re.S):
        offer = "continue" if "继续办理" in card else ("why" if "为什么不能申请？" in card else "link")
        if offer == "link":
            assert f'href="/applicant/{"renewal" if kind == "renewal" else "apply/" + kind}/"' in card
        cards[kind] = (offer, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)))
    return cards


def offers(client) -> dict[str, str]:
    return {kind: offer for kind, (offer, _text) in catalogue(client).items()}


def reason(client, kind: str) -> str:
    return catalogue(client)[kind][1]


def count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Application.id)))


def test_an_exam_passer_is_offered_initial_registration_only(client, db):
    person = make_person(name="周杰")
    make_exam_record(name=person.name, id_number=person.id_number, category=Category.CHEMICAL)
    db.session.commit()
    login_as(client, person)
    assert offers(client) == {"initial": "link", "renewal": "why", "change": "why", "reregistration": "why",
                              "cancellation": "why"}
    assert "没有您的执业证注册信息，不能申请延续注册" in reason(client, "renewal")
    assert "考试合格后首次注册，请申请初始注册" in reason(client, "reregistration")
    assert "没有您的执业证注册信息，无需注销" in reason(client, "cancellation")
    # the renewal page no longer ends there: it leads to 初始注册
    page = client.get("/applicant/renewal/").get_data(as_text=True)
    assert 'href="/applicant/apply/initial/"' in page


def test_someone_without_an_exam_pass_is_told_why(client, db):
    person = make_person(name="吴敏")
    db.session.commit()
    login_as(client, person)
    assert offers(client)["initial"] == "why"
    assert "没有您的考试合格信息" in reason(client, "initial")
    response = post(client, "/applicant/apply/initial/start", token=csrf_token(client, "/applicant/change-password"),
                    follow_redirects=True)
    assert "没有您的考试合格信息" in text(response)
    assert count(db) == 0


def test_an_exam_passer_over_the_age_limit_may_not_register(client, db):
    person = make_person(name="郑和", birth_date=date(1955, 1, 1))
    make_exam_record(name=person.name, id_number=person.id_number)
    db.session.commit()
    login_as(client, person)
    assert offers(client)["initial"] == "why" and "年满70周岁" in reason(client, "initial")


def test_a_holder_in_the_renewal_window(client, db):
    person = make_person()
    make_certificate(person, valid_until=date(2027, 1, 15))
    db.session.commit()
    login_as(client, person)
    assert offers(client) == {"initial": "why", "renewal": "link", "change": "link", "reregistration": "why",
                              "cancellation": "link"}
    assert "您已取得执业证，不能再申请初始注册" in reason(client, "initial")
    assert "仍在有效期内（至2027-01-15）" in reason(client, "reregistration")


def test_an_expired_holder_is_offered_reregistration(client, db):
    person = make_person()
    make_certificate(person, valid_until=date(2026, 3, 31))
    db.session.commit()
    login_as(client, person)
    assert offers(client) == {"initial": "why", "renewal": "why", "change": "why", "reregistration": "link",
                              "cancellation": "why"}
    assert "需申请重新注册" in reason(client, "renewal")
    assert "已于2026-03-31到期" in reason(client, "change")


def test_an_open_application_is_continued_and_blocks_the_other_kinds(client, db):
    person = make_person()
    make_certificate(person, valid_until=date(2027, 1, 15))
    make_application(person, status=S.DRAFT)
    db.session.commit()
    login_as(client, person)
    assert offers(client) == {"initial": "why", "renewal": "continue", "change": "why", "reregistration": "why",
                              "cancellation": "why"}
    assert "您有一份正在办理的延续注册申请，办结或撤回后才能申请变更注册" in reason(client, "change")
    page = text(client.get("/applicant/apply/cancellation/"))
    assert "您有一份正在办理的延续注册申请" in page and "开始注销注册" not in page
    post(client, "/applicant/apply/change/start", token=csrf_token(client, "/applicant/change-password"))
    assert count(db) == 1


def test_a_pending_cancellation_filed_by_the_body_blocks_everything(client, db):
    person = make_person()
    certificate = make_certificate(person, valid_until=date(2028, 1, 15))
    staff = make_staff()
    filed = Application(person=person, certificate=certificate, kind=K.CANCELLATION, status=S.INITIAL_PASSED,
                        body_id=person.body_id, filed_by_id=staff.id, number="ZX202600000001",
                        draft={"cancellation": {"ground": "death"}})
    db.session.add(filed)
    db.session.commit()
    login_as(client, person)
    assert set(offers(client).values()) == {"why"}
    assert "注册机构已为您办理注销注册（申请编号 ZX202600000001）" in reason(client, "change")
    # the body's filing is not the person's own application: it is not offered to go on with or to open
    assert client.get("/applicant/apply/cancellation/cancellation").status_code == 302


def test_the_entry_page_of_a_kind_says_what_it_needs(client, db):
    person = make_person()
    make_certificate(person, valid_until=date(2028, 1, 15))
    db.session.commit()
    login_as(client, person)
    page = text(client.get("/applicant/apply/change/"))
    assert "开始变更注册" in page and "变更事项、聘用单位信息、上传材料、预览、上报" in page
    page = text(client.get("/applicant/apply/cancellation/"))
    assert "开始注销注册" in page and "注销原因" in page
