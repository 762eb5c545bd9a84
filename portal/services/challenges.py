"""Captcha challenges kept server-side (a table, so every worker sees them), each answerable once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from ..extensions import db
from ..models import CaptchaChallenge
from .captcha import answer_digest, answers_match, new_captcha_text


def new_challenge(secret: str, now: datetime, ttl: timedelta) -> tuple[str, str]:
    """Create a challenge; returns its id (kept in the user's session) and the text to draw."""
    db.session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < now))
    text = new_captcha_text()
    challenge = CaptchaChallenge(id=secrets.token_urlsafe(16), answer_digest=answer_digest(text, secret),
                                 expires_at=now + ttl)
    db.session.add(challenge)
    db.session.flush()
    return challenge.id, text


def consume_challenge(challenge_id: str | None, answer: str | None, secret: str, now: datetime) -> bool:
    """Check an answer and delete the challenge whatever the outcome (single use)."""
    if not challenge_id:
        return False
    challenge = db.session.get(CaptchaChallenge, challenge_id)
    if challenge is None:
        return False
    db.session.delete(challenge)
    db.session.flush()
    return challenge.expires_at >= now and answers_match(answer, challenge.answer_digest, secret)
