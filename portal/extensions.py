"""Extension objects, created unbound; ``create_app`` binds them."""

from functools import cached_property, partial

from flask import current_app, g, request, session
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, generate_csrf
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PortalCSRF(CSRFProtect):
    """Flask-WTF's CSRF protection,

    - asking the request's method first: a GET, HEAD or OPTIONS request is never checked, and Flask-WTF looked up
      the view's exemptions before finding that out, on every request;
    - with the templates' ``csrf_token()`` signing each session's token once per process (``kept_csrf_token``).
      Flask-WTF's context processor, which only gave every template its two template globals again, is not kept."""

    def protect(self, apply_exemptions=False):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions)

    def init_app(self, app):
        processors = app.template_context_processors[None]
        before = list(processors)
        super().init_app(app)
        processors[:] = before
        app.jinja_env.globals["csrf_token"] = kept_csrf_token


#: the ``app.extensions`` key of the signed CSRF tokens kept by ``kept_csrf_token``, and how many it keeps
_SIGNED_TOKENS = "signed_csrf_tokens"
SIGNED_TOKENS_KEPT = 10_000


def kept_csrf_token() -> str:
    """The templates' ``csrf_token()``: Flask-WTF's ``generate_csrf``, each session's token signed once per process
    and kept. Flask-WTF signs it again on every page that shows a form, with the time in the signature (~0.1 ms of
    the personal page, whose 安全退出 is a form; issue 10). The portal checks no token's age
    (``WTF_CSRF_TIME_LIMIT = None``: a token lasts as long as its session), so a token signed earlier is accepted
    exactly like a fresh one; with a time limit set, every page signs afresh as before. Keyed by the secret and the
    session's token; emptied when full, so a process keeps at most ``SIGNED_TOKENS_KEPT``."""
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    token = g.get(field)
    if token is not None:
        return token  # the request's, as Flask-WTF keeps it
    if current_app.config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    signed = current_app.extensions.setdefault(_SIGNED_TOKENS, {})
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    token = signed.get((secret, session.get(field)))
    if token is None:
        token = generate_csrf()  # which gives the session its token first if it has none
        if len(signed) >= SIGNED_TOKENS_KEPT:
            signed.clear()
        signed[(secret, session[field])] = token
    setattr(g, field, token)  # where Flask-WTF keeps the request's token: its forms on the page reuse it
    return token


class PortalBabel(Babel):
    """Flask-Babel with the portal's message domain (``portal.i18n.PortalDomain``: the request's catalogue found
    once, not for every string)."""

    @cached_property
    def domain_instance(self):
        from .i18n import PortalDomain

        return PortalDomain(domain=self.domain)


class PortalLimiter(Limiter):
    """Flask-Limiter, skipping at once the checks that can find no limit to apply:

    - before every view, when no limit is checked there: a route's own limits (``@limiter.limit``) are checked by
      their decorator when the view runs, and what is left for the check before the view — application, default,
      blueprint, meta and in-memory fallback limits — the portal does not set. Flask-Limiter still resolved an
      empty list of limits and made its per-request state for every page (~0.1 ms of the personal page);
    - a request its request filters exempt (``/healthz``, core.py): Flask-Limiter still evaluated an empty list of
      limits and the meta limits for it (a third of the probe's cost). Without meta limits (the portal sets none)
      nothing else would have been checked."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and not self._limits_before_views():
            return
        if not self._meta_limits and any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _limits_before_views(self) -> bool:
        """Whether the check before a view has any limit to apply (or a lost storage to look after); read on every
        request, so a limit set after start-up (``limiter.limit`` on a blueprint) is checked from then on."""
        manager = self.limit_manager
        return bool(manager._application_limits or manager._default_limits or manager._blueprint_limits
                    or self._meta_limits or self._in_memory_fallback or self._storage_dead)

    def init_app(self, app):
        """Flask-Limiter's hooks after the view and at the request's end read its per-request state, creating it
        when the request never used it (an exempt request such as /healthz): they are wrapped to return at once
        then, since a state never made holds no deduction, no limit for the headers and nothing to reset."""
        super().init_app(app)
        for hooks in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
            for index, hook in enumerate(hooks):
                if getattr(hook, "__self__", None) is self or (isinstance(hook, partial) and hook.args == (self,)):
                    hooks[index] = partial(_if_limiter_used, hook)


def _if_limiter_used(hook, value=None):
    """Run Flask-Limiter's ``hook`` only when this request has Flask-Limiter's state; else pass ``value`` on."""
    if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):
        return hook(value)
    return value


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = PortalCSRF()
babel = PortalBabel()
limiter = PortalLimiter(key_func=get_remote_address, default_limits=[])
