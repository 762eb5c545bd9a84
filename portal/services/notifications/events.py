"""The mails that follow a change, written in the change's transaction (the outbox), beside its personal notice.

Each function names a template of ``portal/templates/mail/`` and fills its parameters; a person without an email
on file gets the notice only. What the applicant does on the site (上报, 撤回, a password change, 忘记密码) is mailed
in the language they are reading the site in (``lang``: the English templates of ``mail/en/``); a decision of staff
is mailed in Chinese, the portal knowing no other preference of the person.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context

from ...clock import local
from ...i18n import select_locale
from ...models.workflow import TRANSITIONS_BY_NAME, Actor
from ..infrastructure.outbox import mail_person

#: the template of each transition of ``portal/models/workflow.py`` whose ``mail`` flag is set
TRANSITION_TEMPLATES = {
    "submit": "application_submit", "resubmit": "application_submit", "withdraw": "application_withdraw",
    "initial_pass": "application_initial_pass", "return": "application_return",
    "initial_reject": "application_initial_reject", "approve": "application_approve", "refuse": "application_refuse",
    "close": "application_close",
}
#: a kind's own template where its mail says something else than 延续注册's: (transition, kind) → template
KIND_TEMPLATES = {
    **{(name, kind): "application_submit_upload" for name in ("submit", "resubmit")
       for kind in ("initial", "late_initial", "change", "reregistration", "cancellation")},
    **{("approve", kind): "application_approve_registration" for kind in ("initial", "late_initial",
                                                                           "reregistration")},
    ("approve", "change"): "application_approve_change",
    ("approve", "cancellation"): "application_approve_cancellation",
}


def portal_url() -> str:
    """The portal's public address, for the mails' links (``PUBLIC_URL``)."""
    return str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000/")


def when(moment: datetime) -> str:
    """A moment as the registry's local time, e.g. 2026-11-27 16:05."""
    return f"{local(moment):%Y-%m-%d %H:%M}"


def reader_language() -> dict:
    """``{"lang": "en"}`` when the applicant acting in this request reads the site in English, else nothing."""
    return {"lang": "en"} if has_request_context() and select_locale() == "en" else {}


def mail_transition(application, name: str, now: datetime, reason: str | None = None) -> None:
    """The mail of transition ``name`` just taken on ``application`` (called by ``transitions._take``)."""
    body = application.body
    params = {"number": application.number, "kind": str(application.kind.label), "when": when(now),
              "body_name": body.name if body else "", "body_address": (body.address or "") if body else "",
              "body_phone": (body.phone or "") if body else "", "reason": reason or "", "portal_url": portal_url()}
    if name == "approve" and application.certificate is not None:
        params["until"] = f"{application.certificate.valid_until:%Y年%m月%d日}"
        params["certificate_number"] = application.certificate.number
    if TRANSITIONS_BY_NAME[name].actor is Actor.APPLICANT:
        params.update(reader_language())
    template = KIND_TEMPLATES.get((name, application.kind.value), TRANSITION_TEMPLATES[name])
    mail_person(application.person, template, **params)


def mail_identity_corrected(person, fields: str) -> None:
    mail_person(person, "identity_corrected", fields=fields, portal_url=portal_url())


def mail_temporary_password(person, now: datetime) -> None:
    """A body set a temporary password: say where to collect it, never the password."""
    body = person.body
    mail_person(person, "temporary_password", when=when(now), body_name=body.name if body else "注册机构",
                body_phone=(body.phone or "") if body else "", portal_url=portal_url())


def mail_password_changed(person, now: datetime, how: str = "") -> None:
    mail_person(person, "password_changed", when=when(now), how=how, portal_url=portal_url(), **reader_language())


def mail_reset_link(person, link: str, minutes: int) -> None:
    mail_person(person, "reset_link", link=link, minutes=minutes, **reader_language())

