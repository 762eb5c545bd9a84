"""Personal notices (个人公告信息, guide 三): stored when something happens to a person's records.

A notice keeps its text's msgid and the values of its placeholders, and is translated when it is shown, so an
applicant who reads the site in English reads the notices in English too.
"""

from __future__ import annotations

from ...extensions import db
from ...models import Notice


def N_(message: str) -> str:  # noqa: N802 - the customary name of gettext's no-op marker
    """Mark a notice text for extraction into the catalogs; it is translated when shown (``Notice.text``)."""
    return message


def notify(person, notice_kind: str, message: str, application=None, /, **params) -> Notice:
    """Add a notice to the person's 公告信息 panel (``notice_kind``: submitted, returned, approved,
    identity_corrected …).

    ``message`` is a msgid marked with ``N_`` and ``params`` fill its ``%(name)s`` placeholders.
    """
    notice = Notice(person_id=person.id, kind=notice_kind, message=message,
                    params={k: str(v) for k, v in params.items()},
                    application_id=application.id if application is not None else None)
    db.session.add(notice)
    db.session.flush()
    return notice
