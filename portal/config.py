"""Settings.

Everything comes from the environment: ``DATABASE_URL``, ``SECRET_KEY``, ``REDIS_URL`` and ``PORTAL_*`` for the
rest (``PORTAL_CAPTCHA_ENABLED=false`` becomes ``CAPTCHA_ENABLED = False``; values are parsed as JSON when they
can be). The defaults below are the rules of the registration regulations and the guide.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

from .database import PortalCursor

#: how to make a SECRET_KEY, quoted by the errors that ask for one
KEY_RECIPE = 'python -c "import secrets; print(secrets.token_hex(32))"'
#: values seen in examples and tests, never a production key
WEAK_SECRET_KEYS = frozenset({"test-secret-key-not-for-production"})
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message names the environment variable and how to set it."""


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled by load_config (instance folder SQLite)
    #: no pre-ping (a round trip on every request, issue 10): a connection that died with the database is noticed by
    #: the statement that fails on it, which invalidates the whole pool (that request answers 503), and the next
    #: requests connect afresh; connections are also renewed after an hour
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 3600}
    #: seconds to wait for PostgreSQL to accept a connection before the request answers 503
    DATABASE_CONNECT_TIMEOUT = 5
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
    # The life cycle's settings (RULES.md: figures marked *setting*)
    INITIAL_REGISTRATION_YEARS = 5  #: 初始注册 within this many years of the 资格证书 date, later 逾期初始注册
    INITIAL_LEGACY_QUALIFIED_BEFORE = "2019-03-01"  #: 资格证书 from before this day …
    INITIAL_LEGACY_DEADLINE = "2024-03-01"  #: … had until this day for 初始注册
    LATE_INITIAL_CE_HOURS = 48  #: 逾期初始注册: 继续教育 学时 within the last REREGISTRATION_CE_YEARS years
    REREGISTRATION_CE_HOURS = 48  #: 重新注册: 继续教育 学时 …
    REREGISTRATION_CE_YEARS = 5  #: … within this many years before the application
    REVOCATION_BAN_YEARS = 5  #: a registration 撤销 for improper means: no new registration for this many years
    CATEGORY_CHANGE_REGISTERED_BEFORE = "2019-03-01"  #: 变更专业类别: once, for holders registered before this day
    CERTIFICATE_NUMBER_PREFIX = "ZA"  #: 执业证编号: prefix + year + 2-digit province + 6-digit sequence
    IDLE_TIMEOUT_MINUTES = 30
    IDLE_WARNING_MINUTES = 5  #: the page warns this long before the idle logout (「即将因长时间未操作自动退出」)
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
    #: who delivers the outbox: "queue" (Celery workers on Redis) or "inline" (a thread of the web process)
    MAIL_DELIVERY = "queue"
    MAIL_QUEUE_URL: str | None = None  #: the job queue's Redis (default REDIS_URL)
    MAIL_QUEUE_NAME = "portal"
    MAIL_MAX_ATTEMPTS = 10
    MAIL_RETRY_SECONDS = 60  #: wait after the first failed attempt, doubled after each further one
    MAIL_RETRY_MAX_SECONDS = 3600
    MAIL_SEND_LEASE_SECONDS = 120  #: a worker that holds a message longer is taken for dead
    MAIL_SWEEP_SECONDS = 60
    MAIL_SWEEP_GRACE_SECONDS = 60  #: a pending message older than this without a delivery is handed out again

    #: the portal's address as applicants reach it, for the links in mails and the certificate's QR code
    PUBLIC_URL = "http://127.0.0.1:5000/"

    PDF_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    #: 电子注册证书: the issuing authority printed on it, and the PKCS#12 file (with its passphrase) that signs it;
    #: outside production a throw-away one is made in the instance folder (portal/services/certificates/signing.py)
    CERTIFICATE_AUTHORITY = "注册安全工程师注册管理中心"
    CERTIFICATE_SIGNING_P12: str | None = None
    CERTIFICATE_SIGNING_PASSPHRASE: str | None = None
    #: 注册人员查询: lookups from one address in a day before the captcha is asked for
    REGISTER_FREE_LOOKUPS = 5
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    #: where uploaded materials live: "filesystem" (UPLOAD_FOLDER, default instance/uploads) or "database" (shared
    #: by every application host); images are scaled down to this many pixels on their longer side
    UPLOAD_STORAGE = "filesystem"
    UPLOAD_FOLDER: str | None = None
    UPLOAD_IMAGE_MAX_SIDE = 2480
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    PROXY_COUNT = 0  #: reverse proxies in front of the app (nginx: 1), for the client address
    #: addresses or networks of those proxies: only their X-Forwarded-* headers are believed
    TRUSTED_PROXIES: tuple[str, ...] | list[str] | str = ("127.0.0.1", "::1")
    #: level of the portal's log (``portal`` and ``portal.*``); None leaves Flask's default (warnings and errors)
    LOG_LEVEL: str | None = None
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    #: the console's home page counts every application at most this often per scope (seconds; 0: every request)
    DASHBOARD_CACHE_SECONDS = 60
    #: a process re-checks the working-day calendar, and re-reads the bodies of the console's 注册机构 filter, at
    #: most this often (seconds; 0: every request); the process where central staff edit either sees it at once
    WORKDAYS_CHECK_SECONDS = 2
    BODY_CHOICES_SECONDS = 2


