"""Writing the audit log. Every reviewer or central action, and every security event, leaves a row."""

from __future__ import annotations

from ...extensions import db
from ...models import AuditLog


def record(action: str, summary: str, *, staff=None, person=None, target=None, body_id: int | None = None,
           data: dict | None = None, ip: str | None = None) -> AuditLog:
    """Append a row. ``summary`` must already mask ID numbers; ``target`` is any model instance with an id."""
    if staff is not None:
        kind, label = "staff", staff.username
    elif person is not None:
        kind, label = "applicant", person.masked_id_number
    else:
        kind, label = "system", "system"
    row = AuditLog(
        actor_kind=kind,
        staff_id=staff.id if staff is not None else None,
        person_id=person.id if person is not None else None,
        actor_label=label,
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        body_id=body_id if body_id is not None else (staff.body_id if staff is not None else None),
        summary=summary[:500],
        data=data,
        ip=ip,
    )
    db.session.add(row)
    db.session.flush()
    return row
