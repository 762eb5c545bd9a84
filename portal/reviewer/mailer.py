"""Telling the applicant by mail, when an email is on file.

The decision is the record that matters: it is saved and shown on the applicant's page (公告信息) whatever
happens to the mail. A mail server that cannot take the message is logged, audit-logged and reported to the staff
member in a warning; the decision is not rolled back.
"""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l

from ..services.infrastructure.audit import record
from ..services.infrastructure.mail import MailError, send_mail


def mail_applicant(person, subject: str, body: str, staff, target=None) -> bool:
    """Send ``subject``/``body`` to the person's email; False (with a warning) when none or when sending failed."""
    if not person.email:
        return False
    try:
        send_mail(person.email, subject, body)
    except MailError:
        record("mail.failed", f"通知邮件未能发出：{person.name}（{person.masked_id_number}）", staff=staff,
               target=target, body_id=person.body_id, data={"subject": subject})
        flash(_l("处理结果已保存，申请人可在个人页面的公告信息中看到；但通知邮件未能发出（邮件服务器暂时不可用）。"),
              "warning")
        return False
    return True
