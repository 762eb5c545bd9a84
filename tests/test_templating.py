"""Templates compiled once per language with their literal messages translated then (``portal.templating``;
issue 10): the same pages as translating every message at render time, in both languages."""

from __future__ import annotations

import pytest
from flask import render_template, session
from flask_babel import get_translations

from portal import templating
from portal.clock import utcnow
from portal.models import ApplicationStatus
from tests.factories import login_as, make_application, make_staff, without_tokens

#: pages of both sides, with and without a login, with forms, notices and the 功能目录
PAGES = ["/", "/applicant/complete-profile", "/bodies", "/applicant/", "/applicant/history",
         "/applicant/change-password"]
CONSOLE_PAGES = ["/reviewer/", "/reviewer/applications/", "/reviewer/people/"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pages_are_the_ones_translating_every_message_at_render_time_gives(app, client, db, applicant,
                                                                          monkeypatch, time_machine, language):
    time_machine.move_to(utcnow(), tick=False)  # the idle warning's seconds left are the same in both renderings
    make_application(applicant, status=ApplicationStatus.RETURNED)
    login_as(client, applicant)
    client.get(f"/lang/{language}")
    early = {path: client.get(path) for path in PAGES}
    monkeypatch.setattr(templating, "_catalogue", lambda: None)  # compiled without translating
    app.jinja_env.cache.clear()
    for path, response in early.items():
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert ("功能目录" if language == "zh" else "Function menu") in html or path != "/applicant/", path
        assert without_tokens(html) == without_tokens(client.get(path).get_data(as_text=True)), path


def test_the_console_pages_are_the_same_too(app, client, db, monkeypatch, time_machine):
    time_machine.move_to(utcnow(), tick=False)  # the dashboard's times are the same in both renderings
    login_as(client, make_staff())
    early = {path: client.get(path).get_data(as_text=True) for path in CONSOLE_PAGES}
    monkeypatch.setattr(templating, "_catalogue", lambda: None)
    app.jinja_env.cache.clear()
    for path, html in early.items():
        assert "<table" in html, path
        assert without_tokens(html) == without_tokens(client.get(path).get_data(as_text=True)), path


def test_each_language_has_its_own_compiled_template_kept(app):
    with app.test_request_context():
        zh = app.jinja_env.get_template("applicant/_notices.html")
        assert app.jinja_env.get_template("applicant/_notices.html") is zh
    with app.test_request_context():
        session["lang"] = "en"
        en = app.jinja_env.get_template("applicant/_notices.html")
        assert en is not zh and app.jinja_env.get_template("applicant/_notices.html") is en
        assert "No notices." in render_template("applicant/_notices.html", notices=[])
    with app.test_request_context():
        assert "暂无公告信息。" in render_template("applicant/_notices.html", notices=[])


def _compiled(app, source: str):
    """``source`` compiled as a template loaded in the request's language is."""
    token = templating._COMPILING_WITH.set(get_translations())
    try:
        return app.jinja_env.from_string(source)
    finally:
        templating._COMPILING_WITH.reset(token)


def test_a_literal_message_is_the_templates_own_text_and_the_others_are_translated_when_shown(app):
    calls = []

    def gettext(string, **variables):
        calls.append(string)
        return string % variables

    source = ('{{ _("功能目录") }}|{{ gettext("100%%") }}|{{ _("%(name)s，您好！", name=name) }}|'
              '{% set x = _("功能目录") %}{{ x ~ "<b>" }}|{{ _(name) }}|{{ _("功能目录").__html__ is defined }}')
    with app.test_request_context():
        session["lang"] = "en"
        template = _compiled(app, source)
        assert template.render(_=gettext, gettext=gettext, name="<i>") == (
            "Function menu|100%|&lt;i&gt;，您好！|Function menu&lt;b&gt;|&lt;i&gt;|True")  # safe, as ``_`` gives it
    assert calls == ["%(name)s，您好！", "<i>"]  # only the call with variables and the call of a value


def test_without_autoescape_a_literal_message_is_plain_text_as_jinjas_gettext_gives(app):
    source = '{% autoescape false %}{{ _("功能目录") }}|{{ (_("功能目录") ~ "<b>") }}|' \
             '{{ _("功能目录").__html__ is defined }}{% endautoescape %}'
    with app.test_request_context():
        assert _compiled(app, source).render() == "功能目录|功能目录<b>|False"


def test_outside_an_app_context_nothing_is_translated_early(app):
    assert templating._catalogue() is None
    with app.app_context():
        assert templating._catalogue() is get_translations()
    with app.test_request_context():
        session["lang"] = "en"
        assert templating._catalogue().ugettext("功能目录") == "Function menu"
