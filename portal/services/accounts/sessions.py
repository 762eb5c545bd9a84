"""One live session per account (guide 七.4, 七.5), kept on the account so it holds across worker processes.

A session is live while the account has a session token and its last activity is more recent than the idle
timeout. Logging in rotates the token; 安全退出, a password change or a reviewer's 解锁 clears it.
「结束其他登录并继续」 (take_over_session) rotates it too, after the password was right: the other browser's next
request finds its token replaced and is told why (``ended_because``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

#: last_seen_at is written at most this often, not on every request (less for a timeout of a few minutes)
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: timedelta
    #: how long before the idle logout the page warns (「即将因长时间未操作自动退出」, with 继续)
    warning: timedelta = timedelta(minutes=5)

    @classmethod
    def from_config(cls, config) -> SessionPolicy:
        """The policy of the settings ``IDLE_TIMEOUT_MINUTES`` and ``IDLE_WARNING_MINUTES``, made once per pair of
        values (a logged-in page asks three times)."""
        return _policy(config["IDLE_TIMEOUT_MINUTES"], config.get("IDLE_WARNING_MINUTES", 5))

    @property
    def touch_interval(self) -> timedelta:
        return min(TOUCH_INTERVAL, self.idle_timeout / 10)


@lru_cache(maxsize=16)
def _policy(timeout_minutes: float, warning_minutes: float) -> SessionPolicy:
    timeout = timedelta(minutes=timeout_minutes)
    return SessionPolicy(idle_timeout=timeout, warning=min(timedelta(minutes=warning_minutes), timeout / 2))


def token_fingerprint(token: str) -> str:
    """A short digest of a session token, to name an ended session in the audit log without the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


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


def remaining(account, now: datetime, policy: SessionPolicy) -> timedelta:
    """How long the live session lasts without further activity (what the page's idle warning counts down)."""
    if not account.last_seen_at:
        return timedelta(0)
    return max(timedelta(0), account.last_seen_at + policy.idle_timeout - now)


def keep_alive(account, now: datetime) -> None:
    """继续 in the idle warning: activity now, whatever the touch interval."""
    account.last_seen_at = now


def ended_because(account, token: str, now: datetime, policy: SessionPolicy) -> str | None:
    """Why a request's session is no longer live: ``idle`` (the timeout passed), ``replaced`` (the account's token
    changed: another login, 安全退出 elsewhere, 解锁), ``ended`` (no session any more); None while it is live."""
    if not account.session_token:  # ended by the idle timeout (last activity kept), or by 安全退出 / 解锁
        idle = account.last_seen_at is not None and now - account.last_seen_at >= policy.idle_timeout
        return "idle" if idle else "ended"
    if not secrets.compare_digest(account.session_token, token):
        return "replaced"
    if not is_live(account, now, policy):
        return "idle"
    return None


def end_session(account) -> None:
    """安全退出 / 解锁 / password change: the account has no live session any more."""
    account.session_token = None
    account.last_seen_at = None


def resume_session(account, token: str, now: datetime, policy: SessionPolicy, *, activity: bool = True) -> bool:
    """Check a request's session token; end the session when it has been idle too long; note the activity
    (unless the request is not the person's doing: ``activity=False``, the idle warning's own logout)."""
    if not account.session_token or not secrets.compare_digest(account.session_token, token):
        return False
    if not is_live(account, now, policy):
        account.session_token = None  # last_seen_at stays: a later request of the same session still reads "idle"
        return False
    if activity and now - account.last_seen_at >= policy.touch_interval:
        account.last_seen_at = now
    return True
