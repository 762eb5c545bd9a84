"""Abuse of the login: the captcha (server-side, single use) and the rate limit per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.models import CaptchaChallenge
from portal.services.infrastructure.captcha import answer_digest
from tests.accounts_helpers import login, post_form, text
from tests.factories import PASSWORD

SECRET = "test-secret-key-not-for-production"
CAPTCHA_ON = {"CAPTCHA_ENABLED": True}


def give_challenge(client, db, challenge_id: str, answer: str = "AB3K", *, expires_in: int = 300) -> None:
    """As if the captcha image of ``answer`` had just been shown to this browser."""
    db.session.add(CaptchaChallenge(id=challenge_id, answer_digest=answer_digest(answer, SECRET),
                                    expires_at=utcnow() + timedelta(seconds=expires_in)))
    db.session.commit()
    with client.session_transaction() as session:
        session["captcha_id"] = challenge_id


def challenges(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CaptchaChallenge))


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_login_with_the_right_captcha_works(client, db, applicant):
    give_challenge(client, db, "c-right")
    assert "验证码" in text(client.get("/"))
    response = login(client, applicant.id_number, captcha="ab3k")
    assert response.headers["Location"] == "/applicant/"
    assert challenges(db) == 0


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_wrong_or_missing_captcha_is_refused_before_the_password_is_checked(client, db, applicant):
    give_challenge(client, db, "c-wrong")
    page = text(login(client, applicant.id_number, captcha="ZZZZ"))
    assert "验证码不正确或已过期，请重新输入。" in page
    give_challenge(client, db, "c-missing")
    assert "请输入验证码。" in text(login(client, applicant.id_number, captcha=""))
    db.session.refresh(applicant)
    assert applicant.session_token is None and applicant.failed_logins == 0


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_a_challenge_is_answerable_once(client, db, applicant):
    give_challenge(client, db, "c-once")
    assert "验证码不正确" in text(login(client, applicant.id_number, captcha="ZZZZ"))
    assert challenges(db) == 0  # used up by the wrong answer, and that was committed
    with client.session_transaction() as session:
        session["captcha_id"] = "c-once"  # replay the old challenge with the right answer
    assert "验证码不正确" in text(login(client, applicant.id_number, captcha="AB3K"))
    db.session.refresh(applicant)
    assert applicant.session_token is None


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_an_expired_challenge_is_refused(client, db, applicant):
    give_challenge(client, db, "c-old", expires_in=-1)
    assert "验证码不正确或已过期" in text(login(client, applicant.id_number, captcha="AB3K"))


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_the_captcha_image_is_a_fresh_png_each_time(client, db):
    first = client.get("/captcha.png")
    assert first.mimetype == "image/png" and first.data.startswith(b"\x89PNG")
    assert first.headers["Cache-Control"] == "no-store"
    client.get("/captcha.png")
    assert challenges(db) == 2
    with client.session_transaction() as session:
        latest = session["captcha_id"]
    assert db.session.get(CaptchaChallenge, latest) is not None


@pytest.mark.parametrize("app_config", [CAPTCHA_ON])
def test_set_password_and_forgot_password_check_the_captcha_too(client, db, applicant):
    give_challenge(client, db, "c-set")
    page = text(post_form(client, "/applicant/set-password", {
        "kind": "holder", "name": "王建国", "id_type": "resident_id", "id_number": applicant.id_number,
        "captcha": "ZZZZ"}))
    assert "验证码不正确或已过期" in page
    give_challenge(client, db, "c-forgot")
    page = text(post_form(client, "/applicant/forgot-password", {
        "name": "王建国", "id_type": "resident_id", "id_number": applicant.id_number,
        "email": "wang@example.com", "captcha": "ZZZZ"}))
    assert "验证码不正确或已过期" in page


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_repeated_login_attempts_from_one_address_get_the_chinese_429_page(client, db, applicant):
    for _ in range(3):
        assert login(client, applicant.id_number, "Wrong2026x").status_code == 200
    response = login(client, applicant.id_number, PASSWORD)
    assert response.status_code == 429
    page = text(response)
    assert "操作过于频繁" in page and "请稍后再试" in page
    assert "Traceback" not in page
    db.session.refresh(applicant)
    assert applicant.failed_logins == 3 and applicant.session_token is None
    assert client.get("/").status_code == 200  # reading pages is not limited
