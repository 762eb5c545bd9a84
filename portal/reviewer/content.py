"""Central staff only: registration bodies (注册机构联系方式), announcements (公告信息) and documents (注册表格,
相关制度) — what the public pages show. Every change is audit-logged."""

from __future__ import annotations

import enum
import re
from pathlib import Path

from flask import current_app
from flask_babel import format_datetime
from wtforms import SelectField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp, ValidationError

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Body, BodyKind, Category, Document, DocumentKind
from ..services.infrastructure import kept_bodies
from ..services.infrastructure.audit import record
from .forms import select_choices
from .gate import CentralOnlyModelView, ChoiceFilter, current_staff


class EnumSelectField(SelectField):
    """A select over an enum's members, labelled in the user's language; stores the member (or None)."""

    def __init__(self, label=None, validators=None, enum_cls=None, members=None, allow_blank=False, **kwargs):
        members = list(members or enum_cls)
        choices = select_choices(((member.value, member.label) for member in members), "—" if allow_blank else None)
        kwargs.pop("choices", None)
        super().__init__(label, validators, choices=choices, **kwargs)
        self.enum_cls = enum_cls

    def process_data(self, value):
        self.data = value.value if isinstance(value, enum.Enum) else value

    def populate_obj(self, obj, name):
        setattr(obj, name, self.enum_cls(self.data) if self.data else None)


class AuditedModelView(CentralOnlyModelView):
    """Create / edit (/ delete) through Flask-Admin's forms, each change leaving an audit row."""

    can_create = True
    can_edit = True
    simple_list_pager = False  # small tables
    #: Flask-Admin's bulk delete passes the ids as text, which PostgreSQL refuses for integer keys; rows are
    #: deleted one at a time from the list instead
    action_disallowed_list = ["delete"]
    audit_name = "record"

    def describe(self, model) -> str:
        return str(model)

    def on_model_change(self, form, model, is_created):
        db.session.flush()
        record(f"{self.audit_name}.{'create' if is_created else 'update'}",
               f"{'新增' if is_created else '修改'}{self.audit_label}：{self.describe(model)}",
               staff=current_staff(), target=model)

    def on_model_delete(self, model):
        record(f"{self.audit_name}.delete", f"删除{self.audit_label}：{self.describe(model)}", staff=current_staff(),
               target=model)


class BodyView(AuditedModelView):
    """注册机构: names and contact details shown on 注册机构联系方式查询."""

    audit_name, audit_label = "body", "注册机构"
    column_list = ["code", "name", "kind", "province", "phone", "fax", "email"]
    column_labels = {"code": _l("代码"), "name": _l("名称"), "kind": _l("类型"), "province": _l("省份"),
                     "category": _l("专业类别"), "address": _l("地址"), "postcode": _l("邮政编码"),
                     "phone": _l("电话"), "fax": _l("传真"), "email": _l("电子邮箱"), "sort_order": _l("排序")}
    column_formatters = {"kind": lambda v, c, m, n: m.kind.label}
    column_searchable_list = ["name", "code", "province"]
    column_filters = [ChoiceFilter(Body.kind, _l("类型"), BodyKind.choices())]
    column_default_sort = ("sort_order", False)
    column_sortable_list = ["code", "name", "sort_order"]
    page_size = 50
    form_columns = ["code", "name", "kind", "province", "category", "address", "postcode", "phone", "fax", "email",
                    "sort_order"]
    form_overrides = {"kind": EnumSelectField, "category": EnumSelectField}
    form_args = {
        "code": {"label": _l("代码"), "validators": [
            DataRequired(), Regexp(r"^[0-9A-Z]{2,12}$", message=_l("代码应为2至12位数字或大写字母。"))],
            "description": _l("省级注册机构为所在省份的行政区划代码，例如 210000。")},
        "name": {"label": _l("名称"), "validators": [DataRequired(), Length(max=100)]},
        "kind": {"label": _l("类型"), "enum_cls": BodyKind,
                 "members": [kind for kind in BodyKind if kind is not BodyKind.CENTRAL]},
        "category": {"label": _l("专业类别"), "enum_cls": Category, "allow_blank": True,
                     "description": _l("部门注册机构负责的专业类别，例如住房和城乡建设部：建筑施工安全。")},
        "email": {"label": _l("电子邮箱"), "validators": [Optional(), Email(_l("电子邮箱格式不正确。"))]},
        "postcode": {"label": _l("邮政编码"),
                     "validators": [Optional(), Regexp(r"^\d{6}$", message=_l("邮政编码应为6位数字。"))]},
    }

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.code  # codes identify bodies in imports and staff accounts: fixed once created
        if obj is not None and obj.kind is BodyKind.CENTRAL:
            del form.kind
        return form

    def describe(self, model) -> str:
        return f"{model.code} {model.name}"

    def after_model_change(self, form, model, is_created):
        kept_bodies.forget()  # the lists' 注册机构 filter and the applicants' pages show the change at once


