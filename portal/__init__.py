"""注册安全工程师注册管理系统 — the registration portal for Registered Safety Engineers."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from weakref import WeakSet

from flask import Flask
from flask.globals import _cv_request

from .config import Config, load_config
from .converters import init_converters
from .templating import PortalEnvironment


class Portal(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks ``inspect`` again for every hook and
    view of every request (a dozen calls, ~5% of a /healthz). Weakly kept: a function made for one request
    (``after_this_request``) leaves the cache with it.

    And keeping the URLs that depend on nothing but the endpoint and where the app is mounted (``url_for``); and
    compiling each template once per language (``templating.PortalEnvironment``)."""

    jinja_environment = PortalEnvironment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions = WeakSet()
        self._fixed_urls: dict[tuple, str] = {}

    def ensure_sync(self, func):
        if func in self._plain_functions:
            return func
        sync = super().ensure_sync(func)
        if sync is func:  # a plain function (a coroutine's wrapper is made afresh, as Flask does)
            with suppress(TypeError):  # not weakly referable: asked every time, as by Flask
                self._plain_functions.add(func)
        return sync

    def url_for(self, /, endpoint: str, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        """Flask's, keeping in a request the URL of a page without arguments (历史记录, 修改密码, the site's links)
        or of a static file, per endpoint and mount point: Flask built it again on every call (~3 µs; ~15 on the
        personal page). Such a URL depends on nothing else here: no URL-default functions, no host or subdomain
        matching; an external, anchored or method-specific URL, a blueprint-relative endpoint or a page with
        arguments (whose URLs are as many as its records) is built by Flask every time."""
        request_context = _cv_request.get(None)
        if (request_context is None or _anchor is not None or _method is not None or _scheme is not None
                or _external or endpoint[:1] == "." or (values and endpoint != "static") or self.url_default_functions
                or self.url_map.host_matching or self.subdomain_matching):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        key = (endpoint, request_context.request.script_root, *values.items())
        url = self._fixed_urls.get(key)
        if url is None:
            url = self._fixed_urls[key] = super().url_for(endpoint, **values)
        return url


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app. ``config`` is a Config class, or a mapping of overrides (tests); nothing here touches the DB."""
    app = Portal(__name__, instance_relative_config=True)
    load_config(app, config)
    register_proxy(app)
    register_extensions(app)
    init_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind N reverse proxies (``PORTAL_PROXY_COUNT``), trust their X-Forwarded-* headers when the request comes
    from one of them (``PORTAL_TRUSTED_PROXIES``), so that rate limits and audit rows see the client's address
    rather than the proxy's, and nobody else can choose it."""
    count = app.config["PROXY_COUNT"]
    if count:
        from .core import TrustedProxyFix

        app.wsgi_app = TrustedProxyFix(app.wsgi_app, count, app.config["TRUSTED_PROXIES"])


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables with the metadata
    from .auth import init_login
    from .extensions import babel, csrf, db, limiter, migrate
    from .forms import use_fast_html_params
    from .i18n import numeric_date_filters, selected_locale, template_gettext, translation_directories

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    use_fast_html_params()
    limiter.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(app)
    babel.init_app(app, locale_selector=selected_locale)
    app.context_processor(template_gettext)
    numeric_date_filters(app)
    init_login(app)
    from .jobs import init_jobs

    init_jobs(app)


def register_blueprints(app: Flask) -> None:
    from .applicant import bp as applicant_bp
    from .applicant import public_bp
    from .core import bp as core_bp
    from .reviewer import init_console

    app.register_blueprint(core_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(applicant_bp)
    init_console(app)


def register_request_hooks(app: Flask) -> None:
    from .core import SessionCookies
    from .transaction import init_transactions

    app.session_interface = SessionCookies()
    init_transactions(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from .cli import init_commands

    init_commands(app)
