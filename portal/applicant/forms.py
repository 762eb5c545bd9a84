"""Forms of the applicant accounts: login, 设置密码, 忘记密码, password change, completion, ID upgrade.

Labels are the guide's words. Rules that belong to the domain (password strength, identity matching) are checked
by portal.services.accounts.applicants; ``attach_error`` puts its message beside the field it names.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import CaptchaField, EmailAddress, Mobile, PortalForm, select_choices
from ..i18n import lazy_gettext as _l
from ..models import Category, EmployerKind, IdType
from ..services.accounts.applicants import HOLDER, PASSER
from ..services.errors import DomainError
from ..services.infrastructure.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH


def _coerce_enum(enum_cls):
    def coerce(value):
        if value in (None, "") or isinstance(value, enum_cls):
            return value or None
        try:
            return enum_cls(value)
        except ValueError:
            return None
    return coerce


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _required(message):
    return DataRequired(message=message)


def id_type_field():
    return SelectField(_l("证件类型"), choices=select_choices(IdType.choices()), default=IdType.RESIDENT_ID.value,
                       coerce=_coerce_enum(IdType), validators=[InputRequired(message=_l("请选择证件类型。"))])


def id_number_field():
    return StringField(_l("证件号码"), validators=[_required(_l("请输入证件号码。")), Length(max=40)],
                       render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "characters"})


def name_field():
    return StringField(_l("姓名"), validators=[_required(_l("请输入姓名。")), Length(max=50)],
                       render_kw={"autocomplete": "name"})


def new_password_fields():
    password = PasswordField(_l("新密码"), validators=[_required(_l("请输入新密码。"))],
                             description=_l("至少8位，可以是由几个词组成的长短语（最多128位）；不能使用常见或容易猜到的"
                                            "密码，也不能包含您的证件号码、出生日期或姓名拼音。"),
                             render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX_LENGTH})
    confirm = PasswordField(_l("确认新密码"), validators=[_required(_l("请再次输入新密码。"))],
                            render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX_LENGTH})
    return password, confirm


class LoginForm(PortalForm):
    """注册申请登录 (guide 一.2, 图14)."""

    id_type = id_type_field()
    id_number = id_number_field()
    password = PasswordField(_l("密码"), validators=[_required(_l("请输入密码。"))],
                             render_kw={"autocomplete": "current-password"})
    captcha = CaptchaField()
    next = HiddenField()
    submit = SubmitField(_l("登录"))


class IdentityForm(PortalForm):
    """设置密码, step 1: identity verification (guide 图18)."""

    kind = RadioField(_l("人员类别"), default=HOLDER, choices=select_choices([
        (HOLDER, _l("已获得《注册安全工程师执业证》的人员")),
        (PASSER, _l("考试合格、尚未取得执业证的人员")),
    ]), validators=[InputRequired(message=_l("请选择人员类别。"))])
    name = name_field()
    id_type = id_type_field()
    id_number = id_number_field()
    captcha = CaptchaField()
    submit = SubmitField(_l("下一步"))


class SetPasswordForm(PortalForm):
    """设置密码, step 2 (guide 图19); also the page a 忘记密码 link opens."""

    password, confirm = new_password_fields()
    submit = SubmitField(_l("设置密码"))


class ForgotPasswordForm(PortalForm):
    """忘记密码 (guide 图20): only for users whose registration information holds an email address."""

    name = name_field()
    id_type = id_type_field()
    id_number = id_number_field()
    email = StringField(_l("电子邮箱"), validators=[_required(_l("请输入注册信息中留存的电子邮箱。")),
                                                Length(max=120), EmailAddress()],
                        filters=[_strip], render_kw={"autocomplete": "email", "inputmode": "email"})
    captcha = CaptchaField()
    submit = SubmitField(_l("发送找回密码邮件"))


class ChangePasswordForm(PortalForm):
    """修改密码; the forced change of a temporary password set by a registration body."""

    current_password = PasswordField(_l("当前密码"), validators=[_required(_l("请输入当前密码。"))],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()
    submit = SubmitField(_l("修改密码"))


class CompleteProfileForm(PortalForm):
    """首次登录补全信息 (guide 四, 图55)."""

    category = SelectField(_l("注册类别"), choices=select_choices(Category.choices(), blank=_l("请选择")),
                           coerce=_coerce_enum(Category), validators=[_required(_l("请选择注册类别。"))])
    employer_kind = SelectField(_l("单位属性"), choices=select_choices(EmployerKind.choices(), blank=_l("请选择")),
                                coerce=_coerce_enum(EmployerKind), validators=[_required(_l("请选择单位属性。"))])
    mobile = StringField(_l("手机号码"), validators=[_required(_l("请输入手机号码。")), Length(max=20), Mobile()],
                         render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20})
    email = StringField(_l("电子邮箱"), validators=[Optional(), Length(max=120), EmailAddress()],
                        description=_l("留存电子邮箱后，忘记密码时可通过邮件找回。"), filters=[_strip],
                        render_kw={"inputmode": "email", "autocomplete": "email"})
    submit = SubmitField(_l("保存"))


class UpdateIdForm(PortalForm):
    """更新身份证号 (guide 五, 图56)."""

    new_id_number = StringField(_l("新身份证号码（18位）"),
                                validators=[_required(_l("请输入18位身份证号码。")), Length(max=40)],
                                render_kw={"maxlength": 18, "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField(_l("更新身份证号"))


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's message beside its field, or above the form when it names none."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class TakeOverForm(PortalForm):
    """「结束其他登录并继续」: only the CSRF token (who is in the session's take-over ticket)."""
