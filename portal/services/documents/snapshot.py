"""The application snapshot: everything the 申请表 shows, frozen at 上报 into ``Application.snapshot`` (JSON).

One typed structure shared by the side that writes it (``renewal/submission.build_snapshot``) and the side that
prints it (``documents/application_form``). Values are display-ready strings in Chinese (labels, not codes) and
dates are ISO strings. ``from_json`` accepts older or partial snapshots (demonstration data, earlier forms): a
missing value reads as an empty string, so a form never fails to print.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _text(value) -> str:
    return "" if value is None else str(value)


class _Part:
    """Built from a mapping: known keys only, missing ones empty."""

    @classmethod
    def from_json(cls, data: dict | None):
        data = data if isinstance(data, dict) else {}
        return cls(**{f.name: _text(data.get(f.name)) for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class PersonPart(_Part):
    name: str = ""
    gender: str = ""
    birth_date: str = ""
    id_type: str = ""  #: the 证件类型 as printed (居民身份证 …)
    id_number: str = ""
    category: str = ""  #: 专业类别 as printed
    education: str = ""
    major: str = ""
    title: str = ""
    mobile: str = ""
    email: str = ""
    address: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class CertificatePart(_Part):
    number: str = ""
    category: str = ""
    valid_from: str = ""
    valid_until: str = ""


@dataclass(frozen=True)
class EmployerPart(_Part):
    name: str = ""
    credit_code: str = ""
    kind: str = ""  #: 单位属性 as printed
    address: str = ""
    contact_person: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class BodyPart:
    id: int | None = None
    code: str = ""
    name: str = ""

    @classmethod
    def from_json(cls, data: dict | None) -> BodyPart:
        data = data if isinstance(data, dict) else {}
        return cls(id=data.get("id"), code=_text(data.get("code")), name=_text(data.get("name")))


@dataclass(frozen=True)
class EducationEntry:
    course: str = ""
    organiser: str = ""
    start_date: str = ""
    end_date: str = ""
    hours: int | str = ""
    counted: bool = True  #: inside the current registration period

    @classmethod
    def from_json(cls, data: dict) -> EducationEntry:
        return cls(course=_text(data.get("course")), organiser=_text(data.get("organiser")),
                   start_date=_text(data.get("start_date")), end_date=_text(data.get("end_date")),
                   hours=data.get("hours", ""), counted=bool(data.get("counted", True)))


@dataclass(frozen=True)
class Education:
    entries: tuple[EducationEntry, ...] = ()
    total: int | str = ""
    required: int | str = ""
    period_from: str = ""
    period_to: str = ""

    @classmethod
    def from_json(cls, data: dict | None) -> Education:
        data = data if isinstance(data, dict) else {}
        return cls(entries=tuple(EducationEntry.from_json(entry) for entry in data.get("entries", [])),
                   total=data.get("total", ""), required=data.get("required", ""),
                   period_from=_text(data.get("period_from")), period_to=_text(data.get("period_to")))


@dataclass(frozen=True)
class WorkRow(_Part):
    start_date: str = ""
    end_date: str = ""  #: empty: 至今
    employer_name: str = ""
    position: str = ""
    duties: str = ""


@dataclass(frozen=True)
class ExamPart(_Part):
    """The exam pass an 初始 / 逾期初始 / 重新注册 rests on (资格证书)."""

    qualification_no: str = ""  #: 资格证书编号 (管理号)
    exam_year: str = ""
    qualified_on: str = ""  #: ISO date of the 资格证书
    category: str = ""  #: 专业类别 of the exam, as printed


@dataclass(frozen=True)
class ChangePart(_Part):
    """A 变更注册: what changes. The new employer is the snapshot's ``employer``."""

    types: str = ""  #: "、"-joined Chinese list, e.g. "变更聘用单位、变更专业类别"
    old_employer_name: str = ""
    old_credit_code: str = ""
    old_category: str = ""
    new_category: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CancellationPart(_Part):
    """A 注销注册: its reason (the holder's) or ground (the body's), and who filed it."""

    reason: str = ""
    ground: str = ""
    filed_by: str = ""  #: "本人" or the filing body's name


@dataclass(frozen=True)
class MaterialRow:
    """One line of the 附件清单: a checklist item and what was supplied for it."""

    item_label: str = ""
    count: int | str = ""
    pages: int | str = ""

    @classmethod
    def from_json(cls, data: dict) -> MaterialRow:
        return cls(item_label=_text(data.get("item_label")), count=data.get("count", ""),
                   pages=data.get("pages", ""))


def _rows(row_class, data) -> tuple:
    """A list of row mappings; anything else (missing, junk) reads as no rows."""
    return tuple(row_class.from_json(row) for row in data if isinstance(row, dict)) if isinstance(data, list) else ()


@dataclass(frozen=True)
class ApplicationSnapshot:
    kind: str = ""  #: ApplicationKind value
    date: str = ""  #: the registry's date of 上报 (填表日期)
    person: PersonPart = field(default_factory=PersonPart)
    certificate: CertificatePart = field(default_factory=CertificatePart)
    employer: EmployerPart = field(default_factory=EmployerPart)
    body: BodyPart = field(default_factory=BodyPart)
    education: Education = field(default_factory=Education)
    work: tuple[WorkRow, ...] = ()
    exam: ExamPart = field(default_factory=ExamPart)  #: initial, late_initial, reregistration
    change: ChangePart = field(default_factory=ChangePart)  #: change
    cancellation: CancellationPart = field(default_factory=CancellationPart)  #: cancellation
    materials: tuple[MaterialRow, ...] = ()  #: the 附件清单

    @classmethod
    def from_json(cls, data: dict | None) -> ApplicationSnapshot:
        data = data if isinstance(data, dict) else {}
        return cls(kind=_text(data.get("kind")), date=_text(data.get("date")),
                   person=PersonPart.from_json(data.get("person")),
                   certificate=CertificatePart.from_json(data.get("certificate")),
                   employer=EmployerPart.from_json(data.get("employer")),
                   body=BodyPart.from_json(data.get("body")),
                   education=Education.from_json(data.get("education")),
                   work=_rows(WorkRow, data.get("work")),
                   exam=ExamPart.from_json(data.get("exam")),
                   change=ChangePart.from_json(data.get("change")),
                   cancellation=CancellationPart.from_json(data.get("cancellation")),
                   materials=_rows(MaterialRow, data.get("materials")))

    def to_json(self) -> dict:
        """The JSON stored in ``Application.snapshot``."""
        data = asdict(self)
        data["work"] = list(data["work"])
        data["materials"] = list(data["materials"])
        data["education"]["entries"] = list(data["education"]["entries"])
        return data
