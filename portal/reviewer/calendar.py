"""工作日历 (central staff only): the days the working-day calendar takes from this table rather than from the
``chinesecalendar`` package — next year's holidays and 调休 days once the State Council publishes them, before the
package is upgraded, or a correction. Every change is audit-logged and takes effect at once."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, ValidationError

from ..extensions import db
from ..forms import select_choices
from ..i18n import lazy_gettext as _l
from ..models import CalendarDay
from ..services.infrastructure import workdays
from .content import AuditedModelView
from .gate import ChoiceFilter


def _one_row_a_day(form, field):
    if field.data is None:
        return
    if not workdays.FIRST_DAY <= field.data <= workdays.LAST_DAY:
        raise ValidationError(_l("日期超出工作日历的范围。"))
    existing = db.session.scalar(select(CalendarDay).where(CalendarDay.day == field.data))
    if existing is not None and existing.id != getattr(form, "_obj_id", None):
        raise ValidationError(_l("该日期已有记录，请修改原记录。"))


class WorkdayChoice(SelectField):
    """休息日 / 工作日 over the boolean column."""

    def process_data(self, value):
        self.data = "1" if value else "0" if value is not None else None

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data == "1")


class CalendarDayView(AuditedModelView):
    audit_name, audit_label = "calendar_day", "工作日历"
    can_delete = True
    column_list = ["day", "is_workday", "name"]
    column_labels = {"day": _l("日期"), "is_workday": _l("类型"), "name": _l("说明")}
    column_formatters = {"day": lambda v, c, m, n: m.day.isoformat(),
                         "is_workday": lambda v, c, m, n: _l("工作日（调休上班）") if m.is_workday else _l("休息日")}
    column_default_sort = ("day", True)
    column_sortable_list = ["day"]
    column_filters = [ChoiceFilter(CalendarDay.is_workday, _l("类型"), [("1", _l("工作日")), ("0", _l("休息日"))])]
    page_size = 50
    form_columns = ["day", "is_workday", "name"]
    form_overrides = {"is_workday": WorkdayChoice}
    form_args = {
        "day": {"label": _l("日期"), "validators": [DataRequired(message=_l("请填写日期。")), _one_row_a_day],
                "format": "%Y-%m-%d", "description": _l("格式：YYYY-MM-DD。")},
        "is_workday": {"label": _l("类型"),
                       "choices": select_choices([("0", _l("休息日（法定节假日）")), ("1", _l("工作日（调休上班）"))])},
        "name": {"label": _l("说明"),
                 "validators": [DataRequired(message=_l("请填写说明，例如：春节。")), Length(max=50)],
                 "description": _l("例如：元旦、春节、国庆节、春节调休上班。")},
    }
    list_template = "reviewer/calendar_list.html"

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._obj_id = obj.id if obj is not None else None
        return form

    def describe(self, model) -> str:
        return f"{model.day:%Y-%m-%d} {'工作日' if model.is_workday else '休息日'} {model.name}"

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        workdays.forget()

    def on_model_delete(self, model):
        super().on_model_delete(model)
        workdays.forget()

    def after_model_delete(self, model):
        workdays.forget()

    def render(self, template, **kwargs):
        kwargs.setdefault("package_years", workdays.PACKAGE_YEARS)
        return super().render(template, **kwargs)
