"""Uploaded files kept in the database (the ``database`` backend of ``portal.services.storage``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    #: made by the storage (random), never by the user
    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
