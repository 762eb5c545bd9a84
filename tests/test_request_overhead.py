"""The fixed cost of a request, trimmed (issue 10) without changing what a request gets: /healthz's answer and
headers, a session cookie signed once per key, a view's own header kept, CSRF still asked of every form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import request

from portal.core import SessionCookies
from tests.factories import login_as


def test_healthz_answers_as_before_with_every_security_header(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.mimetype == "application/json"
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1


def test_a_views_own_security_header_is_kept(app, client):
    app.add_url_rule("/_own", "own", lambda: ("x", 200, {"Referrer-Policy": "no-referrer"}))
    response = client.get("/_own")
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_session_serializer_is_made_once_per_secret_key(app):
    interface = app.session_interface
    assert isinstance(interface, SessionCookies)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    cookie = first.dumps({"lang": "en"})
    app.secret_key = "another-secret-key-for-this-test-only-0123456789"
    other = interface.get_signing_serializer(app)
    assert other is not first
    assert other.loads(other.dumps({"a": 1})) == {"a": 1}
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(interface.open_session(app, request)) == {}  # a cookie signed with the old key is refused
    app.secret_key = first.secret_keys[-1]
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(interface.open_session(app, request)) == {"lang": "en"}


def test_forms_without_a_token_are_still_refused(client):
    assert client.post("/applicant/login", data={"id_number": "x", "password": "y"}).status_code == 400


def test_hooks_are_asked_once_whether_they_are_coroutines(app):
    def plain():
        return "x"

    assert app.ensure_sync(plain) is plain and plain in app._plain_functions
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(len) is len


def test_the_limiter_keeps_no_state_for_an_exempt_request(client):
    from flask.globals import request_ctx

    with client:
        client.get("/healthz")
        assert not hasattr(request_ctx._get_current_object(), "_limiter_request_context")


def test_a_request_without_cookies_gets_an_empty_session_and_no_cookie(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    with client:
        client.get("/healthz")
        from flask import session

        assert dict(session) == {} and not session.modified


def _session_routes(app) -> None:
    from flask import session

    def read():
        return ("x", 200, {"Vary": request.args["vary"]}) if request.args.get("vary") else str(session.get("n"))

    def write():
        session["n"] = 1
        return "written"

    def clear():
        session.clear()
        return "cleared"

    app.add_url_rule("/_read", "read_session", read)
    app.add_url_rule("/_write", "write_session", write)
    app.add_url_rule("/_clear", "clear_session", clear)


#: (path, whether the browser has a session cookie first)
SESSION_CASES = [("/healthz", False), ("/_read", False), ("/_read?vary=Accept-Encoding", False),
                 ("/_read?vary=Cookie", False), ("/_read?vary=Accept-Encoding", True), ("/_write", False),
                 ("/_write", True), ("/_clear", True), ("/_clear", False), ("/", False)]


@pytest.mark.parametrize(("path", "with_cookie"), SESSION_CASES)
def test_session_cookies_and_vary_are_flasks(app, path, with_cookie):
    """The portal's session interface writes the Vary header and the cookie as Flask's own does, with or without a
    session cookie, for a session read, written, cleared or untouched."""
    from flask.sessions import SecureCookieSessionInterface

    _session_routes(app)
    answers = []
    for interface in (app.session_interface, SecureCookieSessionInterface()):
        app.session_interface = interface
        browser = app.test_client()
        if with_cookie:
            browser.get("/_write")
        response = browser.get(path)
        cookies = [(header.split("=")[0], sorted(part.split("=")[0].strip() for part in header.split(";")[1:]))
                   for header in response.headers.getlist("Set-Cookie")]  # each cookie's name and attributes
        answers.append((response.status_code, response.headers.getlist("Vary"), cookies,
                        "Expires=Thu, 01 Jan 1970" in response.headers.get("Set-Cookie", "")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200


def test_templates_translate_format_and_escape_as_jinja_does(app):
    from flask import render_template_string, session

    template = '{{ _("%(name)s，您好！", name=name) }}|{{ _("功能目录") }}|{{ gettext("100%%") }}'
    for _render in range(2):  # and again, with everything a first render made
        with app.test_request_context():
            assert render_template_string(template, name="<b>") == "&lt;b&gt;，您好！|功能目录|100%"
        with app.test_request_context():
            session["lang"] = "en"
            assert render_template_string(template, name="<b>") == "Hello, &lt;b&gt;!|Function menu|100%"
    # without autoescape a message is plain text, as Jinja's own gettext gives it (not marked safe)
    with app.test_request_context():
        plain = render_template_string('{% autoescape false %}{{ _("功能目录") }}|'
                                       '{{ _("功能目录").__html__ is defined }}{% endautoescape %}')
        assert plain == "功能目录|False"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_numeric_date_filters_write_what_flask_babel_writes(app, language):
    """``dateformat`` / ``datetimeformat`` for yyyy-MM-dd (HH:mm) are written directly (portal/i18n.py); they
    give Flask-Babel's text, in the registry's time zone, on both sides of a Beijing midnight and for naive values."""
    import flask_babel
    from flask_babel import force_locale

    moments = [datetime(2026, 12, 31, 15, 59, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
               datetime(2027, 3, 1, 7, 5, tzinfo=UTC), datetime(2026, 6, 30, 23, 30),
               datetime(999, 1, 2, 3, 4, tzinfo=UTC)]
    days = [date(2027, 1, 1), date(2026, 2, 28), date(999, 1, 2)]
    filters = app.jinja_env.filters
    with app.test_request_context(), force_locale(language):
        for moment in moments:
            for pattern in ("yyyy-MM-dd", "yyyy-MM-dd HH:mm"):
                assert filters["datetimeformat"](moment, pattern) == flask_babel.format_datetime(moment, pattern)
        for day in days:
            assert filters["dateformat"](day, "yyyy-MM-dd") == flask_babel.format_date(day, "yyyy-MM-dd")
        # other patterns and values go to Flask-Babel
        assert filters["dateformat"](days[0], "long") == flask_babel.format_date(days[0], "long")
        assert filters["datetimeformat"](moments[0], "short") == flask_babel.format_datetime(moments[0], "short")
        assert filters["datetimeformat"](moments[1], "yyyy-MM-dd") == "2027-01-01"


def test_the_personal_pages_csrf_token_is_signed_once_per_session_and_still_accepted(app, client, applicant,
                                                                                     time_machine):
    """The templates' ``csrf_token()`` (portal/extensions.py) keeps each session's signed token: two pages a
    minute apart carry the same one (Flask-WTF's signature has the time in it), Flask-WTF accepts it, and 安全退出
    with it works."""
    import re

    from flask_wtf.csrf import validate_csrf

    from portal.extensions import kept_csrf_token
    from tests.clocks import beijing

    assert app.jinja_env.globals["csrf_token"] is kept_csrf_token
    assert not any("csrf_token" in processor() for processor in app.template_context_processors[None])
    time_machine.move_to(beijing(2026, 11, 28, 9, 0))
    login_as(client, applicant)
    pages = []
    for minute in (1, 2):
        time_machine.move_to(beijing(2026, 11, 28, 9, minute))
        pages.append(client.get("/applicant/").get_data(as_text=True))
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in pages]
    assert tokens[0] == tokens[1]
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    with app.test_request_context():
        from flask import session as request_session

        request_session["csrf_token"] = raw
        validate_csrf(tokens[0])  # raises when refused
    response = client.post("/applicant/logout", data={"csrf_token": tokens[0]})
    assert response.status_code == 302
    assert client.get("/applicant/").status_code == 302  # logged out


def test_with_a_time_limit_every_page_signs_its_token_afresh(app, client, applicant, time_machine):
    import re

    from tests.clocks import beijing

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    time_machine.move_to(beijing(2026, 11, 28, 9, 0))
    login_as(client, applicant)
    tokens = set()
    for minute in (1, 2):
        time_machine.move_to(beijing(2026, 11, 28, 9, minute))
        page = client.get("/applicant/").get_data(as_text=True)
        tokens.add(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
    assert len(tokens) == 2 and not app.extensions.get("signed_csrf_tokens")


def test_postgresql_results_are_described_by_name_and_type_as_psycopg_describes_them(app, db):
    """portal.database.PortalCursor: plain tuples instead of psycopg's Column objects, with the same names and type
    codes (a column without a name, a query without columns, a statement without rows), made when first read; SQLite
    keeps its driver."""
    if db.engine.dialect.name != "postgresql":
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        pytest.skip("the cursor is PostgreSQL's (SQLite's driver is not configured)")
    import psycopg

    from portal.database import PortalCursor

    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        queries = ["SELECT 1 AS n, 'x'::text AS word, now() AS at, NULL::date, 2.5::numeric", "SELECT",
                   "SELECT id, code, name FROM bodies WHERE false", "SET LOCAL statement_timeout = 0"]
        for query in queries:
            with connection.cursor() as ours, psycopg.Cursor(connection) as theirs:
                assert type(ours) is PortalCursor
                ours.execute(query)
                theirs.execute(query)
                if theirs.description is None:
                    assert ours.description is None
                    continue
                description = ours.description
                assert len(description) == len(theirs.description) and bool(description) is bool(theirs.description)
                assert [(column[0], column[1]) for column in description] == [
                    (column.name, column.type_code) for column in theirs.description]
                assert all(len(column) == 7 and column[2:] == (None,) * 5 for column in description)
                assert description == list(description) and description[:1] == list(description)[:1]
                assert ours.fetchall() == theirs.fetchall()
                # read after the cursor has moved on, it still describes its own statement
                late = ours.description
                ours.execute("SELECT 1 AS other")
                assert late == description
    finally:
        raw.rollback()
        raw.close()
    # and SQLAlchemy reads its results by those names
    row = db.session.execute(sa.text("SELECT 1 AS n, 'x' AS word")).one()
    assert (row.n, row.word) == (1, "x")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_messages_translated_in_python_are_flask_babels(app, language):
    """portal.i18n.gettext / lazy_gettext read the request's remembered catalogue: the same text as Flask-Babel's,
    in the session's language, with variables, under force_locale and after it, and outside a request."""
    import flask_babel
    from flask import session

    from portal import i18n

    messages = [("延续注册", {}), ("您的执业证（编号 %(number)s）已注销。", {"number": "A<1>"}),
                ("不在目录中的句子", {})]
    with app.test_request_context("/"):
        session["lang"] = language
        for message, variables in messages:
            expected = flask_babel.gettext(message, **variables)
            assert i18n.gettext(message, **variables) == expected
            assert str(i18n.lazy_gettext(message, **variables)) == expected
        assert (i18n.gettext("延续注册") == "延续注册") is (language == "zh")
        other = "zh" if language == "en" else "en"
        with flask_babel.force_locale(other):
            assert i18n.gettext("延续注册") == flask_babel.gettext("延续注册")
            assert (i18n.gettext("延续注册") == "延续注册") is (other == "zh")
        assert i18n.gettext("延续注册") == flask_babel.gettext("延续注册")
    assert i18n.gettext("延续注册") == "延续注册"  # no app context: the message as written


def test_the_locale_flask_babel_is_given_is_one_object_per_language(app):
    from babel import Locale
    from flask import session
    from flask_babel import get_locale

    from portal.i18n import select_locale, selected_locale

    found = {}
    for language in ("zh", "en", "zh", "en"):
        with app.test_request_context():
            session["lang"] = language
            locale = get_locale()
            assert locale == Locale.parse(select_locale()) and str(locale) == language
            assert found.setdefault(language, locale) is locale is selected_locale()
