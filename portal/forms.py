"""Form pieces shared by both sides: the base forms (``SiteForm``; ``PortalForm``, which also refuses control
characters), the captcha field (验证码), the 手机号码 / 电子邮箱 validators, and a faster rendering of the fields'
HTML attributes (``html_params``)."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

import wtforms.widgets
import wtforms.widgets.core
from babel import support
from flask import current_app, session
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation, ValidationError

from .clock import utcnow
from .i18n import lazy_gettext as _l
from .services.infrastructure.challenges import consume_challenge
from .validators import EmailError, MobileError, normalize_email, normalize_mobile

SESSION_KEY = "captcha_id"

#: C0 control characters other than tab, line feed and carriage return, and DEL: no keyboard types them, and
#: PostgreSQL refuses NUL in text
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = _l("不能包含控制字符。")


def has_control_characters(value) -> bool:
    """Whether a submitted value holds a control character (tabs and line breaks are ordinary text)."""
    return isinstance(value, str) and _CONTROL_CHARACTERS.search(value) is not None


class NoControlCharacters:
    """WTForms validator, put first on every field of a ``PortalForm``: a value with a control character gets one
    message beside its field, before the field's own rules, its parse error or a service see the value."""

    def __call__(self, form, field) -> None:
        if any(has_control_characters(value) for value in field.raw_data or ()):
            field.errors.clear()  # a parse error of the same value would only repeat the problem
            raise StopValidation(CONTROL_CHARACTERS_MESSAGE)


class SiteForm(FlaskForm):
    """The base of every form of the portal, on both sides: Flask-WTF's form (CSRF token, the request's data), with
    WTForms' own messages (``Not a valid choice.`` …) in the request's language read once per language (Flask-WTF
    reads and parses that catalogue file again in every request that builds a form: ~12 % of the home page's CPU,
    ``bench/cpu_ab.py``; issue 10)."""

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_catalogue(str(get_locale()))


class PortalForm(SiteForm):
    """The base of the applicant side's forms: every field refuses control characters (``NoControlCharacters``),
    so none is ever stored. Fields name their validators by keyword, as all of ours do."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            validators = [NoControlCharacters(), *(unbound_field.kwargs.get("validators") or ())]
            return super().bind_field(form, unbound_field, {**options, "validators": validators})


@lru_cache(maxsize=8)
def wtforms_catalogue(language: str) -> support.Translations:
    """WTForms' catalogue of its own messages (``Not a valid choice.`` …) in ``language``, as Flask-WTF loads it."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class CaptchaField(StringField):
    """验证码: checked against the challenge whose image this session was last shown; single use.

    Switched off by ``PORTAL_CAPTCHA_ENABLED=false`` (automated tests only).
    """

    def __init__(self, label=None, **kwargs):
        super().__init__(label or _l("验证码"), **kwargs)

    def pre_validate(self, form) -> None:
        if not current_app.config["CAPTCHA_ENABLED"]:
            return
        if not (self.data or "").strip():
            raise ValidationError(_l("请输入验证码。"))
        if not consume_challenge(session.pop(SESSION_KEY, None), self.data, current_app.config["SECRET_KEY"],
                                 utcnow()):
            raise ValidationError(_l("验证码不正确或已过期，请重新输入。"))

    def _value(self) -> str:
        return ""  # never echo a used answer back into the form


def captcha_ttl() -> timedelta:
    return timedelta(seconds=current_app.config["CAPTCHA_TTL_SECONDS"])


def select_choices(pairs, blank=None) -> list[SelectChoice]:
    """Options of a select from (value, label) pairs, with an optional empty first option (WTForms 3.3 wants
    SelectChoice objects; tuples are deprecated)."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


class Mobile:
    """WTForms validator: ``portal.validators.normalize_mobile`` (the same rule as the data import).

    The field keeps the normalised number (full-width digits folded, spaces and hyphens dropped).
    """

    def __call__(self, form, field) -> None:
        try:
            field.data = normalize_mobile(field.data)
        except MobileError as error:
            raise ValidationError(_l(str(error))) from error


class EmailAddress:
    """WTForms validator: ``portal.validators.normalize_email`` (email-validator, as the data import).

    Put it after ``Optional()`` or a required check; the field keeps the normalised address.
    """

    def __call__(self, form, field) -> None:
        try:
            field.data = normalize_email(field.data)
        except EmailError as error:
            raise ValidationError(_l(str(error))) from error


#: WTForms' own ``html_params``, before ``use_fast_html_params`` (the tests compare the two)
WTFORMS_HTML_PARAMS = wtforms.widgets.core.html_params
_QUOTE, _QUOTE_ENTITY = Markup('"'), Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """WTForms' ``html_params``, with the same output for the same arguments: the attributes sorted by name,
    ``class_`` / ``for_`` without the underscore, ``data_`` and ``aria_`` names hyphenated, True as a bare name,
    False left out, every name and value escaped. WTForms formats each attribute with ``Markup.format``, a
    pure-Python string formatter that was ~10 % of the home page's CPU (its login form's fields and options,
    ``bench/cpu_ab.py``; every form page pays it; issue 10)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(wtforms.widgets.core.clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"')
    return Markup(" ".join(params))  # noqa: S704 - every part escaped above


def use_fast_html_params() -> None:
    """Render every WTForms widget's attributes with ``html_params`` above: the module's function (which ``Select``
    and its options call) and the widgets' ``html_params`` attribute (which the inputs, text areas and buttons
    call). Process-wide, and the same HTML as before (tests/test_forms_rendering.py)."""
    for module in (wtforms.widgets.core, wtforms.widgets):
        module.html_params = html_params
    for widget in vars(wtforms.widgets.core).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
