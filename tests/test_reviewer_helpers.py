"""Helpers of the reviewer-console tests (no tests here): two bodies with a reviewer, an applicant and an
application each, central staff, CSRF tokens and page text."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

from sqlalchemy import select

from portal.models import AuditLog, StaffRole
from tests.factories import PASSWORD, login_as, make_application, make_certificate, make_person, make_staff

BODY_A, BODY_B = "210000", "220000"  # 辽宁省, 吉林省
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def world(db, **person_values):
    """Reviewer A and an applicant with a submitted application in body A, the same in body B, and a central
    staff member; committed."""
    w = SimpleNamespace()
    w.reviewer_a = make_staff("reviewer_a", body_code=BODY_A)
    w.reviewer_b = make_staff("reviewer_b", body_code=BODY_B)
    w.central = make_staff("central", role=StaffRole.CENTRAL)
    w.central2 = make_staff("central2", role=StaffRole.CENTRAL)
    w.person_a = make_person(name="王建国", body_code=BODY_A, **person_values)
    make_certificate(w.person_a)
    w.application_a = make_application(w.person_a)
    w.person_b = make_person(name="赵丽", body_code=BODY_B, email=None)
    make_certificate(w.person_b)
    w.application_b = make_application(w.person_b)
    db.session.commit()
    return w


def csrf(client) -> str:
    """A CSRF token of this client's session (Flask-WTF tokens are per session, not per form): from the password
    page for staff, from the login page for anyone else."""
    for path in ("/reviewer/account/password", "/reviewer/account/"):
        response = client.get(path)
        match = _CSRF.search(response.get_data(as_text=True))
        if response.status_code == 200 and match:
            return match.group(1)
    raise AssertionError("no CSRF token")


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST with this session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def text(response) -> str:
    """What a person reads on the page: tags, scripts and styles stripped, whitespace collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def as_staff(client, staff):
    login_as(client, staff)
    return client


def audit_rows(db, action: str) -> list[AuditLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def staff_login(client, username: str, password: str = PASSWORD, captcha: str = "", next_path: str = ""):
    """Log in through the console's login form."""
    path = "/reviewer/account/" + (f"?next={next_path}" if next_path else "")
    page = client.get(path).get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    return client.post(path, data={"csrf_token": token, "username": username, "password": password,
                                   "captcha": captcha})
