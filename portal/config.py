"""Settings.

Everything comes from the environment: ``DATABASE_URL``, ``SECRET_KEY``, ``REDIS_URL`` and ``PORTAL_*`` for the
rest (``PORTAL_CAPTCHA_ENABLED=false`` becomes ``CAPTCHA_ENABLED = False``; values are parsed as JSON when they
can be). The defaults below are the rules of the registration regulations and the guide.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled by load_config (instance folder SQLite)
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None

    # Sessions: idle logout after IDLE_TIMEOUT_MINUTES (guide 七.5); no remember-me cookie.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_REFRESH_EACH_REQUEST = True
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which times out by itself

    BABEL_DEFAULT_LOCALE = "zh"
    #: the registry's time zone: every "today" (portal/clock.py) and every time shown; timestamps are stored in UTC
    TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # Rules (PRODUCT.md "Rules"), each overridable with PORTAL_<NAME>.
    REGISTRATION_PERIOD_YEARS = 5
    RENEWAL_WINDOW_MONTHS = 3
    CE_HOURS_REQUIRED = 48
    AGE_LIMIT = 70
    IDLE_TIMEOUT_MINUTES = 30
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    RESET_LINK_MINUTES = 30
    CAPTCHA_ENABLED = True
    CAPTCHA_TTL_SECONDS = 300
    LOGIN_RATE_LIMIT = "30 per minute;300 per hour"

    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "注册安全工程师注册管理系统 <noreply@localhost>"
    MAIL_TIMEOUT = 10

    PDF_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    PROXY_COUNT = 0  #: reverse proxies in front of the app (nginx: 1), for the client address
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False


class DevelopmentConfig(Config):
    """``make run``: SQLite in the instance folder, mail written to the log, a generated secret key."""

    ENV_NAME = "development"
    MAIL_BACKEND = "log"


class ProductionConfig(Config):
    """gunicorn behind a proxy: refuses to start without SECRET_KEY and DATABASE_URL."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    """The test suite; the database URL is given by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - fixed test value
    MAIL_BACKEND = "log"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def load_config(app, config: type[Config] | dict | None) -> None:
    """Fill ``app.config`` from a config class, the environment and, for tests, a mapping of overrides."""
    overrides: dict = {}
    if isinstance(config, dict):
        overrides = config
        config = CONFIGS[overrides.get("ENV_NAME", "test")]
    if config is None:
        config = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    app.config.from_object(config)
    app.config.from_prefixed_env("PORTAL")
    for plain in ("SECRET_KEY", "REDIS_URL"):
        if os.environ.get(plain):
            app.config[plain] = os.environ[plain]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.update(overrides)

    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])

    if config is ProductionConfig:
        missing = [key for key in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not app.config.get(key)]
        if missing:
            raise RuntimeError(f"Production configuration is missing: {', '.join(missing)}")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _instance_secret_key(instance: Path) -> str:
    """Development only: a random key generated once and kept in the instance folder (never committed)."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
