"""What protects every page in the browser: a Content-Security-Policy that runs no inline script (so the
templates carry none), and forms accepted only from pages of this site, over plain HTTP as over HTTPS."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from portal.models import Announcement, StaffRole
from tests.accounts_helpers import csrf_token, login, text
from tests.factories import login_as, make_application, make_staff

PORTAL = Path(__file__).resolve().parents[1] / "portal"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"[^"]*"|'[^']*')""", re.I)
SCRIPT_URL = re.compile(r"""href\s*=\s*["']\s*javascript:(?!void\(0\))""", re.I)


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


def inline_code(page: str) -> list[str]:
    return [match.group(0) for pattern in (INLINE_SCRIPT, INLINE_HANDLER, SCRIPT_URL)
            for match in pattern.finditer(page)]


def test_scripts_run_only_from_the_sites_files(client):
    directives = policy(client.get("/"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_the_console_allows_only_flask_admins_no_op_handler(client):
    """Flask-Admin's filter menu items say onclick="return false;": that exact handler, by its hash, and no
    other inline code."""
    noop = base64.b64encode(hashlib.sha256(b"return false;").digest()).decode()
    directives = policy(client.get("/reviewer/account/"))
    assert directives["script-src"] == f"'self' 'unsafe-hashes' 'sha256-{noop}'"
    assert "unsafe-inline" not in directives["script-src"]


def test_no_template_carries_inline_script_or_event_handlers():
    """The policy would block them: every behaviour lives in portal/static/js/ and is asked for with data-*."""
    offending = {}
    for template in sorted(PORTAL.rglob("templates/**/*.html")):
        if "/pdf/" in template.as_posix():
            continue  # rendered to PDF, never by a browser
        found = inline_code(template.read_text(encoding="utf-8"))
        if found:
            offending[str(template.relative_to(PORTAL))] = found
    assert not offending


def test_pages_load_the_portal_script_and_no_inline_code(client, db, applicant):
    page = client.get("/").get_data(as_text=True)
    assert '<script src="/static/js/portal.js"></script>' in page
    login(client, applicant.id_number)
    for path in ("/applicant/", "/applicant/history", "/applicant/renewal/"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200
        assert not inline_code(response.get_data(as_text=True)), path


def test_console_pages_carry_no_inline_code_and_delete_still_asks(client, db, applicant):
    """Flask-Admin's delete button confirmed with an inline onclick, which the policy blocks: the portal's own
    row_actions template asks through data-confirm instead."""
    make_application(applicant)
    db.session.add(Announcement(title="系统维护通知", body="周六停机维护。"))
    center = make_staff("center", role=StaffRole.CENTRAL)
    login_as(client, center)
    for path in ("/reviewer/", "/reviewer/applications/", "/reviewer/people/", "/reviewer/announcements/",
                 "/reviewer/staff/new/", f"/reviewer/people/details/?id={applicant.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "/static/js/portal.js" in page, path
        handlers = [found for found in inline_code(page) if found != ' onclick="return false;"']  # see portal.js
        assert not handlers, (path, handlers)
    page = client.get("/reviewer/announcements/").get_data(as_text=True)
    assert re.search(r'<form class="icon" method="POST" action="/reviewer/announcements/delete/"\s+'
                     r'data-confirm="[^"]+"', page)


def test_the_portal_script_is_served(client):
    with client.get("/static/js/portal.js") as response:
        assert response.status_code == 200 and "data-confirm" in response.get_data(as_text=True)


CROSS_SITE = [{"Origin": "http://evil.example"}, {"Origin": "http://localhost.evil.example"},
              {"Referer": "http://evil.example/page"}, {"Origin": "http://evil.example", "Referer": "http://localhost/"},
              {"Origin": "null", "Referer": "http://evil.example/page"}]
#: with a valid token: this site's pages, and requests that name no site (no headers; ``Origin: null`` without a
#: Referer, as from the 设置新密码 page, whose Referrer-Policy is no-referrer)
SAME_SITE = [{}, {"Origin": "http://localhost"}, {"Origin": "https://localhost"}, {"Referer": "http://localhost/"},
             {"Origin": "http://LOCALHOST:80"}, {"Origin": "null"}, {"Origin": "null", "Referer": "http://localhost/"}]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_form_posted_from_another_site_is_refused_even_with_a_valid_token(client, db, applicant, headers):
    response = login(client, applicant.id_number, headers=headers)
    assert response.status_code == 400
    assert "页面已过期或来源不正确" in text(response)
    assert client.get("/applicant/").status_code == 302  # not logged in


@pytest.mark.parametrize("headers", SAME_SITE)
def test_a_form_posted_from_this_site_is_accepted(client, db, applicant, headers):
    response = login(client, applicant.id_number, headers=headers)
    assert response.status_code == 302
    assert client.get("/applicant/").status_code == 200


def test_a_cross_site_logout_is_refused_and_the_applicant_stays_in(client, db, applicant):
    login(client, applicant.id_number)
    token = csrf_token(client, "/applicant/")
    response = client.post("/applicant/logout", data={"csrf_token": token}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert applicant.name in text(client.get("/applicant/"))


def test_reading_pages_needs_no_origin(client):
    assert client.get("/", headers={"Origin": "http://evil.example", "Referer": "http://evil.example/"}).status_code \
        == 200
