"""Form pieces shared by both sides: the captcha field (验证码) and the 手机号码 / 电子邮箱 validators."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .clock import utcnow
from .services.infrastructure.challenges import consume_challenge
from .validators import EmailError, MobileError, normalize_email, normalize_mobile

SESSION_KEY = "captcha_id"


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
