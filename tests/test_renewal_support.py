"""Helpers the renewal tests share: posting forms with their CSRF token, and walking the wizard as a user does.
(No tests here.)"""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from portal import clock
from portal.validators import make_credit_code
from tests.factories import body

CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
CREDIT_CODE = make_credit_code("91210100MA0Y12345")

PERSONAL = {"education": "大学本科", "major": "安全工程", "title": "高级工程师", "mobile": "13912345678",
            "email": "wang@example.com", "address": "辽宁省沈阳市和平区南京北街1号", "postcode": "110001"}


def employer_data(**values) -> dict:
    return {"name": "辽宁华信化工有限公司", "credit_code": CREDIT_CODE, "kind": "production",
            "address": "辽宁省沈阳市和平区南京北街1号", "contact_person": "赵敏", "contact_phone": "024-23456789",
            "body_id": str(body("210000").id), **values}


def ce_data(days_ago: int = 400, hours: int = 24, **values) -> dict:
    start = clock.today() - timedelta(days=days_ago)
    return {"course": "危险化学品安全管理", "organiser": "辽宁省安全生产培训中心", "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=2)).isoformat(), "hours": str(hours), **values}


def work_data(start: str = "2006-01-01", end: str = "", **values) -> dict:
    return {"start_date": start, "end_date": end, "employer_name": "辽宁华信化工有限公司", "position": "安全部部长",
            "duties": "企业安全生产管理", **values}


def csrf_token(client, page: str = "/applicant/renewal/") -> str:
    """The session's CSRF token, read from a page with a form (the session keeps one token)."""
    html = client.get(page, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no form on {page}"
    return match.group(1)


def post(client, url: str, data: dict | None = None, token: str | None = None, **kwargs):
    """POST a form the way the browser does, with the session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": token or csrf_token(client)}, **kwargs)


def text(response) -> str:
    """The page's visible text, roughly (tags dropped, whitespace collapsed)."""
    html = re.sub(r"<style.*?</style>|<script.*?</script>", "", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def fill_wizard(client, *, hours: tuple[int, ...] = (24, 24), work: tuple[dict, ...] | None = None) -> None:
    """Steps 1–5 as a user completes them (start, personal, employer, CE entries, work rows, preview)."""
    token = csrf_token(client)
    assert post(client, "/applicant/renewal/start", token=token).status_code == 302
    assert post(client, "/applicant/renewal/personal", PERSONAL, token).status_code == 302
    assert post(client, "/applicant/renewal/employer", employer_data(), token).status_code == 302
    for index, value in enumerate(hours):
        response = post(client, "/applicant/renewal/education", ce_data(days_ago=300 + 30 * index, hours=value), token)
        assert response.status_code == 302, text(response)
    assert post(client, "/applicant/renewal/education/next", token=token).status_code == 302
    for row in work or (work_data("1998-07-01", "2005-12-31", employer_name="沈阳化工厂"), work_data()):
        response = post(client, "/applicant/renewal/work", row, token)
        assert response.status_code == 302, text(response)
    assert post(client, "/applicant/renewal/work/next", token=token).status_code == 302
    assert client.get("/applicant/renewal/preview").status_code == 200


def submit(client, token: str | None = None, confirm: bool = True):
    return post(client, "/applicant/renewal/submit", {"confirm": "y"} if confirm else {}, token)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
