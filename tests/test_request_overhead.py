"""The fixed cost of a request, trimmed (issue 10) without changing what a request gets: /healthz's answer and
headers, a session cookie signed once per key, a view's own header kept, CSRF still asked of every form."""

from __future__ import annotations

from flask import request

from portal.core import SessionCookies


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


def test_templates_translate_format_and_escape_as_jinja_does(app):
    from flask import render_template_string, session

    template = '{{ _("%(name)s，您好！", name=name) }}|{{ _("功能目录") }}|{{ gettext("100%%") }}'
    with app.test_request_context():
        assert render_template_string(template, name="<b>") == "&lt;b&gt;，您好！|功能目录|100%"
    with app.test_request_context():
        session["lang"] = "en"
        assert render_template_string(template, name="<b>") == "Hello, &lt;b&gt;!|Function menu|100%"
