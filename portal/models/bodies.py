"""Registration bodies (注册机构) and employers (聘用单位)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .codes import BodyKind, Category, EmployerKind, enum_column

CENTRAL_BODY_CODE = "000000"


class Body(db.Model):
    """A registration body: provincial, department, filed central enterprise, or the central management center."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: GB/T 2260 code for a province (110000 …), 000000 for the center, our own codes for the others.
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind))
    province: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    #: for a department body, the 专业类别 it registers (住建部: 建筑施工安全 …)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(6))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    fax: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    sort_order: Mapped[int] = mapped_column(default=0)

    @property
    def is_central(self) -> bool:
        return self.kind is BodyKind.CENTRAL

    def __str__(self) -> str:
        return self.name


class Employer(db.Model):
    """An employer (聘用单位), identified by its 统一社会信用代码."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[EmployerKind | None] = mapped_column(enum_column(EmployerKind))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(6))
    contact_person: Mapped[str | None] = mapped_column(sa.String(50))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(50))

    def __str__(self) -> str:
        return self.name
