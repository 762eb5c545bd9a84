"""Captcha challenges kept server-side (a table, so every worker sees them), each answerable once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from ...extensions import db
from ...models import CaptchaChallenge
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
    """Check an answer; the challenge is deleted whatever the outcome (single use).

    The delete runs in its own transaction, so a challenge stays spent even when the request's transaction is
    rolled back afterwards, and two concurrent requests cannot both use it (DELETE … RETURNING answers once).
    """
    if not challenge_id:
        return False
    table = CaptchaChallenge.__table__
    with db.engine.begin() as connection:
        spent = connection.execute(
            delete(table).where(table.c.id == challenge_id).returning(table.c.answer_digest, table.c.expires_at)
        ).first()
    if spent is None:
        return False
    return spent.expires_at >= now and answers_match(answer, spent.answer_digest, secret)
