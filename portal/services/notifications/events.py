"""The mails that follow a change, written in the change's transaction (the outbox), beside its personal notice.

Each function names a template of ``portal/templates/mail/`` and fills its parameters; a person without an email
on file gets the notice only.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ...clock import local
from ..infrastructure.outbox import mail_person

#: the template of each transition of ``portal/models/workflow.py`` whose ``mail`` flag is set
TRANSITION_TEMPLATES = {
    "submit": "application_submit", "resubmit": "application_submit", "withdraw": "application_withdraw",
    "initial_pass": "application_initial_pass", "return": "application_return",
    "initial_reject": "application_initial_reject", "approve": "application_approve", "refuse": "application_refuse",
}


def portal_url() -> str:
    """The portal's public address, for the mails' links (``PUBLIC_URL``)."""
    return str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000/")


def when(moment: datetime) -> str:
    """A moment as the registry's local time, e.g. 2026年11月27日 16:05."""
    return f"{local(moment):%Y年%m月%d日 %H:%M}"


def mail_transition(application, name: str, now: datetime, reason: str | None = None) -> None:
    """The mail of transition ``name`` just taken on ``application`` (called by ``transitions._take``)."""
    body = application.body
    params = {"number": application.number, "kind": str(application.kind.label), "when": when(now),
              "body_name": body.name if body else "", "body_address": (body.address or "") if body else "",
              "body_phone": (body.phone or "") if body else "", "reason": reason or "", "portal_url": portal_url()}
    if name == "approve" and application.certificate is not None:
        params["until"] = f"{application.certificate.valid_until:%Y年%m月%d日}"
    mail_person(application.person, TRANSITION_TEMPLATES[name], **params)


def mail_identity_corrected(person, fields: str) -> None:
    mail_person(person, "identity_corrected", fields=fields, portal_url=portal_url())


def mail_temporary_password(person, now: datetime) -> None:
    """A body set a temporary password: say where to collect it, never the password."""
    body = person.body
    mail_person(person, "temporary_password", when=when(now), body_name=body.name if body else "注册机构",
                body_phone=(body.phone or "") if body else "", portal_url=portal_url())


def mail_password_changed(person, now: datetime, how: str = "") -> None:
    mail_person(person, "password_changed", when=when(now), how=how, portal_url=portal_url())


def mail_reset_link(person, link: str, minutes: int) -> None:
    mail_person(person, "reset_link", link=link, minutes=minutes)

