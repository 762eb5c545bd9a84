"""Pages of the whole site: language switch and a health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, request, session, url_for

from .extensions import limiter

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, otherwise ``fallback`` (no open redirect)."""
    if target:
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


@bp.get("/healthz")
def healthz():
    """Liveness probe for the load balancer (and the baseline endpoint of the benchmarks)."""
    return {"status": "ok"}


#: Inline event handlers are used by a few confirmation buttons and Flask-Admin, so scripts stay 'self' +
#: inline; everything else is locked to this site, and no other site may frame the portal.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Headers every page gets; pages of a logged-in user are never stored by the browser or a proxy, so the
    back button after 安全退出 shows nothing personal."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    signed_in = "_user_id" in session  # not current_user: loading the user here could re-enter the login machinery
    if signed_in or request.path.startswith(("/applicant/", "/reviewer/")):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def template_helpers() -> dict:
    """Helpers every template may use."""
    from flask_babel import get_locale

    from .validators import mask_id_number

    return {
        "endpoint_exists": lambda name: name in current_app.view_functions,
        "get_locale": get_locale,
        "mask_id": mask_id_number,
    }
