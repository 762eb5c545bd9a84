"""Fixed code lists of the regulations: 证件类型, 专业类别, 单位属性, body kinds.

Each enum stores a short English code in the database; ``label`` is the Chinese text of the guide (translatable).
CSV imports write the Chinese label, see ``from_label``.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from ..i18n import lazy_gettext as _l


class LabelledEnum(str, enum.Enum):  # noqa: UP042 - str() gives the label, unlike StrEnum
    """A str enum whose members carry a translatable label."""

    def __new__(cls, code: str, text: str):
        member = str.__new__(cls, code)
        member._value_ = code
        member.text = text  #: the Chinese wording of the guide, as written in CSV files
        member.label = _l(text)
        return member

    def __str__(self) -> str:
        return str(self.label)

    @classmethod
    def from_label(cls, text: str):
        """The member whose Chinese label (or code) is ``text``; ValueError otherwise."""
        text = (text or "").strip()
        for member in cls:
            if text in (member.value, member.text):
                return member
        raise ValueError(text)

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]


class IdType(LabelledEnum):
    RESIDENT_ID = "resident_id", "居民身份证"
    OFFICER = "officer", "军官证"
    PASSPORT = "passport", "护照"
    HK_MACAO = "hk_macao", "港澳居民来往内地通行证"
    TAIWAN = "taiwan", "台湾居民来往大陆通行证"
    FOREIGN_PR = "foreign_pr", "外国人永久居留身份证"


class Category(LabelledEnum):
    """专业类别 (注册类别)."""

    COAL = "coal", "煤矿安全"
    METAL_MINE = "metal_mine", "金属非金属矿山安全"
    CHEMICAL = "chemical", "化工安全"
    METALLURGY = "metallurgy", "金属冶炼安全"
    CONSTRUCTION = "construction", "建筑施工安全"
    ROAD = "road", "道路运输安全"
    OTHER = "other", "其他安全（不包括消防安全）"


class EmployerKind(LabelledEnum):
    """单位属性."""

    PRODUCTION = "production", "生产经营单位"
    SERVICE = "service", "安全生产专业服务机构"
    TRAINING = "training", "安全培训机构"
    GOVERNMENT = "government", "安全生产监管部门"
    INSTITUTION = "institution", "事业单位"
    OTHER = "other", "其他"


class BodyKind(LabelledEnum):
    PROVINCE = "province", "省级注册机构"
    DEPARTMENT = "department", "部门注册机构"
    ENTERPRISE = "enterprise", "备案央企"
    CENTRAL = "central", "注册管理中心"


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """A portable enum column: VARCHAR holding the member's code (no native PostgreSQL type to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
