"""Public content: announcements (公告信息), blank forms (注册表格下载) and regulations (相关制度)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .base import TimestampMixin, UTCDateTime
from .codes import enum_column


class Announcement(TimestampMixin, db.Model):
    __tablename__ = "announcements"
    __table_args__ = (sa.Index("ix_announcements_published_published_at", "published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    published: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: DocumentKind's labels, made once (not on every ``label``; issue 10)
_DOCUMENT_KIND_LABELS = {"form": _l("注册表格"), "regulation": _l("相关制度")}


class DocumentKind(enum.StrEnum):
    FORM = "form"
    REGULATION = "regulation"

    @property
    def label(self):
        return _DOCUMENT_KIND_LABELS[self.value]


class Document(TimestampMixin, db.Model):
    """A blank form (rendered to PDF by the app from ``template``) or a regulation (link and/or text)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: for a form: the template under templates/pdf/forms/ rendered to PDF
    template: Mapped[str | None] = mapped_column(sa.String(100))
    url: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str | None] = mapped_column(sa.Text)
    issued_by: Mapped[str | None] = mapped_column(sa.String(100))  # 发文机关 and 文号
    sort_order: Mapped[int] = mapped_column(default=0)
