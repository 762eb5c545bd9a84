"""Chinese is the UI's own language (the guide's words are the msgids); English is the translation.

Each area keeps its own catalog (``portal/translations/<area>/en/LC_MESSAGES/messages.po``) so that work on one
area does not conflict with another; Flask-Babel merges them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from weakref import WeakKeyDictionary

import flask_babel
from babel import Locale
from flask import Flask, current_app, g, has_request_context, session
from flask.globals import _cv_app
from flask_babel import Domain, format_date, format_datetime, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

from . import clock


def translation_directories(app: Flask) -> str:
    root = Path(app.root_path) / "translations"
    areas = sorted(str(path) for path in root.iterdir() if path.is_dir()) if root.exists() else []
    return ";".join(areas) or str(root)


def select_locale() -> str:
    """The language chosen with the header's switch (kept in the session); Chinese otherwise."""
    if has_request_context() and session.get("lang") in current_app.config["LANGUAGES"]:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def selected_locale() -> Locale:
    """Flask-Babel's locale selector: ``select_locale``'s language as one ``babel.Locale`` per language for the
    process (given the language's code, Flask-Babel parsed it into a new Locale in every request)."""
    return _locale(select_locale())


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


class PortalDomain(Domain):
    """Flask-Babel's message domain, remembering the request's catalogue beside the request's locale: Flask-Babel
    looked up ``g`` three times and formatted the locale's name for every string translated in Python (the
    功能目录's kinds, summaries and reasons). The catalogue is looked up again whenever the locale is not the one
    it was found for (``force_locale``, ``refresh``)."""

    def get_translations(self):
        try:
            state = g._get_current_object()._flask_babel
        except (RuntimeError, AttributeError):  # outside an app context, or before Flask-Babel's first look
            return super().get_translations()
        locale = getattr(state, "babel_locale", None)
        if locale is None:  # the locale not chosen yet
            return super().get_translations()
        translations = _remembered(state, self)
        if translations is None:
            translations = super().get_translations()
            state.portal_catalogue = (locale, self, translations)
        return translations


def _remembered(state, domain: Domain):
    """The catalogue remembered on Flask-Babel's request ``state`` for ``domain``, if the state's locale is still
    the one it was found for; else None."""
    remembered = getattr(state, "portal_catalogue", None)
    if remembered is None or remembered[0] is not getattr(state, "babel_locale", None) or remembered[1] is not domain:
        return None
    return remembered[2]


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext``: the message in the request's language, formatted with ``variables``. Once the
    request has looked up its catalogue (``PortalDomain``), the catalogue is read from the request's state directly:
    Flask-Babel's own path looks up ``g`` three times and the domain and the catalogue again for every message (~9 µs
    a message instead of ~2; the personal page translates 30 in Python: its kinds, states and reasons; issue 10).
    Otherwise, and outside a request, Flask-Babel's."""
    translations = remembered_catalogue()
    if translations is None:
        return flask_babel.gettext(string, **variables)
    text = translations.ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """``flask_babel.lazy_gettext``, translated by ``gettext`` above when it is shown."""
    return LazyString(gettext, string, **variables)


def remembered_catalogue():
    """The catalogue ``PortalDomain.get_translations`` remembered for the app context's domain and locale, if still
    current; else None."""
    context = _cv_app.get(None)
    if context is None:
        return None
    state = context.g.__dict__.get("_flask_babel")
    return _remembered(state, getattr(state, "babel_domain", None))


#: each catalogue's template ``gettext``, made once (the catalogues live as long as the process)
_TEMPLATE_GETTEXT: WeakKeyDictionary = WeakKeyDictionary()


def template_gettext() -> dict:
    """Context processor: a template's ``_()`` and ``gettext()`` read the catalogue of the language being rendered,
    looked up once per render. (Flask-Babel's own looks up ``g``, the locale and the domain again for every string:
    ~10 µs each, 50 strings on the personal page.) Same result as Jinja's newstyle gettext: the translation is
    marked safe under autoescape and always formatted with the call's variables."""
    translations = get_translations()
    gettext = _TEMPLATE_GETTEXT.get(translations)
    if gettext is None:
        gettext = _TEMPLATE_GETTEXT[translations] = _newstyle_gettext(translations.ugettext)
    return {"_": gettext, "gettext": gettext}


def _newstyle_gettext(translate):
    """Jinja's newstyle gettext over ``translate``. (A template loaded by the app has its calls of a literal alone
    translated when it is compiled: ``templating.PortalEnvironment``.)"""

    @pass_context
    def gettext(__context, __string, **variables):
        rv = translate(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - the catalogue's own text, marked safe as Jinja's gettext does
        return rv % variables

    return gettext


def numeric_date_filters(app: Flask) -> None:
    """The templates' ``dateformat`` and ``datetimeformat`` (Flask-Babel's), written directly for the two patterns
    the portal shows, ``yyyy-MM-dd`` and ``yyyy-MM-dd HH:mm``: they are digits and dashes in every language, and
    Flask-Babel looked up the locale, the time zone and the pattern's formatter for every date (~20 µs each; the
    personal page shows a dozen; issue 10). A moment is shown in the time zone Flask-Babel would use, the registry's
    ``TIMEZONE`` (as ``clock.timezone()``: the standard library's zone converts in a fraction of pytz's time), a naive
    one taken as UTC as Flask-Babel does; any other pattern or value goes to Flask-Babel."""
    app.jinja_env.filters.update(dateformat=_dateformat, datetimeformat=_datetimeformat)


def _digits(moment: date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def _dateformat(value=None, format=None, rebase=True):
    if format == "yyyy-MM-dd" and type(value) is date:
        return _digits(value)
    return format_date(value, format, rebase)


def _datetimeformat(value=None, format=None, rebase=True):
    # (before 1950 Flask-Babel's pytz rounds a zone's local mean time to the minute: that is left to it)
    if format in ("yyyy-MM-dd", "yyyy-MM-dd HH:mm") and type(value) is datetime and rebase and value.year >= 1950:
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(clock.timezone())
        if format == "yyyy-MM-dd":
            return _digits(moment)
        return f"{_digits(moment)} {moment.hour:02d}:{moment.minute:02d}"
    return format_datetime(value, format, rebase)
