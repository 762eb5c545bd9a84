"""The date-sensitive rules at the hours where a UTC server and the registry disagree about the day.

Beijing is UTC+8: from 00:00 to 08:00 Beijing the UTC date is still the day before, and on 1 January before 08:00
the UTC year too. Every rule below must follow the Beijing day (``portal.clock``). Each test freezes the clock at
an instant with time-machine (``tick=False``) *before* it creates people and logs in, so that every "today" of
the test (factories included) is the Beijing day of that instant, then acts as the user does and checks what the
page says and what the database holds. The instants: 23:59 / 00:01 and 07:59 / 08:01 Beijing, 31 December →
1 January, and 29 February 2028.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.models import (
    Application,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    ContinuingEducation,
    CorrectionStatus,
    IdentityCorrection,
    Person,
    WorkHistory,
)
from portal.models.certificates import CertificateStanding
from portal.services.accounts.personal_notices import certificate_standing
from portal.services.infrastructure.dates import add_months
from tests.accounts_helpers import login, text
from tests.clocks import BEIJING, EDGES, beijing
from tests.factories import PASSWORD, login_as, make_certificate, make_person, make_staff
from tests.test_renewal_support import (
    CSRF_RE,
    PERSONAL,
    csrf_token,
    employer_data,
    fill_wizard,
    post,
    submit,
    work_data,
)
from tests.test_reviewer_helpers import csrf as staff_csrf

EDGE_IDS = [label for label, _ in EDGES]
EDGE_INSTANTS = [instant for _, instant in EDGES]


@pytest.fixture
def freeze(time_machine):
    """``freeze(instant)`` stops the clock at ``instant`` and returns the Beijing day of it (worked out here, not
    read from the clock under test)."""

    def move(instant: datetime) -> date:
        time_machine.move_to(instant, tick=False)
        assert clock.utcnow() == instant
        return instant.astimezone(BEIJING).date()

    return move


def holder(db, *, valid_until: date | None = None, birth_date: date = date(1975, 5, 5),
           status: CertificateStatus = CertificateStatus.VALID) -> Person:
    """A certificate holder (inside the renewal window unless ``valid_until`` says otherwise), committed."""
    person = make_person(birth_date=birth_date)
    make_certificate(person, valid_until=valid_until).status = status
    db.session.commit()
    return person


def own_applications(db, person) -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Application).where(Application.person_id == person.id)))


def page_and_token(client, path: str) -> tuple[str, str]:
    """The page as read and the session's CSRF token (from the header's 安全退出 form), in one request."""
    response = client.get(path)
    return text(response), CSRF_RE.search(response.get_data(as_text=True)).group(1)


def certificate_box(response) -> str:
    """The 执业证信息 box of the personal page, as read."""
    page = text(response)
    return page[page.index("执业证信息"):]


# --- the clock itself ----------------------------------------------------------------------------------------


def test_today_is_the_beijing_day_whatever_the_utc_date(app, freeze):
    for label, instant in EDGES:
        with app.app_context():
            today = freeze(instant)
            assert clock.today() == today == date(instant.year, instant.month, instant.day), label
            assert clock.local_date(clock.utcnow()) == today, label
        assert (clock.utcnow().date() < today) is (instant.hour < 8), label  # the hours this module is about


# --- the renewal window: its opening day and the expiry day ---------------------------------------------------

#: (instants in order, {valid_until: what the 延续注册 page says at each instant}); the window opens three months
#: before expiry and closes after the expiry day
WINDOW_TABLES = {
    "midnight and 08:00 Beijing": (
        [beijing(2026, 11, 27, 23, 59), beijing(2026, 11, 28, 0, 1), beijing(2026, 11, 28, 7, 59),
         beijing(2026, 11, 28, 8, 1)],
        {date(2027, 2, 28): ["not_open", "open", "open", "open"],  # opens on 28 November
         date(2026, 11, 27): ["open", "expired", "expired", "expired"]}),  # expires on 27 November
    "New Year": (
        [beijing(2026, 12, 31, 23, 59), beijing(2027, 1, 1, 0, 30)],
        {date(2026, 12, 31): ["open", "expired"], date(2027, 4, 1): ["not_open", "open"]}),
    "29 February": (
        [beijing(2028, 2, 28, 23, 59), beijing(2028, 2, 29, 7, 0), beijing(2028, 3, 1, 0, 1)],
        {date(2028, 5, 31): ["not_open", "open", "open"],  # 31 May less three months: 29 February
         date(2028, 2, 29): ["open", "open", "expired"],
         date(2028, 2, 28): ["open", "expired", "expired"]}),
}


@pytest.mark.parametrize("table", WINDOW_TABLES)
def test_renewal_window_opening_and_expiry_days_follow_beijing(app, db, freeze, table):
    instants, expectations = WINDOW_TABLES[table]
    freeze(instants[0])
    people = {valid_until: holder(db, valid_until=valid_until) for valid_until in expectations}
    for step, instant in enumerate(instants):
        freeze(instant)
        for valid_until, person in people.items():
            expected, where = expectations[valid_until][step], f"{instant:%Y-%m-%d %H:%M}, expiry {valid_until}"
            client = app.test_client()
            login_as(client, person)
            opens = add_months(valid_until, -3)
            page, token = page_and_token(client, "/applicant/renewal/")
            assert f"延续注册申请时间 {opens.isoformat()} 至 {valid_until.isoformat()}" in page, where
            if expected == "open":
                assert "现在可以申请延续注册" in page and "开始延续注册" in page, where
            elif expected == "not_open":
                assert f"延续注册将于{opens.isoformat()}开放" in page and "开始延续注册" not in page, where
            else:
                assert f"您的执业证已于{valid_until.isoformat()}到期" in page and "需申请重新注册" in page, where
                assert "开始延续注册" not in page, where

            # the user presses 开始延续注册 (or replays the form when the page did not offer it)
            post(client, "/applicant/renewal/start", token=token)
            drafts = own_applications(db, person)
            assert [a.status for a in drafts] == ([ApplicationStatus.DRAFT] if expected == "open" else []), where
            db.session.execute(sa.delete(Application))  # start afresh at the next instant
            db.session.commit()


# --- the personal page's 状态 (and the reminder beside it) ---------------------------------------------------

#: (instants in order, {(valid_until, stored status): the 状态 shown at each instant})
STANDING_TABLES = {
    "midnight and 08:00 Beijing": (
        [beijing(2026, 11, 27, 23, 59), beijing(2026, 11, 28, 0, 1), beijing(2026, 11, 28, 7, 59),
         beijing(2026, 11, 28, 8, 1)],
        {(date(2027, 2, 28), CertificateStatus.VALID): ["有效", "即将到期", "即将到期", "即将到期"],
         (date(2026, 11, 27), CertificateStatus.VALID): ["即将到期", "已过期", "已过期", "已过期"],
         (date(2026, 11, 27), CertificateStatus.REVOKED): ["已注销", "已注销", "已注销", "已注销"]}),
    "New Year": (
        [beijing(2026, 12, 31, 23, 59), beijing(2027, 1, 1, 0, 30)],
        {(date(2026, 12, 31), CertificateStatus.VALID): ["即将到期", "已过期"],
         (date(2027, 4, 1), CertificateStatus.VALID): ["有效", "即将到期"]}),
    "29 February": (
        [beijing(2028, 2, 28, 23, 59), beijing(2028, 2, 29, 7, 0), beijing(2028, 3, 1, 0, 1)],
        {(date(2028, 5, 31), CertificateStatus.VALID): ["有效", "即将到期", "即将到期"],
         (date(2028, 2, 29), CertificateStatus.VALID): ["即将到期", "即将到期", "已过期"],
         (date(2028, 2, 28), CertificateStatus.VALID): ["即将到期", "已过期", "已过期"]}),
}


ENGLISH = {"有效": "Valid", "即将到期": "Expiring soon", "已过期": "Expired", "已注销": "Revoked"}


def reminder(shown: str, valid_until: date, today: date) -> str:
    """What the 公告信息 panel says beside a certificate shown as ``shown``."""
    days_left = (valid_until - today).days
    return {"有效": f"延续注册须在有效期满前3个月内申请，将于 {add_months(valid_until, -3).isoformat()} 开放",
            "即将到期": f"将于 {valid_until.isoformat()} 到期（还剩{days_left}天），现已可以申请延续注册",
            "已过期": f"已于 {valid_until.isoformat()} 过期，不能再申请延续注册",
            "已注销": "已注销。"}[shown]


@pytest.mark.parametrize("table", STANDING_TABLES)
def test_personal_page_status_follows_the_expiry_date(app, db, freeze, table):
    instants, expectations = STANDING_TABLES[table]
    freeze(instants[0])
    people = {key: holder(db, valid_until=key[0], status=key[1]) for key in expectations}
    for step, instant in enumerate(instants):
        today = freeze(instant)
        for (valid_until, stored), person in people.items():
            shown, where = expectations[valid_until, stored][step], f"{instant:%Y-%m-%d %H:%M}, expiry {valid_until}"
            client = app.test_client()
            login_as(client, person)
            response = client.get("/applicant/")
            box = certificate_box(response)
            assert f"有效期 {add_months(valid_until, -60).isoformat()} 至 {valid_until.isoformat()}" in box, where
            assert f"状态 {shown}" in box, where
            assert reminder(shown, valid_until, today) in text(response), where  # the panel says the same
    db.session.expire_all()
    assert [c.status for c in db.session.scalars(sa.select(Certificate).order_by(Certificate.id))] == \
        [stored for _, stored in expectations]  # shown, never stored
    client.get("/lang/en")  # the last one, in English
    assert f"Status {ENGLISH[shown]}" in text(client.get("/applicant/"))


@pytest.mark.parametrize(("today", "valid_until", "stored", "standing"), [
    (date(2026, 11, 27), date(2027, 2, 28), CertificateStatus.VALID, CertificateStanding.VALID),
    (date(2026, 11, 28), date(2027, 2, 28), CertificateStatus.VALID, CertificateStanding.EXPIRING),
    (date(2027, 2, 28), date(2027, 2, 28), CertificateStatus.VALID, CertificateStanding.EXPIRING),
    (date(2027, 3, 1), date(2027, 2, 28), CertificateStatus.VALID, CertificateStanding.EXPIRED),
    (date(2026, 1, 1), date(2027, 2, 28), CertificateStatus.REVOKED, CertificateStanding.REVOKED),
    (date(2026, 1, 1), date(2027, 2, 28), CertificateStatus.EXPIRED, CertificateStanding.EXPIRED),
])
def test_the_status_rule(today, valid_until, stored, standing):
    certificate = Certificate(valid_until=valid_until, status=stored)
    assert certificate_standing(certificate, today, 3) is standing


def test_every_stored_status_can_be_shown():
    assert {status.value for status in CertificateStatus} <= {standing.value for standing in CertificateStanding}


# --- the age limit on the 70th birthday ----------------------------------------------------------------------

#: (instants in order, {birth date: whether the person has reached 70 at each instant})
AGE_TABLES = {
    "midnight and 08:00 Beijing": (
        [beijing(2026, 11, 27, 23, 59), beijing(2026, 11, 28, 0, 1), beijing(2026, 11, 28, 7, 59),
         beijing(2026, 11, 28, 8, 1)],
        {date(1956, 11, 28): [False, True, True, True], date(1956, 11, 29): [False, False, False, False]}),
    "New Year": (
        [beijing(2026, 12, 31, 23, 59), beijing(2027, 1, 1, 0, 30)],
        {date(1957, 1, 1): [False, True]}),
    "29 February": (
        [beijing(2028, 2, 28, 23, 59), beijing(2028, 2, 29, 7, 0), beijing(2028, 3, 1, 0, 1)],
        {date(1958, 2, 28): [True, True, True], date(1958, 3, 1): [False, False, True]}),
}


@pytest.mark.parametrize("table", AGE_TABLES)
def test_age_limit_is_reached_on_the_beijing_birthday(app, db, freeze, table):
    instants, expectations = AGE_TABLES[table]
    freeze(instants[0])
    people = {born: holder(db, birth_date=born) for born in expectations}
    for step, instant in enumerate(instants):
        freeze(instant)
        for born, person in people.items():
            too_old, where = expectations[born][step], f"{instant:%Y-%m-%d %H:%M}, born {born}"
            client = app.test_client()
            login_as(client, person)
            page, token = page_and_token(client, "/applicant/renewal/")
            if too_old:
                assert "您已年满70周岁，按规定不能申请延续注册。" in page and "开始延续注册" not in page, where
            else:
                assert "现在可以申请延续注册" in page and "年满70周岁" not in page, where
            post(client, "/applicant/renewal/start", token=token)
            assert len(own_applications(db, person)) == (0 if too_old else 1), where
            db.session.execute(sa.delete(Application))
            db.session.commit()


# --- the wizard's records: continuing education up to today, work history not later than today ---------------


def ce_entry(start: date, end: date, hours: int, course: str = "危险化学品安全管理") -> dict:
    return {"course": course, "organiser": "辽宁省安全生产培训中心", "start_date": start.isoformat(),
            "end_date": end.isoformat(), "hours": str(hours)}


@pytest.mark.parametrize("instant", EDGE_INSTANTS, ids=EDGE_IDS)
def test_records_dated_today_are_accepted_and_tomorrow_refused(client, db, freeze, instant):
    today = freeze(instant)
    tomorrow = today + timedelta(days=1)
    person = holder(db)
    login_as(client, person)
    token = csrf_token(client)
    assert post(client, "/applicant/renewal/start", token=token).status_code == 302
    assert post(client, "/applicant/renewal/personal", PERSONAL, token).status_code == 302
    assert post(client, "/applicant/renewal/employer", employer_data(), token).status_code == 302
    period_from = person.current_certificate.valid_from

    # step 3: the CE entries that count are those inside the current period, which runs up to today
    response = post(client, "/applicant/renewal/education", ce_entry(today, tomorrow, 18, course="明天结束"), token)
    assert response.status_code == 200 and "结束日期不能晚于今天" in text(response)
    response = post(client, "/applicant/renewal/education", ce_entry(today - timedelta(days=2), today, 30), token)
    assert response.status_code == 302, text(response)
    response = post(client, "/applicant/renewal/education", ce_entry(today, today, 18, course="今天的培训"), token)
    assert response.status_code == 302, text(response)
    page = text(client.get("/applicant/renewal/education"))
    assert f"本注册周期（{period_from.isoformat()} 至 {today.isoformat()}）继续教育学时合计： 48 / 48 学时" in page
    assert "已达到要求" in page and "不计入" not in page
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ContinuingEducation).order_by(ContinuingEducation.id)).all()
    assert [(row.end_date, row.hours) for row in rows] == [(today, 30), (today, 18)]
    assert post(client, "/applicant/renewal/education/next", token=token).status_code == 302

    # step 4: work-history dates
    response = post(client, "/applicant/renewal/work", work_data(tomorrow.isoformat(), ""), token)
    assert response.status_code == 200 and "开始日期不能晚于今天" in text(response)
    response = post(client, "/applicant/renewal/work", work_data("1998-07-01", tomorrow.isoformat()), token)
    assert response.status_code == 200 and "结束日期不能晚于今天" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(WorkHistory.id))) == 0
    response = post(client, "/applicant/renewal/work", work_data("1998-07-01", today.isoformat()), token)
    assert response.status_code == 302, text(response)
    assert f"1998-07-01 至 {today.isoformat()}" in text(client.get("/applicant/renewal/work"))
    row = db.session.scalar(sa.select(WorkHistory).where(WorkHistory.person_id == person.id))
    # the row, opened through its 起止时间, changed to a job started and left today
    response = post(client, f"/applicant/renewal/work/{row.id}", work_data(today.isoformat(), today.isoformat()),
                    token)
    assert response.status_code == 302, text(response)
    assert post(client, "/applicant/renewal/work/next", token=token).status_code == 302
    db.session.expire_all()
    row = db.session.get(WorkHistory, row.id)
    assert (row.start_date, row.end_date) == (today, today)
    assert {"education", "work"} <= set(own_applications(db, person)[0].draft["completed"])


# --- identity correction: the fax is dated today ---------------------------------------------------------------


FAX_INSTANTS = [
    pytest.param(beijing(2026, 11, 27, 23, 59), id="23:59 Beijing"),
    pytest.param(beijing(2026, 11, 28, 0, 30), id="00:30 Beijing (UTC: day before)"),
    pytest.param(beijing(2026, 11, 28, 7, 59), id="07:59 Beijing (UTC: day before)"),
    pytest.param(beijing(2026, 11, 28, 8, 1), id="08:01 Beijing"),
    pytest.param(beijing(2027, 1, 1, 0, 30), id="New Year 00:30 (UTC: 31 December)"),
    pytest.param(beijing(2028, 2, 29, 7, 0), id="29 February 07:00 (UTC: 28 February)"),
]


@pytest.mark.parametrize("instant", FAX_INSTANTS)
def test_a_fax_dated_today_is_accepted_and_tomorrow_refused(client, db, freeze, instant):
    today = freeze(instant)
    reviewer = make_staff("reviewer_a", body_code="210000")
    person = make_person(body_code="210000")
    db.session.commit()
    login_as(client, reviewer)
    url = f"/reviewer/corrections/new/?person_id={person.id}"
    form = {"name": "王建华", "gender": person.gender, "birth_date": person.birth_date.isoformat(),
            "id_type": person.id_type.value, "id_number": person.id_number, "reason": "姓名录入错误",
            "fax_pages": "2"}

    form["csrf_token"] = staff_csrf(client)
    response = client.post(url, data={**form, "fax_date": (today + timedelta(days=1)).isoformat()},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "传真日期不能晚于今天" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(IdentityCorrection.id))) == 0

    response = client.post(url, data={**form, "fax_date": today.isoformat()}, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "等待注册管理中心核对传真后答复" in page and today.isoformat() in page
    db.session.expire_all()
    [correction] = db.session.scalars(sa.select(IdentityCorrection)).all()
    assert (correction.fax_date, correction.status) == (today, CorrectionStatus.PENDING)
    assert correction.changes == {"name": {"old": "王建国", "new": "王建华"}}


# --- the application number's year ---------------------------------------------------------------------------


@pytest.mark.parametrize(("instant", "year"), [
    pytest.param(beijing(2026, 12, 31, 23, 59), 2026, id="31 December 23:59 Beijing"),
    pytest.param(beijing(2027, 1, 1, 7, 0), 2027, id="1 January 07:00 Beijing (UTC: 31 December)"),
])
def test_the_application_number_carries_the_beijing_year(client, db, freeze, instant, year):
    today = freeze(instant)
    person = holder(db)
    login_as(client, person)
    fill_wizard(client)
    response = submit(client)
    assert response.status_code == 302 and "submitted=1" in response.headers["Location"]
    [application] = own_applications(db, person)
    assert application.number == f"YX{year}{application.id:08d}"
    assert application.submitted_at == instant
    assert application.submitted_at.astimezone(UTC).date() == date(2026, 12, 31)  # stored in UTC: the same day
    assert application.snapshot["date"] == today.isoformat()
    page = text(client.get(response.headers["Location"]))
    assert application.number in page and f"上报时间 {instant:%Y-%m-%d %H:%M}" in page


# --- idle timeout and failed-login lock across the Beijing and UTC date changes --------------------------------


LOGIN_STARTS = [
    pytest.param(beijing(2026, 12, 31, 23, 45), id="from 23:45 on 31 December Beijing into the new year"),
    pytest.param(beijing(2026, 11, 28, 7, 45), id="from 07:45 Beijing across the UTC midnight"),
]


@pytest.mark.parametrize("start", LOGIN_STARTS)
def test_idle_timeout_of_thirty_minutes_across_midnight(app, client, db, freeze, start):
    freeze(start)
    person = holder(db)
    assert login(client, person.id_number).headers["Location"] == "/applicant/"

    freeze(start + timedelta(minutes=29))  # the next day in Beijing (or in UTC): still active
    assert "王建国，您好！" in text(client.get("/applicant/"))
    other = app.test_client()
    page = text(login(other, person.id_number))
    unlocks = start + timedelta(minutes=59)
    assert "该账号已在其他地方登录" in page and f"账号将于 {unlocks:%Y-%m-%d %H:%M} 自动解锁" in page

    freeze(start + timedelta(minutes=58, seconds=59))  # 29:59 idle: the first browser is still logged in
    assert "王建国，您好！" in text(client.get("/applicant/"))
    cookie = client.get_cookie("session").value

    freeze(start + timedelta(minutes=88, seconds=59))  # 30 minutes idle: logged out
    kept = app.test_client()  # a browser that kept the cookie past its expiry
    kept.set_cookie("session", cookie)
    for browser in (client, kept):  # the server finds the session idle, ends it and says so
        response = browser.get("/applicant/")
        assert response.status_code == 302 and response.headers["Location"] == "/?next=/applicant/"
        page = text(browser.get(response.headers["Location"]))
        assert "您已因30分钟未操作自动退出，请重新登录。" in page and "王建国，您好" not in page
    db.session.expire_all()
    assert db.session.get(Person, person.id).session_token is None

    assert login(other, person.id_number).headers["Location"] == "/applicant/"  # the other browser may log in now
    assert "王建国，您好！" in text(other.get("/applicant/"))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.session_token and person.last_seen_at == start + timedelta(minutes=88, seconds=59)


@pytest.mark.parametrize("start", [
    pytest.param(beijing(2026, 12, 31, 23, 50), id="locked 23:50 on 31 December Beijing, lapses in the new year"),
    pytest.param(beijing(2026, 11, 28, 7, 50), id="locked 07:50 Beijing, lapses after the UTC midnight"),
])
def test_failed_login_lock_of_fifteen_minutes_across_midnight(client, db, freeze, start):
    freeze(start)
    person = holder(db)
    for _ in range(4):
        login(client, person.id_number, "Wrong2026x")
    page = text(login(client, person.id_number, "Wrong2026x"))
    until = start + timedelta(minutes=15)
    assert f"密码连续输错5次，账号已锁定，请于 {until:%Y-%m-%d %H:%M} 后再试。" in page
    db.session.expire_all()
    assert db.session.get(Person, person.id).locked_until == until

    freeze(start + timedelta(minutes=14, seconds=59))  # a new day, but not yet 15 minutes
    page = text(login(client, person.id_number, PASSWORD))
    assert "账号已锁定" in page and "王建国，您好" not in page
    db.session.expire_all()
    assert db.session.get(Person, person.id).session_token is None

    freeze(until)  # 15 minutes: the lock has lapsed
    response = login(client, person.id_number, PASSWORD)
    assert response.headers["Location"] == "/applicant/"
    assert "王建国，您好！" in text(client.get("/applicant/"))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.locked_until is None and person.failed_logins == 0 and person.last_seen_at == until
