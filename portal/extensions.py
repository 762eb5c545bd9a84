"""Extension objects, created unbound; ``create_app`` binds them."""

from functools import cached_property

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
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
    """Flask-WTF's CSRF protection, asking the request's method first: a GET, HEAD or OPTIONS request is never
    checked, and Flask-WTF looked up the view's exemptions before finding that out, on every request."""

    def protect(self, apply_exemptions=False):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions)


class PortalBabel(Babel):
    """Flask-Babel with the portal's message domain (``portal.i18n.PortalDomain``: the request's catalogue found
    once, not for every string)."""

    @cached_property
    def domain_instance(self):
        from .i18n import PortalDomain

        return PortalDomain(domain=self.domain)


class PortalLimiter(Limiter):
    """Flask-Limiter, skipping a request its request filters exempt (``/healthz``, core.py) at once: Flask-Limiter
    still evaluated an empty list of limits and the meta limits for it (a third of the probe's cost). Without meta
    limits (the portal sets none) nothing else would have been checked."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if not self._meta_limits and any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name, in_middleware)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = PortalCSRF()
babel = PortalBabel()
limiter = PortalLimiter(key_func=get_remote_address, default_limits=[])
