"""Console accounts at work: staff login and password, and what staff do to applicants' (and colleagues')
accounts — a temporary password for someone without email, and 解锁 (guide 七.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Person, Staff
from ..errors import DomainError, NotFound
from ..infrastructure.audit import record
from ..infrastructure.passwords import (
    WeakPasswordError,
    check_password_strength,
    generate_temporary_password,
    hash_password,
    staff_words,
    verify_password,
)
from ..notifications.events import mail_temporary_password
from ..review.queue import in_scope
from .applicants import personal_words, void_reset_links
from .logins import LoginPolicy, LoginRefused, check_password_login, log_out, unlock
from .sessions import end_session, is_live, start_session, unlocks_at

BAD_STAFF_CREDENTIALS = _l("用户名或密码不正确。")


def staff_login(username: str, password: str, now: datetime, policy: LoginPolicy, *, ip: str | None = None) -> Staff:
    """Log a staff member in (lock after repeated failures, one live session); raises LoginRefused.

    A disabled account is refused like a wrong password. Every refusal is audit-logged; the failure count is
    flushed, so the caller commits even when the login is refused.
    """
    username = (username or "").strip()[:50]
    found = db.session.scalar(select(Staff).where(Staff.username == username)) if username else None
    account = found if found is not None and found.active else None
    try:
        check_password_login(account, password or "", now, policy, bad_credentials=BAD_STAFF_CREDENTIALS)
    except LoginRefused as refused:
        record("staff.login_refused", f"控制台登录被拒绝：用户名 {username or '（空）'}（{refused.reason}）",
               target=found, body_id=found.body_id if found is not None else None,
               data={"username": username, "reason": refused.reason}, ip=ip)
        raise
    record("staff.login", f"{account.username} 登录控制台", staff=account, ip=ip)
    return account


def staff_logout(staff: Staff) -> None:
    """安全退出 from the console: the session ends now."""
    log_out(staff)
    record("staff.logout", f"{staff.username} 安全退出", staff=staff)


def change_own_password(staff: Staff, current: str, new: str, now: datetime) -> str:
    """A staff member changes their own password (required after a reset); returns the new session token.

    Every other session of the account ends: the token it holds is no longer the live one.
    """
    if not verify_password(staff.password_hash, current or ""):
        raise DomainError(_l("当前密码不正确。"), field="current")
    if verify_password(staff.password_hash, new or ""):
        raise DomainError(_l("新密码不能与当前密码相同。"), field="new")
    try:
        check_password_strength(new, staff_words(staff.username, staff.name))
    except WeakPasswordError as error:
        raise DomainError(_l(str(error)), field="new") from None
    staff.password_hash = hash_password(new)
    staff.must_change_password = False
    record("staff.password_change", f"{staff.username} 修改了自己的密码", staff=staff, target=staff)
    return start_session(staff, now)  # a new token: other sessions of this account end


@dataclass(frozen=True)
class LockState:
    """Why an account may currently be unable to log in."""

    locked_until: datetime | None  # failed-login lock
    session_until: datetime | None  # a live session (guide 七.4: 半小时后会自动解锁)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None or self.session_until is not None


def lock_state(account, now: datetime, policy: LoginPolicy) -> LockState:
    """The account's failed-login lock and live-session lock, as of ``now``."""
    locked_until = account.locked_until if account.locked_until and account.locked_until > now else None
    session_until = unlocks_at(account, policy.session) if is_live(account, now, policy.session) else None
    return LockState(locked_until, session_until)


def _check_applicant(person: Person, staff: Staff) -> None:
    if not in_scope(person, staff):
        raise NotFound(_l("人员不存在。"))


def reset_applicant_password(person: Person, staff: Staff, now: datetime) -> str:
    """A reviewer of the applicant's body sets a temporary password for an applicant without email.

    Returns the password, to be shown once; the applicant must change it at the next login. Any live session of
    the applicant ends, every 忘记密码 link stops working and the failed-login lock is released. Applicants with an
    email use 忘记密码 instead.
    """
    _check_applicant(person, staff)
    if person.email:
        raise DomainError(_l("该人员在注册信息中留存了邮箱，请其在首页点击“忘记密码”通过邮件自行重置密码。"))
    password = generate_temporary_password(personal_words(person))
    person.password_hash = hash_password(password)
    person.must_change_password = True
    person.password_changed_at = now
    void_reset_links(person, now)
    unlock(person)
    record("applicant.password_reset", f"为 {person.name}（{person.masked_id_number}）设置临时密码", staff=staff,
           target=person, body_id=person.body_id)
    mail_temporary_password(person, now)  # where to collect it (an email added since); never the password
    return password


def unlock_applicant(person: Person, staff: Staff, now: datetime, policy: LoginPolicy) -> LockState:
    """解锁: release an applicant's failed-login lock and live-session lock; returns the state before."""
    _check_applicant(person, staff)
    before = lock_state(person, now, policy)
    unlock(person)
    record("applicant.unlock", f"为 {person.name}（{person.masked_id_number}）解锁", staff=staff, target=person,
           body_id=person.body_id, data={"locked_until": _iso(before.locked_until),
                                         "session_until": _iso(before.session_until)})
    return before


def _check_colleague(target: Staff, staff: Staff) -> None:
    if not staff.is_central:
        raise NotFound(_l("账号不存在。"))


def reset_staff_password(target: Staff, staff: Staff, now: datetime) -> str:
    """Central staff set a temporary password for a console account; it must be changed at the next login.

    Any live session of the account ends and its failed-login lock is released.
    """
    _check_colleague(target, staff)
    if target.id == staff.id:
        raise DomainError(_l("不能为自己重置密码，请使用“修改密码”。"))
    password = generate_temporary_password(staff_words(target.username, target.name))
    target.password_hash = hash_password(password)
    target.must_change_password = True
    unlock(target)
    record("staff.password_reset", f"为工作人员 {target.username} 设置临时密码", staff=staff, target=target,
           body_id=target.body_id)
    return password


def unlock_staff(target: Staff, staff: Staff) -> None:
    """Central staff release a console account's locks."""
    _check_colleague(target, staff)
    unlock(target)
    record("staff.unlock", f"为工作人员 {target.username} 解锁", staff=staff, target=target, body_id=target.body_id)


def set_staff_active(target: Staff, staff: Staff, active: bool) -> None:
    """Central staff enable or disable a console account; disabling ends its session at once."""
    _check_colleague(target, staff)
    if target.id == staff.id and not active:
        raise DomainError(_l("不能停用自己的账号。"))
    if target.active == active:
        return
    target.active = active
    if not active:
        end_session(target)
    record("staff.enable" if active else "staff.disable",
           f"{'启用' if active else '停用'}工作人员账号 {target.username}", staff=staff, target=target,
           body_id=target.body_id)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
