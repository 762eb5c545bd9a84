"""The console's lean list rendering (portal/reviewer/listing.py) shows exactly what Flask-Admin's own list
template showed from ORM objects: every list page is rendered both ways and the rows compared, in Chinese and in
English, for a reviewer and for central staff; and the helpers it uses agree with the Babel calls they replace."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from flask_babel import force_locale, format_datetime
from markupsafe import Markup, escape
from sqlalchemy import select

from portal import clock
from portal.models import ApplicationStatus, Body, BodyKind, IdType
from portal.reviewer import filters, frame, listing
from portal.services.corrections import Scan, file_correction
from portal.services.infrastructure.audit import record
from tests.factories import login_as, make_application, make_certificate, make_person
from tests.test_reviewer_helpers import post, world

S = ApplicationStatus
PDF = b"%PDF-1.4\n%fake scan\n"
_TABLE = re.compile(r'<table class="table table-striped.*?</table>', re.S)
_PAGER = re.compile(r'<ul class="pagination">.*?</ul>', re.S)


def rows(html: str) -> str:
    """The list's table (header and rows) and its pager, whitespace between and around tags dropped (the two
    renderings indent differently)."""
    match = _TABLE.search(html)
    assert match, "no list table on the page"
    pager = _PAGER.search(html, match.end())  # none when a numbered pager has a single page
    body = re.sub(r"\s+", " ", match.group(0) + (pager.group(0) if pager else ""))
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", body).strip()


def both_ways(client, monkeypatch, path: str) -> tuple[str, str]:
    """The table of ``path`` rendered lean from plain rows, then by Flask-Admin's template from ORM objects."""
    lean = client.get(path)
    assert lean.status_code == 200, path
    with monkeypatch.context() as patch:
        patch.setattr(listing, "lean_rows", lambda view, data, return_url: None)
        for view in client.application.extensions["reviewer_console"]._views:
            patch.setattr(view, "list_row_attributes", None, raising=False)
        plain = client.get(path)
    return rows(lean.get_data(as_text=True)), rows(plain.get_data(as_text=True))


@pytest.fixture
def busy(db):
    """Applications at each stage (one claimed, one 初审通过, one renewal about to expire), audit rows, a
    correction request and people of two bodies."""
    w = world(db)
    late = make_person(name="钱学森", body_code="210000")
    make_certificate(late, days_left=3)
    make_application(late)
    passed = make_application(make_person(name="李四", body_code="220000"), status=S.INITIAL_PASSED)
    passed.decided_at = clock.utcnow() - timedelta(days=12)
    w.application_a.claimed_by_id = w.reviewer_a.id
    w.application_b.submitted_at = clock.utcnow() - timedelta(days=40)
    record("account.login", "登录 <b>标记</b>", staff=w.central, data={"ip": "127.0.0.1", "note": "a & b"})
    file_correction(w.person_a, w.reviewer_a, {"name": "王建国某"}, reason="姓名录入错误", fax_date=clock.today(),
                    fax_pages=2, scan=Scan("fax.pdf", PDF), max_scan_bytes=10_000, now=clock.utcnow(),
                    today=clock.today())
    locked = make_person(name="孙<锁>", body_code="210000", category=None, email=None)
    locked.locked_until = clock.utcnow() + timedelta(hours=1)
    online = make_person(name="周在线", body_code="210000", id_type=IdType.PASSPORT, id_number="E12345678")
    online.session_token, online.last_seen_at = "token", clock.utcnow()
    db.session.commit()
    return w


PAGES = ["/reviewer/applications/", "/reviewer/applications/?flt0_0=submitted",
         "/reviewer/applications/?flt0_0=initial_passed", "/reviewer/applications/?search=王",
         "/reviewer/applications/?sort=6&desc=1", "/reviewer/applications/?sort=0&flt0_0=submitted&search=王",
         "/reviewer/applications/?search=LEANSORT", "/reviewer/applications/?flt1_1=chemical",
         "/reviewer/applications/?flt0_3=soon", "/reviewer/applications/?flt0_5=mine&sort=9",
         "/reviewer/applications/?page=1", "/reviewer/people/", "/reviewer/people/?sort=0&desc=1",
         "/reviewer/people/?search=周", "/reviewer/people/?flt0_0=chemical&flt1_1=passport",
         "/reviewer/corrections/", "/reviewer/corrections/?sort=0", "/reviewer/corrections/?search=王"]
CENTRAL_PAGES = ["/reviewer/audit/", "/reviewer/audit/?flt1_1=account.login", "/reviewer/outbox/",
                 "/reviewer/staff/", "/reviewer/bodies/", "/reviewer/applications/?flt0_4=220000",
                 "/reviewer/people/?flt0_2=210000", "/reviewer/corrections/?flt0_2=210000"]

