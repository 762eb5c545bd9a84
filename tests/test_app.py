"""The app as a whole: factory, settings, error pages, CSRF, language switch."""

from __future__ import annotations

import pytest
from flask import request
from flask_migrate import check as migrate_check

from portal import create_app
from portal.config import ProductionConfig
from tests.factories import login_as


def test_home_page_is_in_chinese(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "注册安全工程师注册管理系统" in page
    assert 'lang="zh-CN"' in page


def test_language_switch_to_english_and_back(client):
    page = client.get("/lang/en?next=/", follow_redirects=True).get_data(as_text=True)
    assert "Registered Safety Engineer Registration System" in page
    page = client.get("/lang/zh?next=/", follow_redirects=True).get_data(as_text=True)
    assert "注册安全工程师注册管理系统" in page


def test_language_switch_ignores_foreign_next(client):
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_unknown_page_is_a_chinese_404_without_traceback(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page
    assert "Traceback" not in page


def test_post_without_csrf_token_is_refused_in_chinese(app):
    app.add_url_rule("/_csrf_probe", "csrf_probe", lambda: "ok", methods=["POST"])
    response = app.test_client().post("/_csrf_probe", data={"x": "1"})
    assert response.status_code == 400
    assert "页面已过期或来源不正确" in response.get_data(as_text=True)


def test_server_error_page_hides_the_traceback(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/_boom", "boom", boom)
    response = app.test_client().get("/_boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统错误" in page
    assert "secret internals" not in page


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_prefixed_environment_settings_are_read(monkeypatch, database_url):
    monkeypatch.setenv("PORTAL_CAPTCHA_ENABLED", "false")
    monkeypatch.setenv("PORTAL_IDLE_TIMEOUT_MINUTES", "10")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["CAPTCHA_ENABLED"] is False
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 10
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 600 + 86400  # the cookie outlives it


def test_models_and_migrations_agree(db):
    """``flask db check``: the migrations produce exactly the models' schema."""
    migrate_check()


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PROXY_COUNT": 1})
    app.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
    response = app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) == "203.0.113.7"


def test_every_page_gets_the_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_pages_of_a_logged_in_applicant_are_not_cached(client, applicant):
    login_as(client, applicant)
    response = client.get("/applicant/")
    assert response.status_code == 200 and applicant.name in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
