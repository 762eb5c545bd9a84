"""One live session per account (guide 七.4, 七.5), kept on the account so it holds across worker processes.

A session is live while the account has a session token and its last activity is more recent than the idle
timeout. Logging in rotates the token; 安全退出, a password change or a reviewer's 解锁 clears it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

#: last_seen_at is written at most this often, not on every request
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: timedelta

    @classmethod
    def from_config(cls, config) -> SessionPolicy:
        return cls(idle_timeout=timedelta(minutes=config["IDLE_TIMEOUT_MINUTES"]))


def is_live(account, now: datetime, policy: SessionPolicy) -> bool:
    """Whether the account has a session that has not been idle past the timeout."""
    return bool(account.session_token and account.last_seen_at and now - account.last_seen_at < policy.idle_timeout)


def unlocks_at(account, policy: SessionPolicy) -> datetime | None:
    """When a live session lapses by itself (shown when a second login is refused)."""
    if not account.last_seen_at:
        return None
    return account.last_seen_at + policy.idle_timeout


def start_session(account, now: datetime) -> str:
    """Open a new session: a fresh token, activity now. The caller has checked that none is live."""
    account.session_token = secrets.token_urlsafe(32)
    account.last_seen_at = now
    return account.session_token


def end_session(account) -> None:
    """安全退出 / 解锁 / password change: the account has no live session any more."""
    account.session_token = None
    account.last_seen_at = None


def resume_session(account, token: str, now: datetime, policy: SessionPolicy) -> bool:
    """Check a request's session token; end the session when it has been idle too long; note the activity."""
    if not account.session_token or not secrets.compare_digest(account.session_token, token):
        return False
    if not is_live(account, now, policy):
        end_session(account)
        return False
    if now - account.last_seen_at >= TOUCH_INTERVAL:
        account.last_seen_at = now
    return True
