"""Forms of the console (all Flask-WTF forms, ``SiteForm``: the app-wide CSRF protection covers them)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from ..forms import CaptchaField, SiteForm, select_choices
from ..i18n import lazy_gettext as _l
from ..models import IdType, StaffRole
from ..services.corrections import GENDERS, MAX_FAX_PAGES, MAX_REASON
from ..services.infrastructure.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH


class StaffLoginForm(SiteForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])
    captcha = CaptchaField()


class ChangePasswordForm(SiteForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。")), Length(max=PASSWORD_MAX_LENGTH)],
                        description=_l("至少8位，可以是由几个词组成的长短语（最多128位）；不能使用常见或容易猜到的密码，"
                                       "也不能包含用户名、姓名或姓名拼音。"))
    confirm = PasswordField(_l("再次输入新密码"), validators=[DataRequired(_l("请再次输入新密码。")),
                                                       EqualTo("new", _l("两次输入的新密码不一致。"))])


class RecordForm(SiteForm):
    """A button that acts on one record (解锁, 重置密码, 予以更正): the record's id and the CSRF token."""

    id = HiddenField(validators=[DataRequired()])


class DecisionForm(RecordForm):
    """通过 / 退回 / 不通过 / 准予 / 不予: the version the reviewer saw, and the reason where one is required.
    退回 adds the ticked checklist items; ``queue`` carries the queue the reviewer came from (for 「…并下一条」,
    which its button sends as ``then=next``), and ``confirmed`` is set by the confirmation page."""

    version = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("理由"), validators=[Optional(), Length(max=MAX_REASON,
                                                                      message=_l("理由不能超过2000个字。"))],
                           filters=[lambda text: text.replace("\r\n", "\n") if text else text])  # browsers send CRLF
    items = SelectMultipleField(_l("需要补正的材料"), choices=[], validate_choice=False)
    queue = HiddenField()
    then = HiddenField()
    confirmed = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ReasonForm(RecordForm):
    """不予更正: a reason is required."""

    reason = TextAreaField(_l("不予更正的理由"), validators=[
        DataRequired(_l("请填写不予更正的理由。")), Length(max=MAX_REASON, message=_l("理由不能超过2000个字。"))])


def _id_type_choices():
    return select_choices(IdType.choices())


class CorrectionForm(SiteForm):
    """证件信息更正: the values on the applicant's documents (pre-filled with the record), the reason and the fax."""

    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=50)])
    gender = SelectField(_l("性别"), choices=select_choices((value, value) for value in GENDERS),
                         validators=[DataRequired(_l("请选择性别。"))])
    birth_date = DateField(_l("出生日期"), validators=[InputRequired(_l("请填写出生日期。"))])
    id_type = SelectField(_l("证件类型"), choices=_id_type_choices, validators=[DataRequired()])
    id_number = StringField(_l("证件号码"), validators=[DataRequired(_l("请填写证件号码。")), Length(max=32)])
    reason = TextAreaField(_l("更正原因"), validators=[DataRequired(_l("请填写更正原因。")), Length(max=MAX_REASON)],
                           description=_l("写明错误的情况和依据的证件、证明，例如：身份证号码录入错误，依据居民身份证原件更正。"))
    fax_date = DateField(_l("传真日期"), validators=[InputRequired(_l("请填写传真日期。"))],
                         description=_l("盖章的证件、证明传真至注册管理中心的日期。"))
    fax_pages = IntegerField(_l("传真页数"), validators=[
        InputRequired(_l("请填写传真页数。")),
        NumberRange(1, MAX_FAX_PAGES, _l("传真页数应为1至%(max)d页。", max=MAX_FAX_PAGES))])
    scan = FileField(_l("传真扫描件（可选）"), description=_l("PDF、PNG 或 JPEG 文件。"))


class StaffCreateForm(SiteForm):
    """A new console account (central staff only); the password is hashed by the service, never stored as typed."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=50)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=50)])
    role = SelectField(_l("角色"), choices=select_choices((role.value, role.label) for role in StaffRole))
    body = SelectField(_l("所属注册机构"), choices=[], validate_choice=False)
    password = PasswordField(_l("初始密码"),
                             validators=[DataRequired(_l("请填写初始密码。")), Length(max=PASSWORD_MAX_LENGTH)],
                             description=_l("至少8位，不能使用常见或容易猜到的密码，也不能包含用户名、姓名或姓名拼音。"
                                            "首次登录后须修改。"))
    confirm = PasswordField(_l("再次输入初始密码"), validators=[DataRequired(_l("请再次输入初始密码。")),
                                                         EqualTo("password", _l("两次输入的密码不一致。"))])
