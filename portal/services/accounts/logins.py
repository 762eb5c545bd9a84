"""Password login rules shared by applicants and staff (both accounts have the same security columns).

Order of checks: failed-login lock (5 wrong passwords → 15 minutes), password, live session elsewhere (guide
七.4: refused until it lapses). The caller has found the account (or not) and checked the captcha.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..infrastructure.passwords import hash_password, needs_rehash, verify_password
from .sessions import SessionPolicy, end_session, is_live, start_session, unlocks_at


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock: timedelta
    session: SessionPolicy

    @classmethod
    def from_config(cls, config) -> LoginPolicy:
        return cls(max_failures=config["LOGIN_MAX_FAILURES"], lock=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
                   session=SessionPolicy.from_config(config))


class LoginRefused(DomainError):
    """Wrong credentials, a lock, or a live session; ``reason`` is one of bad_credentials, locked, live_session."""

    def __init__(self, message, reason: str, until: datetime | None = None):
        super().__init__(message)
        self.reason = reason
        self.until = until


BAD_CREDENTIALS = _l("证件号码或密码不正确。")


def _when(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def check_password_login(account, password: str, now: datetime, policy: LoginPolicy, *,
                         bad_credentials=BAD_CREDENTIALS) -> str:
    """Log ``account`` (None when not found) in with ``password``; returns the new session token.

    Raises LoginRefused. A wrong password counts towards the lock; the message says how many tries are left,
    and when locked, until when. Flushes; the caller commits even when refused (so the count is kept).
    """
    if account is None or not account.password_hash:
        verify_password(None, password)  # spend the same time as a real check
        raise LoginRefused(bad_credentials, "bad_credentials")
    if account.locked_until and account.locked_until > now:
        raise LoginRefused(_l("密码连续输错%(count)d次，账号已锁定，请于 %(time)s 后再试。",
                              count=policy.max_failures, time=_when(account.locked_until)),
                           "locked", account.locked_until)
    if not verify_password(account.password_hash, password):
        account.failed_logins = (account.failed_logins or 0) + 1
        if account.failed_logins >= policy.max_failures:
            account.locked_until = now + policy.lock
            account.failed_logins = 0
            raise LoginRefused(_l("密码连续输错%(count)d次，账号已锁定，请于 %(time)s 后再试。",
                                  count=policy.max_failures, time=_when(account.locked_until)),
                               "locked", account.locked_until)
        left = policy.max_failures - account.failed_logins
        raise LoginRefused(_l("%(message)s再输错%(left)d次，账号将被锁定%(minutes)d分钟。", message=bad_credentials,
                              left=left, minutes=int(policy.lock.total_seconds() // 60)), "bad_credentials")
    if is_live(account, now, policy.session):
        until = unlocks_at(account, policy.session)
        raise LoginRefused(_l("该账号已在其他地方登录，或上次未点击“安全退出”就关闭了浏览器。"
                              "账号将于 %(time)s 自动解锁；也可联系所属注册机构解锁。", time=_when(until)),
                           "live_session", until)
    account.failed_logins = 0
    account.locked_until = None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return start_session(account, now)


def log_out(account) -> None:
    """安全退出: the session ends now, so the next login is not refused."""
    end_session(account)


def unlock(account) -> None:
    """解锁 (reviewer): release both the failed-login lock and a live-session lock."""
    account.failed_logins = 0
    account.locked_until = None
    end_session(account)
