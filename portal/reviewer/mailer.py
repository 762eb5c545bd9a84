"""Obsolete: the applicant's mail now leaves through the outbox, written by the transition itself
(``portal/services/review/transitions.py`` → ``portal/services/notifications/events.py``), in the decision's
transaction. ``mail_applicant`` stays only as a no-op for callers not yet updated (``reviewer/desk.py``); calling
it sends nothing, so a decision is never mailed twice. Delete this module with its last caller.
"""

from __future__ import annotations


def mail_applicant(person, subject: str, body: str, staff, target=None) -> bool:
    """No-op (see the module's docstring): the transition has already queued the mail."""
    return False