class DevelopmentConfig(Config):
    """``make run``: SQLite in the instance folder, mail written to the log, a generated secret key."""

    ENV_NAME = "development"
    MAIL_BACKEND = "log"
    MAIL_DELIVERY = "inline"  # no worker needed: mail goes out from a thread of ``flask run``, after the commit
    LOG_LEVEL = "INFO"  # the log mail backend's messages (reset links) appear in the console of ``make run``


class ProductionConfig(Config):
    """gunicorn behind an HTTPS proxy: refuses to start without DATABASE_URL and a strong SECRET_KEY; session
    cookies are Secure (``PORTAL_SESSION_COOKIE_SECURE=false`` for a test lab without HTTPS)."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    """The test suite; the database URL is given by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - fixed test value
    MAIL_BACKEND = "log"
    MAIL_DELIVERY = "inline"
    MAIL_RETRY_SECONDS = 0.2
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    DASHBOARD_CACHE_SECONDS = 0  # tests that count on the dashboard see every change (test_dashboard_cache sets it)


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def load_config(app, config: type[Config] | dict | None) -> None:
    """Fill ``app.config`` from a config class, the environment and, for tests, a mapping of overrides."""
    overrides: dict = {}
    if isinstance(config, dict):
        overrides = config
        config = _named_config(overrides.get("ENV_NAME", "test"))
    if config is None:
        config = _named_config(os.environ.get("PORTAL_ENV", "development"))
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
    # The cookie outlives the idle timeout (the server ends the session itself), so that a page opened after the
    # logout, e.g. on a phone that slept, can still say 「您已因30分钟未操作自动退出」 rather than 「请先登录」.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"], days=1)

    app.config["TRUSTED_PROXIES"] = _networks(app.config["TRUSTED_PROXIES"])
    if app.config.get("LOG_LEVEL"):
        app.logger.setLevel(str(app.config["LOG_LEVEL"]).upper())

    if config is ProductionConfig:
        _check_production(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        connect_args = {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"], "cursor_factory": PortalCursor,
                        **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def _named_config(name: str) -> type[Config]:
    """The settings of ``PORTAL_ENV``."""
    if name not in CONFIGS:
        raise ConfigurationError(f"PORTAL_ENV={name!r} is not an environment: use one of {', '.join(CONFIGS)}")
    return CONFIGS[name]


def _networks(value) -> list[str]:
    """TRUSTED_PROXIES as a list of checked networks: a JSON list, or addresses and CIDRs separated by commas."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    try:
        return [str(ip_network(item, strict=False)) for item in items]
    except ValueError as error:
        raise ConfigurationError(f"PORTAL_TRUSTED_PROXIES: {error} (give addresses or networks such as "
                                 f"10.0.0.5 or 10.0.0.0/24, separated by commas)") from None


def _check_production(app) -> None:
    """Refuse to start without a database or with a guessable key; say what the session cookies need."""
    required = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL (e.g. postgresql+psycopg://portal:PASSWORD@HOST/portal)",
                "SECRET_KEY": f"SECRET_KEY (make one with: {KEY_RECIPE})"}
    missing = [hint for key, hint in required.items() if not app.config.get(key)]
    if missing:
        raise ConfigurationError(f"Production configuration is missing: {'; '.join(missing)}")
    key = str(app.config["SECRET_KEY"])
    if len(key) < MIN_SECRET_KEY_LENGTH or key in WEAK_SECRET_KEYS or len(set(key)) < 8:
        raise ConfigurationError(f"SECRET_KEY is too weak for production: it signs the session cookies, so use at "
                                 f"least {MIN_SECRET_KEY_LENGTH} random characters, e.g. from: {KEY_RECIPE}")
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.logger.warning("Session cookies are Secure: serve the portal over HTTPS (the reverse proxy); over plain "
                           "HTTP browsers drop them and no form or login works. For a test lab without HTTPS set "
                           "PORTAL_SESSION_COOKIE_SECURE=false.")
    else:
        app.logger.warning("Session cookies are not Secure (PORTAL_SESSION_COOKIE_SECURE=false): they travel over "
                           "plain HTTP, which is for a test lab only.")


def _instance_secret_key(instance: Path) -> str:
    """Development only: a random key generated once and kept in the instance folder (never committed)."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
