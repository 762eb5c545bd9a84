"""The forms of the steps only the kinds besides 延续注册 have (资格信息, 变更事项, 注销原因) and of their 聘用单位信息
with the routed body. As in ``renewal_forms``, the forms parse and bound the input; the rules live in
``portal.services.registration.wizard`` and come back as messages beside the fields."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PortalForm, select_choices
from ..i18n import lazy_gettext as _l
from ..models import Category
from ..services.registration.kinds import HOLDER_REASONS
from ..services.registration.wizard import CHANGE_TYPES, MAX_NOTE, MAX_REASON
from .renewal_forms import EmployerForm, _max


class ExamForm(PortalForm):
    """资格信息: the exam pass is shown read-only; the applicant confirms the 专业类别 to register."""

    category = SelectField(_l("注册专业类别"), validate_choice=False,
                           choices=select_choices(Category.choices(), blank=_l("请选择")),
                           validators=[InputRequired(message=_l("请选择注册的专业类别。"))],
                           description=_l("按考试合格的专业类别申请注册"))
    confirm = BooleanField(_l("以上资格信息是我本人的，准确无误。"))


class ChangeForm(PortalForm):
    """变更事项: one or more types, the new 专业类别 where it changes, the reason."""

    types = SelectMultipleField(_l("变更事项"), validate_choice=False, choices=select_choices(CHANGE_TYPES.items()),
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    new_category = SelectField(_l("变更后的专业类别"), validate_choice=False,
                               choices=select_choices(Category.choices(), blank=_l("请选择")),
                               validators=[Optional()])
    reason = TextAreaField(_l("变更原因"), validators=[InputRequired(message=_l("请填写变更原因。")), _max(MAX_REASON)])


class CancellationForm(PortalForm):
    """注销原因: one of the holder's reasons and a note (required for 其他)."""

    reason = RadioField(_l("注销原因"), validate_choice=False, choices=select_choices(HOLDER_REASONS.items()),
                        validators=[InputRequired(message=_l("请选择注销原因。"))])
    note = StringField(_l("说明"), validators=[Optional(), _max(MAX_NOTE)],
                       description=_l("选择“其他”时必填"))


class RoutedEmployerForm(EmployerForm):
    """聘用单位信息 of the kinds whose body is routed: the employer, whether it is a filed central enterprise
    (备案央企), and the routed body the applicant confirms (``confirm_body``: the body the page showed)."""

    body_id = None
    enterprise_body_id = SelectField(_l("备案央企"), coerce=str, validate_choice=False, validators=[Optional()],
                                     description=_l("聘用单位是已备案的中央企业（或其所属单位）的，请选择该企业；"
                                                    "其他单位不选"))
    confirm_body = HiddenField()

    def set_enterprises(self, bodies) -> None:
        self.enterprise_body_id.choices = select_choices([(str(body.id), body.name) for body in bodies],
                                                         blank=_l("不是备案央企"))