#: pages that list at least this many rows (for both staff members), so their cells are compared
FILLED = {"/reviewer/applications/": 2, "/reviewer/applications/?flt1_1=chemical": 2, "/reviewer/people/": 3,
          "/reviewer/people/?search=周": 1, "/reviewer/corrections/": 1, "/reviewer/corrections/?search=王": 1,
          "/reviewer/audit/": 1}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_list_shows_what_flask_admins_template_showed(client, busy, monkeypatch, language):
    for staff, pages in ((busy.reviewer_a, PAGES), (busy.central, PAGES + CENTRAL_PAGES)):
        login_as(client, staff)
        client.get(f"/lang/{language}")
        for path in pages:
            lean, plain = both_ways(client, monkeypatch, path)
            assert lean == plain, path
            assert "<tr>" in lean or "<td" in lean, path
            if path in FILLED:
                assert lean.count('<td class="list-buttons-column">') >= FILLED[path], path


_CSRF = re.compile(r'(name="csrf_token" value=")[^"]*"')


@contextmanager
def afresh(app, monkeypatch):
    """A context in which the console's frame is rendered on every request (nothing kept: ``frame``)."""
    with monkeypatch.context() as patch:
        patch.setitem(app.jinja_env.globals, "console_url", url_for)
        patch.setitem(app.jinja_env.globals, "console_block", lambda key, nonce, caller: caller())
        patch.setattr(frame, "cached_value", lambda key, compute: compute())
        yield


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pages_from_the_kept_frame_are_the_pages_rendered_afresh(app, client, busy, monkeypatch, language):
    """Every list, for a reviewer and for central staff, in both languages, twice over (the parts kept from
    one page, role or language must never show on another): the whole page as Flask-Admin renders it afresh."""
    for _round in range(2):
        for staff, pages in ((busy.reviewer_a, PAGES + ["/reviewer/people/?flt0_0=chemical"]),
                             (busy.central, PAGES + CENTRAL_PAGES + ["/reviewer/audit/?flt1_1=login"])):
            login_as(client, staff)
            client.get(f"/lang/{language}")
            for path in pages:
                kept = client.get(path)
                with afresh(app, monkeypatch):
                    fresh = client.get(path)
                assert kept.status_code == fresh.status_code == 200, path
                kept, fresh = (_CSRF.sub(r"\1", page.get_data(as_text=True)) for page in (kept, fresh))
                assert kept == fresh, path
    assert app.extensions["reviewer_console_frame"]  # the frame was kept


def whole_page(html: str) -> str:
    """A page with its CSRF tokens blanked and whitespace between and around tags dropped; without the filter
    menu's ``onclick="return false;"``, inline code that the Content-Security-Policy never ran (the lean page leaves
    it out: tests/test_headers.py)."""
    html = _CSRF.sub(r"\1", html).replace(' onclick="return false;"', "")
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_lean_page_is_flask_admins_list_page(app, client, busy, monkeypatch, language):
    """reviewer/lean_list.html writes out the macros of Flask-Admin's list page: its menu bar (export, filters,
    page size, search), filter form, pager and scripts are Flask-Admin's, for every list, filter, search, sort and
    page, each staff member and language (the tables are compared above)."""
    pages = ["/reviewer/applications/?flt0_0=submitted&search=王&sort=0&desc=1&page_size=50",
             "/reviewer/applications/?search=王伟&flt0_3=soon&page=1", "/reviewer/people/?page=2"]
    for staff, paths in ((busy.reviewer_a, PAGES + pages), (busy.central, PAGES + CENTRAL_PAGES + pages)):
        login_as(client, staff)
        client.get(f"/lang/{language}")
        for path in paths:
            with afresh(app, monkeypatch):
                lean = client.get(path)
                with monkeypatch.context() as patch:
                    patch.setattr(listing, "lean_rows", lambda view, data, return_url: None)
                    plain = client.get(path)
            assert lean.status_code == plain.status_code == 200, path
            assert whole_page(lean.get_data(as_text=True)) == whole_page(plain.get_data(as_text=True)), path


def test_a_list_page_builds_no_macro_library(app, client, busy, monkeypatch):
    """Each ``{% import … with context %}`` makes Jinja build the library again on every page (a tenth of a list
    page's CPU: issue 10). Once the frame is kept, a list page builds none; a page with a flash message builds
    Flask-Admin's layout library for it."""
    from jinja2.environment import Template

    built = []
    make_module = Template.make_module
    monkeypatch.setattr(Template, "make_module",
                        lambda self, *args, **kwargs: built.append(self.name) or make_module(self, *args, **kwargs))
    login_as(client, busy.central)
    with_buttons = ("/reviewer/staff/", "/reviewer/bodies/")  # edit buttons: Flask-Admin's page and libraries
    for path in PAGES + CENTRAL_PAGES:
        client.get(path)  # the frame kept
        built.clear()
        page = client.get(path)
        assert page.status_code == 200, path
        if path in with_buttons:
            assert "admin/lib.html" in built, path
        else:
            assert built == [], (path, built)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "已保存。")]
    built.clear()
    page = client.get("/reviewer/applications/").get_data(as_text=True)
    assert "已保存。" in page and 'class="alert alert-success alert-dismissable"' in page
    assert built == ["admin/layout.html"]

