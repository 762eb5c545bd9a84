"""Pages of the whole site: language switch, health and readiness checks, and what guards every request (security
headers, same-origin forms, the trusted reverse proxies)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from ipaddress import ip_address, ip_network
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, otherwise ``fallback`` (no open redirect, and no control
    character, which a Location header may not carry)."""
    if target and not any(ord(char) < 32 or ord(char) == 127 for char in target):
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return fallback


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface between 中文 and English, then go back to the page the user was on."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("public.index")))


@bp.get("/captcha.png")
@limiter.limit("60 per minute")
def captcha_image():
    """A new 验证码 image for this session (click the image to get another); the answer stays on the server."""
    from .clock import utcnow
    from .forms import SESSION_KEY, captcha_ttl
    from .services.infrastructure.captcha import captcha_png
    from .services.infrastructure.challenges import new_challenge

    challenge_id, text = new_challenge(current_app.config["SECRET_KEY"], utcnow(), captcha_ttl())
    session[SESSION_KEY] = challenge_id
    response = Response(captcha_png(text), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico before reading the page's icon link."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


#: /healthz's answer, as ``jsonify({"status": "ok"})`` writes it, made once
_HEALTHY = b'{"status":"ok"}\n'


@bp.get("/healthz")
def healthz():
    """Liveness probe for the load balancer (and the baseline endpoint of the benchmarks): the process answers;
    it touches neither the database nor Redis."""
    return Response(_HEALTHY, mimetype="application/json")


@limiter.request_filter
def _probe_is_not_limited() -> bool:
    """/healthz skips the rate limiter before it resolves any limit (a third of the probe's cost otherwise)."""
    return request.endpoint == "core.healthz"


@bp.get("/readyz")
def readyz():
    """Readiness probe: 200 when the database (and Redis, when ``REDIS_URL`` is set) answer; otherwise 503 and
    which of them does not."""
    checks = {"database": _database_check()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis_check(current_app.config["REDIS_URL"])
    ready = all(state == "ok" for state in checks.values())
    response = {"status": "ok" if ready else "unavailable", "checks": checks}
    return response, 200 if ready else 503, {"Cache-Control": "no-store"}


def _database_check() -> str:
    import sqlalchemy as sa

    from .extensions import db

    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("Readiness: the database is unreachable: %s", getattr(error, "orig", None) or error)
        return "unreachable"
    return "ok"


def _redis_check(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        current_app.logger.warning("Readiness: Redis is unreachable: %s", error)
        return "unreachable"
    finally:
        client.close()
    return "ok"


#: Scripts come only from this site's files (portal/static/js/, Flask-Admin's static files): no inline script
#: or event handler runs. Styles may still be inline (the console's frame, Flask-Admin's widgets); everything else
#: is locked to this site, and no other site may frame the portal.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src {scripts}; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")
#: Flask-Admin's filter menu writes onclick="return false;" on each item (its own script handles the click): on
#: the console's pages that one no-op handler is allowed by its hash, and no other inline code
CONSOLE_NOOP_HANDLER = "return false;"
_NOOP_HASH = base64.b64encode(hashlib.sha256(CONSOLE_NOOP_HANDLER.encode()).digest()).decode()
SITE_POLICY = CONTENT_SECURITY_POLICY.format(scripts="'self'")
CONSOLE_POLICY = CONTENT_SECURITY_POLICY.format(scripts=f"'self' 'unsafe-hashes' 'sha256-{_NOOP_HASH}'")

#: requests that change something, which must come from a page of this site
STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@bp.before_app_request
def same_origin_only() -> None:
    """A form posted from another site is refused (the Chinese 400 page), over HTTPS and plain HTTP alike.
    Browsers name the posting page's origin in ``Origin`` (and its address in ``Referer``): a present
    ``Origin`` must be this site; without one, a present ``Referer`` must be. ``Origin: null`` names no site
    (a page with ``Referrer-Policy: no-referrer`` such as 设置新密码, a sandboxed frame), so it counts as
    absent. A request with neither header relies on the CSRF token alone."""
    if request.method not in STATE_CHANGING_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin not in (None, "null"):
        header, source = "Origin", origin
    else:
        header, source = "Referer", request.headers.get("Referer")
    if source is not None and _authority(urlsplit(source).netloc) != _authority(request.host):
        raise CSRFError(f"{header} {source!r} is not this site ({request.host})")


def _authority(netloc: str) -> str:
    """Host and port as compared for "same site": lower case, without the default port of http or https (the
    scheme is not compared, so a TLS proxy that does not forward it still works)."""
    return netloc.lower().removesuffix(":80").removesuffix(":443")


#: what every response carries unless its view set the header itself: (name, lower-case name, value)
_COMMON_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                   ("Referrer-Policy", "same-origin"))
_SITE_HEADERS = tuple((name, name.lower(), value) for name, value in
                      (("Content-Security-Policy", SITE_POLICY), *_COMMON_HEADERS))
_CONSOLE_HEADERS = tuple((name, name.lower(), value) for name, value in
                         (("Content-Security-Policy", CONSOLE_POLICY), *_COMMON_HEADERS))


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Headers every page gets; pages of a logged-in user are never stored by the browser or a proxy, so the
    back button after 安全退出 shows nothing personal. (One pass over the headers a view set: werkzeug's
    ``setdefault`` raises and catches a KeyError for every header not yet there, ~6 µs each.)"""
    path = request.path
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    for name, lower, value in _CONSOLE_HEADERS if path.startswith("/reviewer") else _SITE_HEADERS:
        if lower not in present:
            headers.add(name, value)
    signed_in = "_user_id" in session  # not current_user: loading the user here could re-enter the login machinery
    if signed_in or path.startswith(("/applicant/", "/reviewer/")):
        headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def template_helpers() -> dict:
    """Helpers every template may use."""
    from .validators import mask_id_number

    return {
        "endpoint_exists": lambda name: name in current_app.view_functions,
        "get_locale": get_locale,
        "mask_id": mask_id_number,
    }


#: the ``app.extensions`` key of the site frame's parts kept by ``kept``
_KEPT_PARTS = "site_frame"


@bp.app_template_global()
def kept(name: str, caller) -> Markup:
    """A part of the site's frame (base.html) whose output depends only on the language, the app and where it is
    mounted — the brand, the navigation bar, the footer — rendered once per process and kept:
    ``{% call kept("nav") %}…{% endcall %}``. What it renders must not read the request, the user or the session;
    anything else it depends on goes into ``name`` (the footer with or without the idle warning). Saves the
    translations, ``url_for`` calls and loops of those parts on every page (~0.15 ms of CPU; issue 10). A few
    entries per language, never evicted."""
    parts = current_app.extensions.setdefault(_KEPT_PARTS, {})
    key = (str(get_locale()), request.script_root, name)
    found = parts.get(key)
    if found is None:
        found = parts[key] = Markup(caller())  # noqa: S704 - a rendered template part, escaped there
    return found


@bp.app_template_global()
def body_name(body_id: int | None) -> str | None:
    """The name of the registration body ``body_id`` as the process keeps it (``kept_bodies``; None for none)."""
    from .services.infrastructure import kept_bodies

    return kept_bodies.name_of(body_id)


class TrustedProxyFix:
    """WSGI middleware: werkzeug's ProxyFix (``count`` proxies) for requests that arrive from one of the
    ``trusted`` addresses or networks (``PORTAL_TRUSTED_PROXIES``), or over a Unix socket; anyone else's
    X-Forwarded-* headers are ignored, so a client that reaches the app directly cannot choose the address the
    rate limits and the audit log see."""

    def __init__(self, wsgi_app, count: int, trusted: Iterable[str]):
        self.direct = wsgi_app
        self.proxied = ProxyFix(wsgi_app, x_for=count, x_proto=count, x_host=count)
        self.trusted = [ip_network(network, strict=False) for network in trusted]

    def is_trusted(self, remote_addr: str | None) -> bool:
        if not remote_addr:
            return remote_addr == ""  # a Unix socket: only a local process (the proxy) can connect
        try:
            address = ip_address(remote_addr)
        except ValueError:
            return False
        address = getattr(address, "ipv4_mapped", None) or address  # ::ffff:127.0.0.1 from a dual-stack socket
        return any(address in network for network in self.trusted)

    def __call__(self, environ, start_response):
        app = self.proxied if self.is_trusted(environ.get("REMOTE_ADDR")) else self.direct
        return app(environ, start_response)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer made once per secret key (Flask builds a new one on
    every request, cookie or not: ~10 µs of a request's fixed cost)."""

    def __init__(self):
        self._serializers: dict = {}

    def open_session(self, app: Flask, request):
        """As Flask's, without parsing the cookies of a request that has none (a probe, a first visit)."""
        if "HTTP_COOKIE" not in request.environ and self.get_signing_serializer(app) is not None:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        """As Flask's. A session that is and stays empty (a probe, a visitor's page that wrote nothing in it) has
        no cookie to set or delete: it only gets ``Vary: Cookie`` when it was read, written straight into a
        response without a Vary header yet (Flask first looks up its seven cookie settings and werkzeug parses and
        rebuilds the header as a set: ~7 % of a /healthz, ``bench/cpu_ab.py``)."""
        if not session and not session.modified:
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer
