"""A new password under NIST SP 800-63B: refused when common or guessable (zxcvbn score below 3) or when it holds
the owner's ID number, birth date or name in pinyin (staff: username and name); long passphrases welcome. And what
any password change ends: every other session and every outstanding 忘记密码 link."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.models import ExamRecord, IdType, PasswordResetToken, Person, Staff, StaffRole
from portal.services.accounts import applicants as accounts
from portal.services.accounts.staff import create_staff
from portal.services.data.demo import DEMO_PASSWORD, DEMO_STAFF_PASSWORD
from portal.services.errors import DomainError
from portal.services.infrastructure import passwords
from portal.services.infrastructure.passwords import (
    WeakPasswordError,
    applicant_words,
    check_password_strength,
    generate_temporary_password,
    staff_words,
    verify_password,
)
from portal.validators import make_resident_id
from tests import test_reviewer_helpers as console
from tests.accounts_helpers import login, post_form, text
from tests.clocks import beijing
from tests.factories import PASSWORD, login_as, make_certificate, make_person, make_staff
from tests.test_translations import english_catalog

BORN = date(1990, 3, 7)
ID_NUMBER = make_resident_id("110101", BORN, 123)
STRONG = "Harbour lanterns keep 7 ferries"
#: passes the old rules (letters and digits, no spaces) and the new ones, so the session tests test only sessions
NEW_PASSWORD = "Zhaohui2026"
#: 90 characters: longer than the old limit (64) and than what zxcvbn accepts (72)
PASSPHRASE = "the quiet harbour keeps seven lanterns burning while the northern ferry waits for dawn tide"
INVALID_LINK = "找回密码链接无效、已使用或已过期，请重新申请。"


def field_error(response, field: str) -> str:
    """The (first) message shown beside ``field``, applicant side or console, or "" when there is none."""
    match = re.search(rf'<div class="[^"]*" id="{field}-error">(.*?)</div>', response.get_data(as_text=True))
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) if match else ""


def refusal(password: str, personal=passwords.NO_PERSONAL_WORDS) -> str:
    with pytest.raises(WeakPasswordError) as refused:
        check_password_strength(password, personal)
    return str(refused.value)


@pytest.fixture
def wang() -> Person:
    """王建国, born 7 March 1990 (not stored: nothing here needs the database)."""
    return Person(name="王建国", id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, birth_date=BORN)


# --- the rules -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password1", "qwerty123", "abc12345", "1234567a", "Password2026",
                                      "password" * 12])
def test_common_and_guessable_passwords_are_refused(password):
    assert refusal(password) == "密码过于常见或容易猜到，请使用更长、更不规则的密码（例如由几个不相关的词组成的短语）。"


@pytest.mark.parametrize("password", [
    f"No.{ID_NUMBER}",  # the ID number
    f"harbour-{ID_NUMBER[-6:]}-lantern",  # its last six characters
    "Lantern19900307",  # birth date YYYYMMDD
    "lantern-900307-ferry",  # birth date YYMMDD
    "WangJianguo!Ferry",  # full pinyin
    "wang jian guo at the harbour",  # full pinyin with spaces
    "Jianguo#Harbour26",  # given name
    "王建国的安全密码2026",  # the name itself
])
def test_the_applicants_id_number_birth_date_and_name_are_refused(wang, password):
    assert refusal(password, accounts.personal_words(wang)) == "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。"


def test_personal_words_hold_every_form_of_the_name_and_go_to_zxcvbn(wang, monkeypatch):
    words = accounts.personal_words(wang)
    assert {"王建国", "wangjianguo", "jianguo", ID_NUMBER.lower(), "19900307", "900307"} <= set(words.contained)
    assert {"wang", "wjg"} <= set(words.guessable)  # one syllable or initials: only zxcvbn counts them
    assert {"li", "wei", "lw"} <= set(applicant_words("李伟", None).guessable)
    assert {"ouyang", "ouyangming"} <= set(applicant_words("欧阳明", None).contained)  # a two-character surname
    seen = []

    def spy(password, user_inputs=None):
        seen.append(user_inputs)
        return {"score": 4}

    monkeypatch.setattr(passwords, "zxcvbn", spy)
    check_password_strength(STRONG, words)
    assert set(seen[0]) == set(words.contained) | set(words.guessable)


def test_a_syllable_of_the_name_inside_an_ordinary_word_is_not_refused():
    check_password_strength("kitchen chenille timing", applicant_words("陈明", None))


@pytest.mark.parametrize("password", ["Liaoning2-harbour", "Lishenhe#Ferry26", "李审核的密码Ferry26"])
def test_staff_passwords_must_not_hold_the_username_or_name(password):
    assert refusal(password, staff_words("liaoning2", "李审核")) == "密码不能包含用户名、姓名或姓名拼音。"


def test_long_passphrases_are_welcome_up_to_128_characters():
    check_password_strength(PASSPHRASE)  # zxcvbn judges the first 72 characters instead of raising
    check_password_strength((PASSPHRASE + " and the gulls sleep on warm stones by the pier")[:128])
    assert refusal(PASSPHRASE + " " + PASSPHRASE) == "密码长度不能超过128位"
    assert refusal("Ab3 kit") == "密码长度至少为8位"


def test_temporary_passwords_pass_the_same_rule(wang, monkeypatch):
    words = accounts.personal_words(wang)
    for _ in range(20):
        check_password_strength(generate_temporary_password(words), words)
    real, scores = passwords.zxcvbn, iter([0])

    def weak_first(password, user_inputs=None):
        score = next(scores, None)
        return {"score": score} if score is not None else real(password, user_inputs=user_inputs)

    monkeypatch.setattr(passwords, "zxcvbn", weak_first)
    first = generate_temporary_password(words)  # the first draw is refused and drawn again
    assert len(first) == passwords.TEMPORARY_LENGTH and next(scores, None) is None


def test_every_password_message_has_its_english_translation():
    catalog = english_catalog()
    assert [message for message in passwords.MESSAGES if message not in catalog] == []


# --- where a password is chosen --------------------------------------------------------------------------------

def change(client, password: str, confirm: str | None = None, current: str = PASSWORD):
    return post_form(client, "/applicant/change-password", {
        "current_password": current, "password": password, "confirm": password if confirm is None else confirm})


def issue_link(db, person: Person) -> str:
    """A 忘记密码 link for ``person`` as the mail carries it (the path)."""
    _person, token = accounts.request_password_reset(person.name, person.id_type, person.id_number, person.email,
                                                     utcnow(), timedelta(minutes=30))
    db.session.commit()
    return f"/applicant/reset-password/{token}"


def test_change_password_refuses_a_common_password_beside_the_field(client, db, applicant):
    login(client, applicant.id_number)
    assert field_error(change(client, "password1"), "password") == (
        "密码过于常见或容易猜到，请使用更长、更不规则的密码（例如由几个不相关的词组成的短语）。")
    assert field_error(change(client, f"Ferry{applicant.birth_date:%Y%m%d}"), "password") == (
        "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。")
    db.session.refresh(applicant)
    assert verify_password(applicant.password_hash, PASSWORD)


def test_change_password_takes_a_long_passphrase(client, db, applicant):
    login(client, applicant.id_number)
    assert 'maxlength="128"' in client.get("/applicant/change-password").get_data(as_text=True)
    assert change(client, PASSPHRASE).headers["Location"] == "/applicant/"
    db.session.refresh(applicant)
    assert verify_password(applicant.password_hash, PASSPHRASE)


def test_change_password_keeps_this_session_and_ends_the_others_and_every_reset_link(
        app, client, db, applicant, time_machine):
    time_machine.move_to(beijing(2026, 3, 2, 9, 0))
    link = issue_link(db, applicant)
    assert "设置新密码" in text(client.get(link))
    login(client, applicant.id_number)
    stale = app.test_client()
    stale.set_cookie("session", client.get_cookie("session").value)  # the old session, copied

    response = change(client, NEW_PASSWORD)
    assert response.headers["Location"] == "/applicant/"
    assert "密码已修改。" in text(client.get("/applicant/"))  # this browser stays logged in
    assert stale.get("/applicant/").status_code == 302  # every other session has ended
    assert INVALID_LINK in text(client.get(link))  # the link mailed before no longer works
    assert post_form(client, link, {"password": STRONG, "confirm": STRONG}, form_page="/").status_code == 200
    db.session.expire_all()
    person = db.session.get(Person, applicant.id)
    assert verify_password(person.password_hash, NEW_PASSWORD)
    assert db.session.scalar(select(PasswordResetToken.used_at)) is not None


def test_a_reset_link_ends_every_session_and_every_other_link(app, client, db, applicant, time_machine):
    time_machine.move_to(beijing(2026, 3, 2, 9, 0))
    link = issue_link(db, applicant)
    db.session.add(PasswordResetToken(person_id=applicant.id, token_hash=accounts._token_hash("another"),
                                      expires_at=utcnow() + timedelta(minutes=30), created_at=utcnow()))
    db.session.commit()
    logged_in = app.test_client()
    login(logged_in, applicant.id_number)

    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/"
    assert logged_in.get("/applicant/").status_code == 302
    assert INVALID_LINK in text(client.get("/applicant/reset-password/another"))
    assert login(client, applicant.id_number, NEW_PASSWORD).headers["Location"] == "/applicant/"


def test_a_reset_link_refuses_the_persons_own_name_beside_the_field(client, db, applicant, time_machine):
    time_machine.move_to(beijing(2026, 3, 2, 9, 0))
    link = issue_link(db, applicant)
    response = post_form(client, link, {"password": "wangjianguo2026", "confirm": "wangjianguo2026"})
    assert field_error(response, "password") == "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。"
    assert "设置新密码" in text(client.get(link))  # the link still works after a refusal


@pytest.fixture
def holder(db):
    """孙磊, a certificate holder with an email on file who has not set a password yet."""
    person = make_person(name="孙磊", password=None, birth_date=date(1982, 4, 18), email="sun@example.com")
    make_certificate(person)
    db.session.commit()
    return person


def set_first_password(client, holder, password: str):
    post_form(client, "/applicant/set-password", {"kind": "holder", "name": holder.name, "id_type": "resident_id",
                                                  "id_number": holder.id_number})
    return post_form(client, "/applicant/set-password/password", {"password": password, "confirm": password})


def test_setting_the_first_password_refuses_personal_words(client, db, holder):
    response = set_first_password(client, holder, "SunLei-1982")
    assert field_error(response, "password") == "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。"
    db.session.refresh(holder)
    assert holder.password_hash is None


def test_setting_the_first_password_voids_a_link_mailed_before(client, db, holder, time_machine):
    time_machine.move_to(beijing(2026, 3, 2, 9, 0))
    link = issue_link(db, holder)
    assert set_first_password(client, holder, NEW_PASSWORD).headers["Location"] == "/"
    assert INVALID_LINK in text(client.get(link))


def test_an_exam_passers_birth_date_is_refused_before_the_account_exists(client, db):
    number = make_resident_id("110105", date(1990, 5, 20), 9)
    db.session.add(ExamRecord(name="周杰", id_type=IdType.RESIDENT_ID, id_number=number, exam_year=2025,
                              qualification_no="KS2025000777"))
    db.session.commit()
    post_form(client, "/applicant/set-password", {"kind": "passer", "name": "周杰", "id_type": "resident_id",
                                                  "id_number": number})
    response = post_form(client, "/applicant/set-password/password",
                         {"password": "Ferry-19900520", "confirm": "Ferry-19900520"})
    assert field_error(response, "password") == "密码不能包含您的证件号码、出生日期、姓名或姓名拼音。"
    assert db.session.scalar(select(Person).where(Person.id_number == number)) is None


def test_a_reviewers_temporary_password_ends_sessions_and_reset_links(app, client, db, time_machine):
    time_machine.move_to(beijing(2026, 3, 2, 9, 0))
    w = console.world(db)
    person = w.person_b
    person.email = "zhao@example.com"  # she asked for a link, then her email was removed from the records
    link = issue_link(db, person)
    person.email = None
    db.session.commit()
    applicant = app.test_client()
    login_as(applicant, person)

    login_as(client, w.reviewer_b)
    response = console.post(client, "/reviewer/people/reset-password/", {"id": person.id})
    assert "此密码只显示这一次" in console.text(response)
    assert applicant.get("/applicant/").status_code == 302
    assert INVALID_LINK in text(app.test_client().get(link))


# --- staff -----------------------------------------------------------------------------------------------------

def test_create_staff_refuses_the_username_and_the_name(db):
    with pytest.raises(DomainError) as refused:
        create_staff("liaoning2", StaffRole.REVIEWER, "Liaoning2-harbour", body_code="210000", name="李审核")
    assert refused.value.field == "password"
    assert str(refused.value.message) == "密码不能包含用户名、姓名或姓名拼音。"
    with pytest.raises(DomainError, match="过于常见或容易猜到"):
        create_staff("liaoning2", StaffRole.REVIEWER, "qwerty123", body_code="210000", name="李审核")
    staff = create_staff("liaoning2", StaffRole.REVIEWER, PASSPHRASE, body_code="210000", name="李审核")
    assert verify_password(staff.password_hash, PASSPHRASE)


def test_staff_change_their_password_keeping_this_session_and_ending_the_others(app, client, db):
    staff = make_staff("reviewer_a")
    db.session.commit()
    console.staff_login(client, "reviewer_a")
    stale = app.test_client()
    stale.set_cookie("session", client.get_cookie("session").value)
    response = console.post(client, "/reviewer/account/password", {
        "current": PASSWORD, "new": "Reviewer_A-2026", "confirm": "Reviewer_A-2026"})
    assert field_error(response, "new") == "密码不能包含用户名、姓名或姓名拼音。"
    response = console.post(client, "/reviewer/account/password", {
        "current": PASSWORD, "new": "abc12345", "confirm": "abc12345"})
    assert field_error(response, "new").startswith("密码过于常见或容易猜到")

    response = console.post(client, "/reviewer/account/password", {
        "current": PASSWORD, "new": PASSPHRASE, "confirm": PASSPHRASE})
    assert response.status_code == 302
    assert client.get("/reviewer/people/").status_code == 200
    assert stale.get("/reviewer/people/").status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(Staff, staff.id).password_hash, PASSPHRASE)


def test_a_temporary_staff_password_ends_the_targets_session(app, client, db):
    w = console.world(db)
    target = app.test_client()
    login_as(target, w.reviewer_b)
    assert target.get("/reviewer/people/").status_code == 200
    login_as(client, w.central)
    console.post(client, "/reviewer/staff/reset-password/", {"id": w.reviewer_b.id})
    assert target.get("/reviewer/people/").status_code == 302


def test_the_demo_passwords_pass_the_rule_for_every_demo_account(app, db):
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0  # staff are made by create_staff
    people = db.session.scalars(select(Person).where(Person.password_hash.is_not(None))).all()
    assert people
    for person in people:
        check_password_strength(DEMO_PASSWORD, accounts.personal_words(person))
    for staff in db.session.scalars(select(Staff)):
        check_password_strength(DEMO_STAFF_PASSWORD, staff_words(staff.username, staff.name))
