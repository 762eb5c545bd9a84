"""Personal notices (个人公告信息, guide 三): stored when something happens to a person's records."""

from __future__ import annotations

from ..extensions import db
from ..models import Notice


def notify(person, kind: str, message: str, application=None) -> Notice:
    """Add a notice to the person's 公告信息 panel (``kind``: submitted, returned, approved, identity_corrected …)."""
    notice = Notice(person_id=person.id, kind=kind, message=str(message),
                    application_id=application.id if application is not None else None)
    db.session.add(notice)
    db.session.flush()
    return notice