def test_the_rows_are_built_once_per_page(client, busy, monkeypatch):
    """The lean rows are what the page prints (not Flask-Admin's macros), with the 查看 link and the masked number."""
    login_as(client, busy.central)
    page = client.get("/reviewer/applications/").get_data(as_text=True)
    assert 'class="list-buttons-column"' in page
    assert busy.person_a.id_number not in page
    assert f"id={busy.application_a.id}&amp;url=" in page
    assert "data-claimed" in page and "由reviewer_a处理中" in page
    people = client.get("/reviewer/people/").get_data(as_text=True)  # plain rows with the lock columns
    assert "孙&lt;锁&gt;" in people and "密码错误锁定" in people and "在线/会话锁定" in people


@pytest.mark.parametrize("value", [datetime(2026, 12, 31, 16, 30, tzinfo=UTC), datetime(2026, 6, 1, 3, 4, 5),
                                   datetime(2027, 1, 1, 0, 0, tzinfo=UTC)])
def test_local_time_is_babels_pattern(app, value):
    with app.test_request_context(), force_locale("en"):
        assert listing.local_time(value) == format_datetime(value, "yyyy-MM-dd HH:mm")
        assert listing.local_time(value, seconds=True) == format_datetime(value, "yyyy-MM-dd HH:mm:ss")
        assert listing.local_time(value, time=False) == format_datetime(value, "yyyy-MM-dd")
    assert listing.local_time(None) == ""


def _view(app, endpoint: str):
    return next(view for view in app.extensions["reviewer_console"]._views if view.endpoint == endpoint)


def test_a_list_without_the_view_button_keeps_its_empty_buttons_column(app, client, busy, monkeypatch):
    monkeypatch.setattr(_view(app, "reviewer_people"), "can_view_details", False)
    login_as(client, busy.central)
    lean, plain = both_ways(client, monkeypatch, "/reviewer/people/")
    assert lean == plain and '<td class="list-buttons-column"></td>' in lean


def test_rows_with_other_buttons_or_bulk_actions_keep_flask_admins_template(app, monkeypatch):
    people = _view(app, "reviewer_people")
    with app.test_request_context():
        monkeypatch.setattr(people, "get_actions_list", lambda: ([("merge", "合并")], {}))
        assert listing.lean_rows(people, [], "/reviewer/people/") is None  # a checkbox per row
        monkeypatch.undo()
        monkeypatch.setattr(people, "can_edit", True)
        assert listing.lean_rows(people, [], "/reviewer/people/") is None  # an edit button
        assert listing.lean_rows(_view(app, "reviewer_bodies"), [], "/reviewer/bodies/") is None


@pytest.mark.parametrize("value", ["王伟", "a & b <i>'x'</i> \"y\"", "&amp;", "", 12, 3.5, None, True,
                                   Markup("<b>kept</b>"), ApplicationStatus.SUBMITTED])
def test_escaped_is_markupsafes_escape(value):
    assert listing.escaped(value) == str(escape(value))


def test_a_block_is_kept_unless_a_csp_nonce_makes_every_page_differ(app):
    rendered = iter(["<link nonce=1>", "<link nonce=2>", "<link>"])
    with app.test_request_context():
        assert frame.block(("head_css", "v"), 'nonce="1"', lambda: next(rendered)) == "<link nonce=1>"
        assert frame.block(("head_css", "v"), 'nonce="2"', lambda: next(rendered)) == "<link nonce=2>"
        assert frame.block(("head_css", "v"), None, lambda: next(rendered)) == "<link>"
        assert frame.block(("head_css", "v"), None, lambda: "rendered again") == "<link>"  # kept


def test_the_body_filter_shows_a_new_body_within_seconds_and_an_edit_here_at_once(app, client, busy, db):
    """The 注册机构 filter's choices are kept by each process for ``BODY_CHOICES_SECONDS``: a body another process
    (the ``db`` fixture's app) added shows once they passed, a body renamed in this process's console at once."""
    app.config["BODY_CHOICES_SECONDS"] = 3600
    login_as(client, busy.central)
    assert '"990000"' not in client.get("/reviewer/people/").get_data(as_text=True)
    db.session.add(Body(code="990000", name="测试注册机构", kind=BodyKind.ENTERPRISE, sort_order=999))
    db.session.commit()
    assert '"990000"' not in client.get("/reviewer/people/").get_data(as_text=True)  # kept, not read again
    app.config["BODY_CHOICES_SECONDS"] = 0  # as when the seconds have passed
    assert '"990000"' in client.get("/reviewer/people/").get_data(as_text=True)
    app.config["BODY_CHOICES_SECONDS"] = 3600
    body = db.session.scalar(select(Body).where(Body.code == "990000"))
    response = post(client, f"/reviewer/bodies/edit/?id={body.id}", {"name": "改名注册机构", "kind": "enterprise",
                                                                    "sort_order": "999"})
    assert response.status_code == 302
    with app.test_request_context(), force_locale("zh"):
        assert ("990000", "改名注册机构") in filters.body_choices()
