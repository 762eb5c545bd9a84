"""A deployment that explains itself: a wrong setting stops the start with the variable to fix and how, the
operator is told at start-up and on the error page that the session cookies need HTTPS, refused forms are
logged, forwarded addresses are believed only from the configured proxies, and in development the log mail
backend's messages reach the console."""

from __future__ import annotations

import gc
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from flask import request

from portal import create_app
from portal.config import ConfigurationError, ProductionConfig
from tests.accounts_helpers import csrf_token, text

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "5f0c3d2b8a7e41c9b6d2f8e0a1c4b7d9e3f6a2c5b8d1e4f7a0c3b6d9e2f5a8c1"


@pytest.fixture
def production_env(monkeypatch, database_url):
    """A production environment with everything it needs; tests take one thing away."""
    for name in list(os.environ):
        if name.startswith("PORTAL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    return monkeypatch


def test_an_unknown_environment_names_the_ones_that_exist(production_env):
    production_env.setenv("PORTAL_ENV", "prod")
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert str(refused.value) == "PORTAL_ENV='prod' is not an environment: use one of development, production, test"


def test_a_missing_database_names_database_url(production_env):
    production_env.delenv("DATABASE_URL")
    with pytest.raises(ConfigurationError) as refused:
        create_app(ProductionConfig)
    assert "DATABASE_URL" in str(refused.value)
    assert "SQLALCHEMY_DATABASE_URI" not in str(refused.value)
    assert "SECRET_KEY" not in str(refused.value)  # the key is there


@pytest.mark.parametrize("key", ["x", "changeme", "test-secret-key-not-for-production", "a" * 64, STRONG_KEY[:31]])
def test_a_weak_secret_key_is_refused_with_the_way_to_make_one(production_env, key):
    production_env.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigurationError) as refused:
        create_app(ProductionConfig)
    assert "SECRET_KEY is too weak" in str(refused.value)
    assert 'python -c "import secrets; print(secrets.token_hex(32))"' in str(refused.value)


def test_a_strong_key_starts_and_says_that_cookies_need_https(production_env, caplog):
    with caplog.at_level(logging.WARNING, logger="portal"):
        app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("serve the portal over HTTPS" in message and "PORTAL_SESSION_COOKIE_SECURE=false" in message
               for message in warnings), warnings


def test_a_test_lab_switches_secure_cookies_off_and_is_warned(production_env, caplog):
    production_env.setenv("PORTAL_SESSION_COOKIE_SECURE", "false")
    with caplog.at_level(logging.WARNING, logger="portal"):
        app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert any("test lab only" in record.getMessage() for record in caplog.records)


def test_over_plain_http_the_refused_staff_login_says_to_use_https(production_env, caplog):
    """Behind a hostname without HTTPS the browser drops the Secure session cookie, so the login form's token
    never matches: the page says why, and the log says what was refused (never the token)."""
    app = create_app(ProductionConfig)
    browser = app.test_client()  # plain http://localhost/; the Secure cookie is not sent back, as in a browser
    token = csrf_token(browser, "/reviewer/account/")
    browser.delete_cookie("session")
    with caplog.at_level(logging.WARNING, logger="portal"):
        response = browser.post("/reviewer/account/", data={"csrf_token": token, "username": "center",
                                                            "password": "Secret2026"})
    assert response.status_code == 400
    assert "本系统必须通过 HTTPS（https://）访问" in text(response)
    logged = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("CSRF check failed on POST /reviewer/account/" in message and "token is missing" in message
               for message in logged), logged
    assert token not in caplog.text

    secure = app.test_client()  # the same over HTTPS: the usual message
    token = csrf_token(secure, "https://localhost/reviewer/account/")
    response = secure.post("https://localhost/reviewer/account/", data={"csrf_token": token + "x"})
    assert response.status_code == 400
    assert "页面已过期或来源不正确" in text(response)


def test_a_refused_form_is_logged_at_warning_without_its_token(client, caplog):
    token = csrf_token(client, "/")
    forged = token[:-4] + "AAAA"
    with caplog.at_level(logging.WARNING, logger="portal"):
        response = client.post("/applicant/login", data={"csrf_token": forged, "id_number": "x", "password": "y"})
    assert response.status_code == 400
    assert "页面已过期或来源不正确" in text(response)
    assert "CSRF check failed on POST /applicant/login" in caplog.text
    assert forged not in caplog.text and token not in caplog.text


def _address_app(database_url: str, **settings):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PROXY_COUNT": 1, **settings})
    app.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
    return app


def test_forwarded_addresses_are_believed_only_from_the_trusted_proxies(database_url):
    client = _address_app(database_url).test_client()
    spoofed = {"X-Forwarded-For": "203.0.113.7"}
    assert client.get("/_addr", headers=spoofed, environ_base={"REMOTE_ADDR": "127.0.0.1"}).text == "203.0.113.7"
    assert client.get("/_addr", headers=spoofed, environ_base={"REMOTE_ADDR": "::1"}).text == "203.0.113.7"
    # a client that reaches gunicorn directly cannot choose its address
    assert client.get("/_addr", headers=spoofed, environ_base={"REMOTE_ADDR": "198.51.100.9"}).text == "198.51.100.9"

    client = _address_app(database_url, TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16").test_client()
    assert client.get("/_addr", headers=spoofed, environ_base={"REMOTE_ADDR": "10.1.2.3"}).text == "203.0.113.7"
    assert client.get("/_addr", headers=spoofed, environ_base={"REMOTE_ADDR": "127.0.0.1"}).text == "127.0.0.1"


@pytest.mark.parametrize("app_config", [{"PROXY_COUNT": 1, "RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "2 per minute"}])
def test_a_spoofed_forwarded_address_does_not_escape_the_login_rate_limit(client):
    token = csrf_token(client, "/reviewer/account/")
    codes = [client.post("/reviewer/account/", data={"csrf_token": token, "username": "x", "password": "y"},
                         headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
                         environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code for attempt in range(3)]
    assert codes == [200, 200, 429]


def test_a_wrong_trusted_proxy_setting_is_explained(production_env):
    production_env.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.300")
    with pytest.raises(ConfigurationError, match="PORTAL_TRUSTED_PROXIES.*10.0.0.300"):
        create_app(ProductionConfig)


def test_gunicorn_writes_an_access_log():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["accesslog"] == "-" and settings["errorlog"] == "-"


def test_a_gunicorn_worker_takes_start_up_objects_out_of_garbage_collection():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_in_development_the_log_mail_backend_reaches_the_console(tmp_path):
    """``make run``: a 忘记密码 mail (log backend) is written to standard error, so its link can be followed."""
    script = ("from portal import create_app\n"
              "from portal.services.infrastructure.mail import send_mail\n"
              "app = create_app()\n"
              "with app.app_context():\n"
              "    send_mail('wang@example.com', '找回密码', 'http://127.0.0.1:5000/applicant/reset-password/T0KEN')\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")}
    env.update(PORTAL_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
               SECRET_KEY=STRONG_KEY)
    env.pop("REDIS_URL", None)
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120, check=True)
    assert "To: wang@example.com" in finished.stderr
    assert "http://127.0.0.1:5000/applicant/reset-password/T0KEN" in finished.stderr