class AnnouncementView(AuditedModelView):
    """公告信息 on the home page."""

    audit_name, audit_label = "announcement", "公告"
    can_delete = True
    column_list = ["title", "published", "published_at"]
    column_labels = {"title": _l("标题"), "body": _l("内容"), "published": _l("发布"), "published_at": _l("发布时间")}
    column_formatters = {"published_at": lambda v, c, m, n: format_datetime(m.published_at, "yyyy-MM-dd HH:mm")}
    column_default_sort = ("published_at", True)
    column_sortable_list = ["published_at", "title"]
    column_searchable_list = ["title"]
    form_columns = ["title", "body", "published"]
    form_args = {"title": {"label": _l("标题"), "validators": [DataRequired(), Length(max=200)]},
                 "body": {"label": _l("内容"), "validators": [DataRequired()]},
                 "published": {"label": _l("在首页发布")}}
    form_widget_args = {"body": {"rows": 12}}

    def describe(self, model) -> str:
        return model.title


def _form_templates() -> list[tuple[str, str]]:
    folder = Path(current_app.root_path) / "templates" / "pdf" / "forms"
    names = sorted(path.name for path in folder.glob("*.html") if re.fullmatch(r"[a-z0-9_]+\.html", path.name)
                   and not path.name.startswith("_")) if folder.exists() else []
    return select_choices(((name, name) for name in names), "—")


def _web_url(form, field):
    if field.data and not field.data.startswith(("http://", "https://")):
        raise ValidationError(_l("链接必须以 http:// 或 https:// 开头。"))


class DocumentView(AuditedModelView):
    """注册表格 (blank forms printed from a template) and 相关制度 (regulations: text and/or official link)."""

    audit_name, audit_label = "document", "文件"
    can_delete = True
    column_list = ["kind", "title", "issued_by", "sort_order"]
    column_labels = {"kind": _l("类别"), "title": _l("标题"), "template": _l("表格模板"), "url": _l("官方链接"),
                     "body": _l("正文"), "issued_by": _l("发文机关及文号"), "sort_order": _l("排序")}
    column_formatters = {"kind": lambda v, c, m, n: m.kind.label}
    column_filters = [ChoiceFilter(Document.kind, _l("类别"), [(kind.value, kind.label) for kind in DocumentKind])]
    column_default_sort = ("sort_order", False)
    form_columns = ["kind", "title", "issued_by", "template", "url", "body", "sort_order"]
    form_overrides = {"kind": EnumSelectField, "template": SelectField}
    form_args = {
        "kind": {"label": _l("类别"), "enum_cls": DocumentKind},
        "title": {"label": _l("标题"), "validators": [DataRequired(), Length(max=200)]},
        "template": {"label": _l("表格模板"), "choices": _form_templates, "validate_choice": False,
                     "description": _l("仅注册表格：用于生成可下载 PDF 的模板。")},
        "url": {"label": _l("官方链接"), "validators": [Optional(), URL(message=_l("链接格式不正确。")), _web_url]},
    }

    def on_model_change(self, form, model, is_created):
        if model.template and model.template not in {choice.value for choice in _form_templates()}:
            raise ValidationError(_l("表格模板不存在。"))
        model.template = model.template or None
        super().on_model_change(form, model, is_created)

    def describe(self, model) -> str:
        return model.title
