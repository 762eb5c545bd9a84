"""Applicants (注册人员) and the exam records that identify exam passers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..validators import mask_id_number
from .base import TimestampMixin, UTCDateTime
from .codes import Category, EmployerKind, IdType, enum_column


class Person(TimestampMixin, db.Model):
    """A person who may log in on the applicant side: an exam passer or a certificate holder."""

    __tablename__ = "people"
    __table_args__ = (
        sa.UniqueConstraint("id_type", "id_number", name="uq_people_id_type_id_number"),
        # A reviewer's list of the body's people, by name; it also serves every lookup by body alone.
        sa.Index("ix_people_body_id_name", "body_id", "name"),
        # Console search is by prefix (姓名 or 证件号码 as typed from the start): LIKE 'term%' uses these on PostgreSQL.
        # The 证件号码 one also serves equality (no plain index beside it: a million-row import maintains every
        # index of this table).
        sa.Index("ix_people_name_prefix", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        sa.Index("ix_people_id_number_prefix", "id_number", postgresql_ops={"id_number": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), index=True)
    gender: Mapped[str | None] = mapped_column(sa.String(2))  # 男 / 女
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    id_type: Mapped[IdType] = mapped_column(enum_column(IdType))
    #: normalised (upper-case X); a first-generation 15-digit number until the person upgrades it
    id_number: Mapped[str] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    #: 注册类别 / 专业类别; missing → first-login completion (guide 四)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    #: 单位属性; missing → first-login completion (guide 四)
    employer_kind: Mapped[EmployerKind | None] = mapped_column(enum_column(EmployerKind))
    #: the registration body in charge of this person (jurisdiction of its reviewers)
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bodies.id"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    education: Mapped[str | None] = mapped_column(sa.String(20))  # 学历
    major: Mapped[str | None] = mapped_column(sa.String(50))  # 所学专业
    title: Mapped[str | None] = mapped_column(sa.String(50))  # 技术职称
    address: Mapped[str | None] = mapped_column(sa.String(200))  # 通讯地址
    postcode: Mapped[str | None] = mapped_column(sa.String(6))

    # Account
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: set by a reviewer's reset: the temporary password must be changed before anything else
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # failed-login lock
    #: random token of the one live session; part of the Flask-Login id, rotated at login/logout
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    #: last request of the live session (updated about once a minute); a new login is refused while recent
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    body = relationship("Body", lazy="joined")
    employer = relationship("Employer")
    certificates = relationship("Certificate", back_populates="person", order_by="Certificate.valid_until.desc()")
    continuing_education = relationship("ContinuingEducation", back_populates="person",
                                        order_by="ContinuingEducation.start_date")
    work_history = relationship("WorkHistory", back_populates="person", order_by="WorkHistory.start_date")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def has_first_generation_id(self) -> bool:
        return self.id_type is IdType.RESIDENT_ID and len(self.id_number) == 15

    @property
    def profile_incomplete(self) -> bool:
        """Guide 四: 注册类别 or 单位属性 missing."""
        return self.category is None or self.employer_kind is None

    @property
    def current_certificate(self):
        return self.certificates[0] if self.certificates else None

    # Flask-Login
    is_active = True
    is_anonymous = False
    is_authenticated = True
    is_staff = False

    def get_id(self) -> str:
        return f"p:{self.id}:{self.session_token}"

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_number}）"


class ExamRecord(db.Model):
    """A pass of the national exam; identifies an exam passer without a certificate (guide 七.1)."""

    __tablename__ = "exam_records"
    __table_args__ = (sa.Index("ix_exam_records_id_type_id_number", "id_type", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    id_type: Mapped[IdType] = mapped_column(enum_column(IdType))
    id_number: Mapped[str] = mapped_column(sa.String(32))
    exam_year: Mapped[int]
    #: 资格证书编号
    qualification_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    #: the day the 资格证书 was issued; unknown for most imports (then taken as 1 January after ``exam_year``)
    qualified_on: Mapped[date | None] = mapped_column(sa.Date)
