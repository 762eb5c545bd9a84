"""The 公告信息 panel of the personal page (guide 三): computed reminders, then stored notices newest first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.clock import utcnow
from portal.models import ApplicationStatus, Notice
from portal.services.accounts.personal_notices import personal_notices
from portal.services.infrastructure.notices import notify
from portal.services.renewal.window import renewal_window_opens
from tests.accounts_helpers import login, text
from tests.factories import make_application, make_certificate, make_person

TODAY = date(2026, 6, 15)


def kinds(notices) -> list[str]:
    return [notice.kind for notice in notices]


@pytest.mark.parametrize(("valid_until", "opens"), [
    (date(2026, 9, 15), date(2026, 6, 15)),
    (date(2026, 5, 31), date(2026, 2, 28)),   # 31 May → the last day of February
    (date(2028, 5, 31), date(2028, 2, 29)),
])
def test_the_window_opens_three_months_before_expiry(valid_until, opens):
    assert renewal_window_opens(valid_until, 3) == opens


def test_window_not_yet_open_says_when_it_opens(db):
    person = make_person()
    make_certificate(person, valid_until=date(2027, 1, 10))
    [notice] = personal_notices(person, TODAY, 3)
    assert notice.kind == "renewal_not_open" and notice.level == "info"
    assert "有效期至 2027-01-10" in notice.message
    assert "延续注册须在有效期满前3个月内申请，将于 2026-10-10 开放。" in notice.message


def test_window_open_on_its_first_and_last_day(db):
    person = make_person()
    certificate = make_certificate(person, valid_until=date(2026, 9, 15))
    [notice] = personal_notices(person, TODAY, 3)
    assert notice.kind == "renewal_open" and notice.link == "applicant.renewal_index"
    assert "将于 2026-09-15 到期（还剩92天），现已可以申请延续注册" in notice.message
    assert kinds(personal_notices(person, certificate.valid_until, 3)) == ["renewal_open"]
    assert kinds(personal_notices(person, TODAY - timedelta(days=1), 3)) == ["renewal_not_open"]


def test_the_window_length_is_a_setting(db):
    person = make_person()
    make_certificate(person, valid_until=date(2026, 11, 15))
    assert kinds(personal_notices(person, TODAY, 3)) == ["renewal_not_open"]
    assert kinds(personal_notices(person, TODAY, 6)) == ["renewal_open"]


def test_expired_certificate_needs_reregistration(db):
    person = make_person()
    make_certificate(person, valid_until=TODAY - timedelta(days=1))
    [notice] = personal_notices(person, TODAY, 3)
    assert notice.kind == "certificate_expired" and notice.level == "error"
    assert "已于 2026-06-14 过期" in notice.message and "重新注册" in notice.message


def test_temporary_password_and_incomplete_profile_come_first(db):
    person = make_person(must_change_password=True, employer_kind=None)
    make_certificate(person, valid_until=date(2027, 1, 10))
    assert kinds(personal_notices(person, TODAY, 3)) == ["temporary_password", "profile_incomplete",
                                                         "renewal_not_open"]


def test_stored_notices_follow_newest_first_with_the_return_reason(db):
    person = make_person()
    make_certificate(person, valid_until=date(2026, 9, 15))
    application = make_application(person, status=ApplicationStatus.RETURNED)
    application.last_reason = "继续教育证明材料不全"
    old = notify(person, "submitted", "您的延续注册申请已上报。", application)
    old.created_at = utcnow() - timedelta(days=3)
    notify(person, "returned", "您的延续注册申请已被退回修改。", application)
    corrected = notify(person, "identity_corrected", "您的证件信息已更正，可登录注册管理系统进行注册或者查询。")
    corrected.created_at = utcnow() - timedelta(days=1)
    db.session.flush()

    notices = personal_notices(person, TODAY, 3)
    # a draft or returned application is under way: no "window open" reminder; the state notice was stored
    assert kinds(notices) == ["returned", "identity_corrected", "submitted"]
    returned = notices[0]
    assert returned.level == "warning" and returned.reason == "继续教育证明材料不全"
    assert notices[1].level == "success" and notices[2].reason is None
    assert [notice.superseded for notice in notices] == [False, False, True]  # 已上报 is no longer the state


def test_after_approval_the_return_notice_is_folded_into_the_history(db):
    """「请修改后重新上报」 no longer shows among the current notices once the application is approved; the
    approval comes first, older states follow as history, newest first."""
    person = make_person()
    make_certificate(person, valid_until=date(2031, 9, 15))  # the renewed certificate
    application = make_application(person, status=ApplicationStatus.APPROVED)
    for days, kind, message in ((5, "submitted", "您的延续注册申请已上报。"),
                                (4, "returned", "您的延续注册申请已被退回修改，请修改后重新上报。"),
                                (3, "submitted", "您的延续注册申请已重新上报。"),
                                (1, "approved", "您的延续注册申请已准予注册。")):
        notify(person, kind, message, application).created_at = utcnow() - timedelta(days=days)
    db.session.flush()
    notices = personal_notices(person, TODAY, 3)
    assert kinds(notices) == ["approved", "renewal_not_open", "submitted", "returned", "submitted"]
    assert [notice.superseded for notice in notices] == [False, False, True, True, True]
    assert notices[0].level == "success"


def test_application_state_is_computed_when_no_notice_was_stored(db):
    person = make_person()
    make_certificate(person, valid_until=date(2026, 9, 15))
    application = make_application(person, status=ApplicationStatus.INITIAL_REJECTED)
    application.last_reason = "工作经历与聘用单位证明不符。"
    db.session.flush()
    notices = personal_notices(person, TODAY, 3)
    assert kinds(notices) == ["application_initial_rejected", "renewal_open"]  # the current state first
    state = notices[0]
    assert f"您的延续注册申请（编号 {application.number}）初审不通过。" == state.message
    assert state.reason == "工作经历与聘用单位证明不符。" and state.level == "error"


@pytest.mark.parametrize(("status", "phrase", "level"), [
    (ApplicationStatus.APPROVED, "已准予注册", "success"),
    (ApplicationStatus.REFUSED, "不予注册", "error"),
    (ApplicationStatus.SUBMITTED, "等待注册机构初审", "info"),
    (ApplicationStatus.DRAFT, "尚未上报", "info"),
])
def test_each_application_state_has_its_sentence(db, status, phrase, level):
    person = make_person()
    make_application(person, status=status)
    [notice] = personal_notices(person, TODAY, 3)
    assert phrase in notice.message and notice.level == level


def test_the_personal_page_shows_the_panel(client, db):
    person = make_person()
    make_certificate(person, days_left=400)
    notify(person, "approved", "您的延续注册申请已准予注册。")
    db.session.commit()
    login(client, person.id_number)
    page = text(client.get("/applicant/"))
    page = page[page.index("您好！"):]  # below the site navigation, which also links 公告信息
    assert page.index("功能目录") < page.index("公告信息") < page.index("您的延续注册申请已准予注册。")
    assert "延续注册须在有效期满前3个月内申请" in page


def test_a_person_without_certificate_or_notices_sees_an_empty_panel(client, db):
    person = make_person(name="周杰")
    db.session.commit()
    login(client, person.id_number)
    page = text(client.get("/applicant/"))
    assert "暂无公告信息。" in page
    assert "系统中还没有您的执业证注册记录。" in page
    assert db.session.query(Notice).count() == 0
