"""Console accounts."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Body, Staff, StaffRole
from ...models.bodies import CENTRAL_BODY_CODE
from ..errors import DomainError
from ..infrastructure.audit import record
from ..infrastructure.passwords import WeakPasswordError, check_password_strength, hash_password, staff_words


def create_staff(username: str, role: StaffRole, password: str, *, body_code: str | None = None,
                 name: str | None = None, actor: Staff | None = None) -> Staff:
    """Create a reviewer of one body, or a central staff member (whose body is the center)."""
    username = username.strip()
    if not username or len(username) > 50:
        raise DomainError(_l("用户名应为1至50个字符。"), field="username")
    if db.session.scalar(select(Staff.id).where(Staff.username == username)):
        raise DomainError(_l("用户名已存在。"), field="username")
    if role is StaffRole.CENTRAL:
        body_code = body_code or CENTRAL_BODY_CODE
    if not body_code:
        raise DomainError(_l("审核人员必须指定所属注册机构。"), field="body")
    body = db.session.scalar(select(Body).where(Body.code == body_code))
    if body is None:
        raise DomainError(_l("注册机构代码不存在：%(code)s", code=body_code), field="body")
    if (role is StaffRole.CENTRAL) != body.is_central:
        raise DomainError(_l("注册管理中心人员只能属于注册管理中心，审核人员不能属于注册管理中心。"), field="body")
    try:
        check_password_strength(password, staff_words(username, name or username))
    except WeakPasswordError as error:
        raise DomainError(_l(str(error)), field="password") from error
    staff = Staff(username=username, name=name or username, role=role, body_id=body.id,
                  password_hash=hash_password(password))
    db.session.add(staff)
    db.session.flush()
    record("staff.create", f"创建工作人员账号 {username}（{role.label}，{body.name}）", staff=actor, target=staff,
           body_id=body.id)
    return staff
