"""One form per step of the 延续注册 wizard. The forms parse and bound the input; the rules (dates in order,
no overlaps, 学时 range, 统一社会信用代码 check) live in ``portal.services.renewal`` (records, wizard) and come back
as messages beside the fields."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..forms import EmailAddress, Mobile, PortalForm, select_choices
from ..i18n import lazy_gettext as _l
from ..models import BodyKind, EmployerKind

EDUCATION_LEVELS = ("博士研究生", "硕士研究生", "大学本科", "大学专科", "中等专科", "高中及以下")


def _required(label):
    return InputRequired(message=_l("请填写%(label)s。", label=label))


def _max(length: int) -> Length:
    return Length(max=length, message=_l("不能超过%(max)d个字。", max=length))


class DateInput(DateField):
    """A date picker whose parse error is a Chinese sentence."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("日期格式不正确，请按“年-月-日”填写。")) from error


class WholeNumber(IntegerField):
    """An integer input whose parse error is a Chinese sentence."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("请填写整数。")) from error


class PersonalForm(PortalForm):
    """Step 1 个人基本信息 (name, ID, gender and birth date are shown read-only)."""

    education = StringField(_l("学历"), validators=[_required(_l("学历")), _max(20)],
                            description=_l("如：大学本科、硕士研究生"))
    major = StringField(_l("所学专业"), validators=[_required(_l("所学专业")), _max(50)])
    title = StringField(_l("技术职称"), validators=[Optional(), _max(50)])
    mobile = StringField(_l("手机号码"), validators=[_required(_l("手机号码")), _max(20), Mobile()])
    email = StringField(_l("电子邮箱"), validators=[Optional(), _max(120), EmailAddress()],
                        description=_l("用于“忘记密码”找回密码"))
    address = StringField(_l("通讯地址"), validators=[_required(_l("通讯地址")), _max(200)])
    postcode = StringField(_l("邮政编码"), validators=[Optional(), _max(6)])


class EmployerForm(PortalForm):
    """Step 2 聘用单位信息 and the registration body that runs 初审."""

    name = StringField(_l("单位名称"), validators=[_required(_l("单位名称")), _max(200)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[_required(_l("统一社会信用代码")),
                                                                  _max(30)],
                              description=_l("18位，见营业执照或事业单位法人证书"))
    kind = SelectField(_l("单位属性"), validate_choice=False,
                       choices=select_choices(EmployerKind.choices(), blank=_l("请选择")),
                       validators=[InputRequired(message=_l("请选择单位属性。"))])
    address = StringField(_l("单位地址"), validators=[_required(_l("单位地址")), _max(200)])
    contact_person = StringField(_l("联系人"), validators=[_required(_l("联系人")), _max(50)])
    contact_phone = StringField(_l("联系电话"), validators=[_required(_l("联系电话")), _max(50)])
    body_id = SelectField(_l("受理注册机构"), coerce=str, validate_choice=False,
                          validators=[InputRequired(message=_l("请选择受理初审的注册机构。"))],
                          description=_l("打印的申请表加盖聘用单位公章后，报送该注册机构初审"))

    def set_bodies(self, bodies) -> None:
        """Choices grouped as 省级注册机构 / 部门注册机构 / 备案央企."""
        self.body_id.choices = [SelectChoice("", _l("请选择"))] + [
            SelectChoice(str(body.id), body.name, optgroup=str(BodyKind(body.kind).label)) for body in bodies]


class EducationForm(PortalForm):
    """Step 3: one continuing-education entry."""

    course = StringField(_l("培训课程"), validators=[_required(_l("培训课程")), _max(100)])
    organiser = StringField(_l("培训机构"), validators=[_required(_l("培训机构")), _max(100)])
    start_date = DateInput(_l("开始日期"), validators=[InputRequired(message=_l("请填写开始日期。"))])
    end_date = DateInput(_l("结束日期"), validators=[InputRequired(message=_l("请填写结束日期。"))])
    hours = WholeNumber(_l("学时"), validators=[InputRequired(message=_l("请填写学时。"))])


class WorkForm(PortalForm):
    """Step 4: one work-history row; an empty end date means 至今."""

    start_date = DateInput(_l("开始日期"), validators=[InputRequired(message=_l("请填写开始日期。"))])
    end_date = DateInput(_l("结束日期"), validators=[Optional()], description=_l("仍在该单位工作的，请留空（至今）"))
    employer_name = StringField(_l("工作单位"), validators=[_required(_l("工作单位")), _max(200)])
    position = StringField(_l("职务"), validators=[Optional(), _max(100)])
    duties = TextAreaField(_l("从事安全生产工作内容"), validators=[Optional(), _max(500)])


class SubmitForm(PortalForm):
    """Step 6 上报: the explicit confirmation."""

    confirm = BooleanField(_l("本人承诺：所填写的信息真实、准确、完整，如有虚假，愿承担相应的法律责任。"))

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("请先勾选确认，再上报。"))


class ActionForm(PortalForm):
    """A button that changes something (下一步, 删除, 撤回): only the CSRF token."""
