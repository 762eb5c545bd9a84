"""Password login rules shared by applicants and staff (both accounts have the same security columns).

Order of checks: password, failed-login lock (5 wrong passwords → 15 minutes), live session elsewhere (guide
七.4: refused until it lapses). The caller has found the account (or not) and checked the captcha.

Whether an account exists must not show: an unknown account, one without a password and a wrong password get the
same message (the rule, not the tries left, which only a real account has) after the same argon2 work. Only a lock
tells, after five failures on a real account. The failure count and the lock change in one UPDATE each, which
holds the account's row until the request commits, so parallel attempts cannot slip past the lock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_datetime
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import AuditLog
from ..errors import DomainError
from ..infrastructure.audit import record
from ..infrastructure.passwords import hash_password, needs_rehash, verify_password
from .sessions import SessionPolicy, end_session, is_live, start_session, token_fingerprint, unlocks_at

#: the audit action of 「结束其他登录并继续」
TAKE_OVER = "account.session_taken_over"


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
    """Wrong credentials, a lock, or a live session; ``reason`` is one of bad_credentials, locked, live_session.

    ``newly_locked``: this attempt was the one that locked the account (exactly one per lock).
    """

    def __init__(self, message, reason: str, until: datetime | None = None, *, newly_locked: bool = False):
        super().__init__(message)
        self.reason = reason
        self.until = until
        self.newly_locked = newly_locked


BAD_CREDENTIALS = _l("证件号码或密码不正确。")

#: argon2 hash of a random password, made with the current hasher's parameters: an account that does not exist (or
#: has no password) is checked against it, so it costs what a real check costs
_dummy_hash: str | None = None


def _when(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _dummy_password_hash() -> str:
    """The dummy hash, made at first use and again whenever the hasher's parameters change (tests make it cheap)."""
    global _dummy_hash  # one per process; two threads making it at once is harmless
    if _dummy_hash is None or needs_rehash(_dummy_hash):
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def _wrong_message(bad_credentials, policy: LoginPolicy):
    """The one answer for an unknown account, one without a password and a wrong password: the rule, not the tries
    left (a count only a real account has would tell that it exists)."""
    return _l("%(message)s连续输错%(count)d次，账号将被锁定%(minutes)d分钟。", message=bad_credentials,
              count=policy.max_failures, minutes=int(policy.lock.total_seconds() // 60))


def _locked(until: datetime, policy: LoginPolicy, *, newly_locked: bool = False) -> LoginRefused:
    return LoginRefused(_l("密码连续输错%(count)d次，账号已锁定，请于 %(time)s 后再试。",
                           count=policy.max_failures, time=_when(until)), "locked", until, newly_locked=newly_locked)


def check_password_login(account, password: str, now: datetime, policy: LoginPolicy, *,
                         bad_credentials=BAD_CREDENTIALS) -> str:
    """Log ``account`` (None when not found) in with ``password``; returns the new session token.

    Raises LoginRefused. Every attempt verifies one argon2 hash. A wrong password counts towards the lock (also
    while locked; the lock is not extended); the message states the rule, and when locked, until when. Flushes;
    the caller commits even when refused (so the count is kept).
    """
    known = account is not None and bool(account.password_hash)
    correct = verify_password(account.password_hash if known else _dummy_password_hash(), password)
    if not known:
        raise LoginRefused(_wrong_message(bad_credentials, policy), "bad_credentials")
    if not correct:
        failures, locked_until = _count_failure(account, now, policy)
        if locked_until is not None and locked_until > now:
            raise _locked(locked_until, policy, newly_locked=failures == policy.max_failures)
        raise LoginRefused(_wrong_message(bad_credentials, policy), "bad_credentials")
    locked_until = _clear_failures(account, now)
    if locked_until is not None:
        raise _locked(locked_until, policy)
    if is_live(account, now, policy.session):
        until = unlocks_at(account, policy.session)
        raise LoginRefused(_l("该账号已在其他地方登录，或上次未点击“安全退出”就关闭了浏览器。"
                              "账号将于 %(time)s 自动解锁；也可联系所属注册机构解锁。", time=_when(until)),
                           "live_session", until)
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return start_session(account, now)


def _count_failure(account, now: datetime, policy: LoginPolicy) -> tuple[int, datetime | None]:
    """Count a wrong password in one UPDATE … RETURNING, so that parallel requests each get their own count.

    A lapsed lock starts the count again at 1; the attempt that reaches the limit locks the account; attempts
    while locked are counted but keep the lock's end. Returns (failures, locked_until) as stored now.
    """
    model = type(account)
    lapsed = model.locked_until <= now
    failures = case((lapsed, 1), else_=func.coalesce(model.failed_logins, 0) + 1)
    locked_until = case((model.locked_until > now, model.locked_until),
                        (failures >= policy.max_failures, literal(now + policy.lock, model.locked_until.type)),
                        else_=None)
    return _update_login_columns(account, update(model).values(failed_logins=failures, locked_until=locked_until)
                                 .returning(model.failed_logins, model.locked_until))


def _clear_failures(account, now: datetime) -> datetime | None:
    """The right password: clear the failure count unless the account is locked, decided in the same UPDATE (which
    waits for a parallel request that is counting the last failure); the live-session columns are read back with
    it, under the same row lock. Returns the lock's end, or None."""
    model = type(account)
    locked = model.locked_until > now
    _failures, locked_until, _token, _seen = _update_login_columns(account, update(model).values(
        failed_logins=case((locked, model.failed_logins), else_=0),
        locked_until=case((locked, model.locked_until), else_=None),
    ).returning(model.failed_logins, model.locked_until, model.session_token, model.last_seen_at))
    return locked_until


def _update_login_columns(account, statement) -> tuple:
    """Run an UPDATE … RETURNING of login columns on the account's row; the account object takes the stored values
    (as loaded, not as changes of its own, which a later flush would write back over a parallel request's)."""
    row = db.session.execute(statement.where(type(account).id == account.id)
                             .execution_options(synchronize_session=False)).one()
    for column, value in zip(row._fields, row, strict=True):
        set_committed_value(account, column, value)
    return tuple(row)


def take_over_session(person, now: datetime, *, ip: str | None = None) -> str:
    """「结束其他登录并继续」: the password and captcha were right but another session is live; end it, log it, and
    open a new one (returns its token). The ended session's fingerprint goes into the audit row, so that its
    browser is told on its next request that it was ended by a login elsewhere (``was_taken_over``)."""
    ended = token_fingerprint(person.session_token) if person.session_token else None
    record(TAKE_OVER, f"{person.name}（{person.masked_id_number}）结束其他登录并继续", person=person, target=person,
           body_id=person.body_id, data={"ended": ended}, ip=ip)
    return start_session(person, now)


def was_taken_over(person, token: str) -> bool:
    """Whether the session ``token`` was the one the latest 「结束其他登录并继续」 of ``person`` ended."""
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == TAKE_OVER, AuditLog.target_type == "Person",
                                                   AuditLog.target_id == person.id)
                            .order_by(AuditLog.id.desc()).limit(1))
    return row is not None and (row.data or {}).get("ended") == token_fingerprint(token)


def log_out(account) -> None:
    """安全退出: the session ends now, so the next login is not refused."""
    end_session(account)


def unlock(account) -> None:
    """解锁 (reviewer): release both the failed-login lock and a live-session lock."""
    account.failed_logins = 0
    account.locked_until = None
    end_session(account)
