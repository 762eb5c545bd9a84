"""Registration applications, their wizard drafts, transitions, and the person's CE and work records."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import TimestampMixin, UTCDateTime
from .codes import enum_column
from .workflow import OPEN_STATUSES, ApplicationStatus, status_in_sql

#: ApplicationKind's labels, made once (not on every ``label``; issue 10)
_APPLICATION_KIND_LABELS = {
    "initial": _l("初始注册"),
    "late_initial": _l("逾期初始注册"),
    "renewal": _l("延续注册"),
    "change": _l("变更注册"),
    "reregistration": _l("重新注册"),
    "cancellation": _l("注销注册"),
}


class ApplicationKind(enum.StrEnum):
    """申请类型. What each kind asks, checks and does is in ``portal.services.registration.kinds``."""

    INITIAL = "initial"
    LATE_INITIAL = "late_initial"
    RENEWAL = "renewal"
    CHANGE = "change"
    REREGISTRATION = "reregistration"
    CANCELLATION = "cancellation"

    @property
    def label(self):
        return _APPLICATION_KIND_LABELS[self.value]

    @property
    def text(self) -> str:
        """The Chinese label, for snapshots, notices' parameters and audit summaries (stored, not translated)."""
        return {"initial": "初始注册", "late_initial": "逾期初始注册", "renewal": "延续注册", "change": "变更注册",
                "reregistration": "重新注册", "cancellation": "注销注册"}[self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]


# A registration body's 注销 filed for a person (``filed_by_id``) stands beside the person's own open application.
_OPEN_SQL = sa.text(f"{status_in_sql(OPEN_STATUSES).text} AND filed_by_id IS NULL")
_FILED_OPEN_SQL = sa.text(f"{status_in_sql(OPEN_STATUSES).text} AND filed_by_id IS NOT NULL")
_SUBMITTED_SQL = sa.text("submitted_at IS NOT NULL")


class Application(TimestampMixin, db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # One open application per person, enforced by the database (double submit, two tabs).
        sa.Index(
            "uq_applications_open_person",
            "person_id",
            unique=True,
            postgresql_where=_OPEN_SQL,
            sqlite_where=_OPEN_SQL,
        ),
        # At most one pending 注销 filed by a body per person.
        sa.Index(
            "uq_applications_filed_open_person",
            "person_id",
            unique=True,
            postgresql_where=_FILED_OPEN_SQL,
            sqlite_where=_FILED_OPEN_SQL,
        ),
        sa.Index("ix_applications_kind_status", "kind", "status"),
        # A body's review queue: by status, newest submissions first.
        sa.Index("ix_applications_body_id_status_submitted_at", "body_id", "status", "submitted_at"),
        sa.Index("ix_applications_status_submitted_at", "status", "submitted_at"),
        sa.Index("ix_applications_number_prefix", "number", postgresql_ops={"number": "varchar_pattern_ops"}),
        # The console's lists without a status filter, oldest 上报 first (then id): all submitted applications, and
        # a body's. Partial (drafts have no submitted_at), so "order by 上报时间" reads the index instead of sorting.
        sa.Index("ix_applications_submitted_at_id", "submitted_at", "id",
                 postgresql_where=_SUBMITTED_SQL, sqlite_where=_SUBMITTED_SQL),
        sa.Index("ix_applications_body_id_submitted_at_id", "body_id", "submitted_at", "id",
                 postgresql_where=_SUBMITTED_SQL, sqlite_where=_SUBMITTED_SQL),
        # The 审批 queue: 初审通过, oldest decision first (queue.oldest_first)
        sa.Index("ix_applications_status_decided_at_id", "status", "decided_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 申请编号, assigned at 上报
    number: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: the certificate being renewed / changed
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    kind: Mapped[ApplicationKind] = mapped_column(enum_column(ApplicationKind))
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), default=ApplicationStatus.DRAFT)
    #: the registration body that runs 初审 (chosen in the employer step)
    body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bodies.id"))
    #: wizard drafts, one key per step ("personal", "employer", ...), plus "completed": [step names]
    draft: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: everything the form shows, frozen at 上报; never changed afterwards
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the reason of the latest 退回 / 不通过 / 不予注册, shown to the applicant
    last_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: optimistic lock: two reviewers deciding at once — the second UPDATE matches no row
    version: Mapped[int] = mapped_column(default=1)
    #: 认领: the staff member working on it (「由XX处理中」); set and cleared by statements that leave ``version``
    #: alone, and cleared by every transition
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: 初始注册: the exam pass it rests on
    exam_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_records.id"), index=True)
    #: a 注销 filed by a registration body (death and the other grounds): the reviewer who filed it
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    #: 「纸质材料已收到」: the body holds the signed and stamped paper form (instead of an uploaded scan)
    paper_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paper_received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))

    person = relationship("Person")
    certificate = relationship("Certificate")
    body = relationship("Body")
    claimed_by = relationship("Staff", foreign_keys=[claimed_by_id])
    filed_by = relationship("Staff", foreign_keys=[filed_by_id])
    paper_received_by = relationship("Staff", foreign_keys=[paper_received_by_id])
    exam_record = relationship("ExamRecord")
    materials = relationship("ApplicationMaterial", back_populates="application",
                             order_by="(ApplicationMaterial.item, ApplicationMaterial.position, "
                                      "ApplicationMaterial.id)",
                             cascade="all, delete-orphan", passive_deletes=True)
    events = relationship("ApplicationEvent", back_populates="application", order_by="ApplicationEvent.id")

    __mapper_args__ = {"version_id_col": version}


class ApplicationEvent(db.Model):
    """A state transition of an application; review decisions are the events with a staff actor."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    #: submit, resubmit, withdraw, initial_pass, return, initial_reject, approve, refuse
    action: Mapped[str] = mapped_column(sa.String(30))
    from_status: Mapped[ApplicationStatus | None] = mapped_column(enum_column(ApplicationStatus))
    to_status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application = relationship("Application", back_populates="events")
    staff = relationship("Staff")


class ContinuingEducation(TimestampMixin, db.Model):
    """A continuing-education entry (继续教育); the renewal counts those inside the current period."""

    __tablename__ = "continuing_education"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(sa.String(100))
    organiser: Mapped[str] = mapped_column(sa.String(100))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    hours: Mapped[int]  # 学时

    person = relationship("Person", back_populates="continuing_education")


class WorkHistory(TimestampMixin, db.Model):
    """A row of 工作经历."""

    __tablename__ = "work_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)  # None: 至今
    employer_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(100))  # 职务
    duties: Mapped[str | None] = mapped_column(sa.String(500))  # 从事安全生产工作内容

    person = relationship("Person", back_populates="work_history")


class ApplicationMaterial(db.Model):
    """One uploaded file of an application's materials (申请材料): a page, a photo or a PDF of one checklist item.

    The bytes live in the storage (``portal.services.storage``) under ``storage_key``, made by the portal; the
    checklist items of each kind are in ``portal.services.registration.kinds``.
    """

    __tablename__ = "application_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    #: the checklist item (``signed_form``, ``qualification``, ``contract`` …)
    item: Mapped[str] = mapped_column(sa.String(30))
    #: order inside the item (pages or photos of one document)
    position: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(sa.String(32))
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(32))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    pages: Mapped[int] = mapped_column(default=1)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: who uploaded it: the applicant, or a reviewer (a body's own note of a 注销 it files)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    #: 退回 marked it to be replaced (the applicant replaces only these), with what is wrong
    replace_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replace_reason: Mapped[str | None] = mapped_column(sa.String(200))

    application = relationship("Application", back_populates="materials")
