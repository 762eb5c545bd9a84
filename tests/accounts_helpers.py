"""Helpers for the accounts tests: CSRF tokens, form posts, page text, login through the real form."""

from __future__ import annotations

import html
import re

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the form on ``path`` (a GET through the client, so the session has it)."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, *, form_page: str | None = None, **kwargs):
    """POST ``data`` to ``path`` with the CSRF token of ``form_page`` (default: ``path`` itself)."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def text(response) -> str:
    """What a person reads on the page: tags stripped, entities decoded, whitespace collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def login(client, id_number: str, password: str = PASSWORD, *, id_type: str = "resident_id", next: str = "",
          captcha: str = "", **kwargs):
    """Log in through the home page's 注册申请登录 form."""
    return post_form(client, "/applicant/login", {"id_type": id_type, "id_number": id_number, "password": password,
                                                  "captcha": captcha, "next": next}, form_page="/", **kwargs)


def logout(client):
    """安全退出 through the header button."""
    return post_form(client, "/applicant/logout", {}, form_page="/applicant/")
