"""Short-lived account artefacts: personal notices, password-reset links, captcha challenges."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db
from ..i18n import gettext
from .applications import ApplicationKind
from .base import UTCDateTime


class Notice(db.Model):
    """A personal notice (个人公告信息) stored when something happens to the person's records.

    Notices that follow from the current state (renewal window, incomplete profile) are computed, not stored.
    """

    __tablename__ = "notices"
    __table_args__ = (sa.Index("ix_notices_person_id_created_at", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: submitted, returned, initial_passed, initial_rejected, approved, refused, identity_corrected, ...
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: the text's msgid (Chinese, with %(name)s placeholders), translated when shown; finished text if no params
    message: Mapped[str] = mapped_column(sa.Text)
    #: the values of the placeholders; None for a message stored as finished text
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def text(self) -> str:
        """The notice in the reader's language (Chinese unless they switched to English)."""
        return notice_text(self.message, self.params)


def notice_text(message: str, params: dict | None) -> str:
    """A stored notice's ``message`` in the reader's language, with its ``params`` (finished text when None)."""
    if params is None:
        return message
    params = dict(params)
    if params.get("kind") in ApplicationKind.__members__.values():  # a kind's code, in the reader's language
        params["kind"] = str(ApplicationKind(params["kind"]).label)
    return gettext(message, **params)


class PasswordResetToken(db.Model):
    """A single-use 忘记密码 link; only the SHA-256 of the token is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaptchaChallenge(db.Model):
    """A captcha's answer, kept server-side; deleted when checked (single use)."""

    __tablename__ = "captcha_challenges"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    answer_digest: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
