"""Flask-Admin's own words (列表, 创建, 筛选, 搜索 …) in Chinese.

Flask-Admin translates its chrome with its own gettext domain ("admin") and ships the Chinese catalog as
``zh_Hans_CN``; the portal's locale is plain ``zh`` (portal/i18n.py), for which gettext finds no Flask-Admin
catalog. So the console loads the shipped catalog once, adds a few wordings of its own, and registers it as the
"admin" domain's translation for ``zh``. English ("en") is Flask-Admin's source language and needs nothing.
"""

from __future__ import annotations

import io

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

#: wordings that read better in this console than the shipped catalog's
OVERRIDES = {
    "Home": "首页",
    "Filter": "筛选",
    "Add Filter": "添加筛选条件",
    "Reset Filters": "清除筛选",
    "Apply": "确定",
    "between": "介于",
    "not between": "不介于",
    "equals": "等于",
    "not equal": "不等于",
    "contains": "包含",
    "Export": "导出",
    "items": "条",
    "Permission denied.": "无权进行此操作。",
    "There are no items in the table.": "没有符合条件的记录。",
    "Record does not exist.": "记录不存在。",
    "Record was successfully saved.": "保存成功。",
    "Record was successfully created.": "创建成功。",
    "Failed to save record.": "保存失败，请检查填写的内容。",
    "Failed to create record.": "创建失败，请检查填写的内容。",
    "With selected": "对选中项",
    "View Record": "查看",
    "Edit Record": "编辑",
    "Save and Continue Editing": "保存并继续编辑",
    "Save and Add Another": "保存并继续添加",
    "Invalid Filter Value: %(value)s": "筛选条件的值无效：%(value)s",
}


def _overrides() -> Translations:
    catalog = Catalog(locale="zh")
    for msgid, msgstr in OVERRIDES.items():
        catalog.add(msgid, msgstr)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="admin")


def use_chinese_admin_chrome() -> None:
    """Make Flask-Admin's "admin" domain answer in Chinese for the portal's ``zh`` locale (idempotent)."""
    from flask_admin import babel as admin_babel
    from flask_admin import translations

    key = ("zh", "admin")
    if key in admin_babel.domain.cache:
        return
    shipped = Translations.load(translations.__path__[0], ["zh_Hans_CN"], "admin")
    combined = _overrides()
    if isinstance(shipped, Translations):
        shipped.merge(combined)
        combined = shipped
    admin_babel.domain.cache[key] = combined
