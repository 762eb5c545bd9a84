"""Shared login rules: failed-login lock, live-session lock (guide 七.4), idle timeout (七.5), captcha challenges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.auth import load_user
from portal.clock import utcnow
from portal.services.accounts.logins import LoginPolicy, LoginRefused, check_password_login, log_out, unlock
from portal.services.accounts.sessions import SessionPolicy
from portal.services.infrastructure import passwords
from portal.services.infrastructure.challenges import consume_challenge, new_challenge
from tests.factories import PASSWORD, make_person

POLICY = LoginPolicy(max_failures=5, lock=timedelta(minutes=15), session=SessionPolicy(timedelta(minutes=30)))


def test_a_correct_password_opens_a_session(db):
    person = make_person()
    now = utcnow()
    token = check_password_login(person, PASSWORD, now, POLICY)
    assert person.session_token == token and person.last_seen_at == now


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(db):
    person = make_person()
    now = utcnow()
    for _ in range(4):  # the rule, not the tries left (which would tell that the account exists)
        with pytest.raises(LoginRefused, match="^证件号码或密码不正确。连续输错5次，账号将被锁定15分钟。$"):
            check_password_login(person, "wrong", now, POLICY)
    with pytest.raises(LoginRefused, match="账号已锁定") as refusal:
        check_password_login(person, "wrong", now, POLICY)
    assert refusal.value.until == now + timedelta(minutes=15)
    with pytest.raises(LoginRefused, match="账号已锁定"):
        check_password_login(person, PASSWORD, now + timedelta(minutes=14), POLICY)
    assert check_password_login(person, PASSWORD, now + timedelta(minutes=16), POLICY)
    assert person.failed_logins == 0 and person.locked_until is None


def test_a_second_login_is_refused_while_the_first_session_is_live(db):
    person = make_person()
    now = utcnow()
    check_password_login(person, PASSWORD, now, POLICY)
    with pytest.raises(LoginRefused) as refusal:
        check_password_login(person, PASSWORD, now + timedelta(minutes=10), POLICY)
    assert refusal.value.reason == "live_session"
    assert refusal.value.until == now + timedelta(minutes=30)
    assert check_password_login(person, PASSWORD, now + timedelta(minutes=31), POLICY)


def test_logout_and_unlock_release_the_session_lock(db):
    person = make_person()
    now = utcnow()
    check_password_login(person, PASSWORD, now, POLICY)
    log_out(person)
    check_password_login(person, PASSWORD, now, POLICY)
    person.locked_until = now + timedelta(minutes=10)
    unlock(person)
    assert person.session_token is None and person.locked_until is None
    assert check_password_login(person, PASSWORD, now, POLICY)


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(db):
    with pytest.raises(LoginRefused, match="证件号码或密码不正确") as refusal:
        check_password_login(None, PASSWORD, utcnow(), POLICY)
    assert refusal.value.reason == "bad_credentials"


def test_old_hash_parameters_are_upgraded_at_login(db):
    person = make_person()
    passwords.configure_hasher(time_cost=1, memory_cost=16, parallelism=1)
    try:
        check_password_login(person, PASSWORD, utcnow(), POLICY)
        assert "m=16," in person.password_hash
    finally:
        passwords.configure_hasher(time_cost=1, memory_cost=8, parallelism=1)


def test_an_idle_session_is_ended_by_the_user_loader(app, db):
    person = make_person()
    token = check_password_login(person, PASSWORD, utcnow() - timedelta(minutes=31), POLICY)
    db.session.commit()
    with app.app_context():
        assert load_user(f"p:{person.id}:{token}") is None
    db.session.expire_all()
    assert person.session_token is None


def test_a_stale_token_is_refused_by_the_user_loader(app, db):
    person = make_person()
    check_password_login(person, PASSWORD, utcnow(), POLICY)
    db.session.commit()
    with app.app_context():
        assert load_user(f"p:{person.id}:not-the-token") is None
        assert load_user("garbage") is None
        assert load_user(f"p:{person.id}:{person.session_token}").id == person.id


def test_a_captcha_challenge_answers_once(db):
    now = utcnow()
    challenge_id, text = new_challenge("secret", now, timedelta(minutes=5))
    db.session.commit()  # the image request ends before the form is submitted
    assert consume_challenge(challenge_id, text.lower(), "secret", now)
    assert not consume_challenge(challenge_id, text, "secret", now)


def test_a_challenge_stays_spent_when_the_request_rolls_back(db):
    now = utcnow()
    challenge_id, text = new_challenge("secret", now, timedelta(minutes=5))
    db.session.commit()
    assert not consume_challenge(challenge_id, "wrong", "secret", now)
    db.session.rollback()
    assert not consume_challenge(challenge_id, text, "secret", now)


def test_a_wrong_or_expired_captcha_answer_is_refused_and_spent(db):
    now = utcnow()
    challenge_id, text = new_challenge("secret", now, timedelta(minutes=5))
    late_id, late_text = new_challenge("secret", now, timedelta(minutes=5))
    db.session.commit()
    assert not consume_challenge(challenge_id, "XXXX" if text != "XXXX" else "YYYY", "secret", now)
    assert not consume_challenge(challenge_id, text, "secret", now)
    assert not consume_challenge(late_id, late_text, "secret", now + timedelta(minutes=6))
