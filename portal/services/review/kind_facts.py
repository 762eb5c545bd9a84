"""What the console's detail page shows of an application's own kind (「申请事项」): the exam pass of an 初始 /
逾期初始 / 重新注册 cross-checked against the exam records, the CE hours it needed, what a 变更 changes, and the
reason, ground and filer of a 注销. Everything comes from the frozen snapshot (``Application.snapshot``), read
tolerantly: an older or partial snapshot shows empty values, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, ExamRecord
from ...validators import mask_id_number
from ..documents.snapshot import ApplicationSnapshot

K = ApplicationKind
#: the kinds that rest on an exam pass (资格证书)
EXAM_KINDS = frozenset({K.INITIAL, K.LATE_INITIAL, K.REREGISTRATION})
#: the kinds that need continuing education for the elapsed or lapsed years
EDUCATION_KINDS = frozenset({K.LATE_INITIAL, K.REREGISTRATION})


@dataclass(frozen=True)
class Compared:
    """One value of the exam pass: as the application states it, and as the exam records hold it."""

    label: object
    stated: str
    recorded: str | None  #: None: there is no exam record to compare with

    @property
    def same(self) -> bool:
        return self.recorded is not None and _plain(self.stated) == _plain(self.recorded)


@dataclass(frozen=True)
class ExamCheck:
    rows: tuple[Compared, ...]
    record: ExamRecord | None
    #: the exam record has no 资格证书 date: 1 January after the exam year is taken
    assumed_date: bool
    #: the exam record belongs to someone else than the applicant (another ID number)
    other_holder: bool

    @property
    def consistent(self) -> bool:
        return self.record is not None and not self.other_holder and all(row.same for row in self.rows)


@dataclass(frozen=True)
class KindFacts:
    kind: ApplicationKind
    snapshot: ApplicationSnapshot
    exam: ExamCheck | None
    #: 继续教育: (hours counted, hours required) for the kinds that need it, else None
    education: tuple[str, str] | None
    #: a 变更: [(what, old, new)]
    changes: tuple[tuple[object, str, str], ...]
    #: a 注销 filed by a registration body: its reviewer's name and body
    filed_by: str

    @property
    def education_met(self) -> bool | None:
        if self.education is None:
            return None
        try:
            return float(self.education[0]) >= float(self.education[1])
        except ValueError:
            return None

    @property
    def empty(self) -> bool:
        """Nothing of the kind's own to show (a 延续注册, whose form shows it all)."""
        return self.kind is K.RENEWAL


def _plain(value: str) -> str:
    return "".join(str(value or "").split()).upper()


def _find_record(application: Application, qualification_no: str) -> ExamRecord | None:
    if application.exam_record is not None:
        return application.exam_record
    if not qualification_no:
        return None
    return db.session.scalar(select(ExamRecord).where(ExamRecord.qualification_no == qualification_no.strip()))


def exam_check(application: Application, snapshot: ApplicationSnapshot) -> ExamCheck | None:
    """The exam pass stated in the application beside the exam record it rests on (``exam_record_id``, else the
    record with the stated 资格证书编号)."""
    if application.kind not in EXAM_KINDS:
        return None
    exam = snapshot.exam
    record = _find_record(application, exam.qualification_no)
    if record is None and not exam.qualification_no and application.kind is K.REREGISTRATION:
        return None  # a former holder without an exam record here (imported registrations): nothing to compare
    assumed = record is not None and record.qualified_on is None
    recorded_on = None
    if record is not None:
        recorded_on = (record.qualified_on or date(record.exam_year + 1, 1, 1)).isoformat()
    rows = (
        Compared(_l("资格证书编号"), exam.qualification_no, record.qualification_no if record else None),
        Compared(_l("考试年度"), exam.exam_year, str(record.exam_year) if record else None),
        Compared(_l("资格证书日期"), exam.qualified_on, recorded_on),
        Compared(_l("专业类别"), exam.category,
                 (record.category.text if record.category else "") if record else None),
    )
    other = record is not None and _plain(record.id_number) != _plain(application.person.id_number)
    return ExamCheck(rows=rows, record=record, assumed_date=assumed, other_holder=other)


def _changes(snapshot: ApplicationSnapshot) -> tuple[tuple[object, str, str], ...]:
    change, employer = snapshot.change, snapshot.employer
    rows = []
    if change.old_employer_name or change.old_credit_code:
        old = " ".join(part for part in (change.old_employer_name, change.old_credit_code) if part)
        new = " ".join(part for part in (employer.name, employer.credit_code) if part)
        if _plain(old) != _plain(new):
            rows.append((_l("聘用单位"), old, new))
    if change.new_category and change.old_category != change.new_category:
        rows.append((_l("专业类别"), change.old_category, change.new_category))
    return tuple(rows)


def facts(application: Application) -> KindFacts:
    """The kind's own facts of ``application`` for the detail page."""
    snapshot = ApplicationSnapshot.from_json(application.snapshot)
    education = None
    if application.kind in EDUCATION_KINDS:
        education = (str(snapshot.education.total), str(snapshot.education.required))
    filed_by = ""
    if application.filed_by is not None:
        staff = application.filed_by
        filed_by = f"{staff.body.name if staff.body else ''} {staff.name}".strip()
    return KindFacts(kind=application.kind, snapshot=snapshot, exam=exam_check(application, snapshot),
                     education=education, changes=_changes(snapshot), filed_by=filed_by)


def masked_holder(record: ExamRecord) -> str:
    return f"{record.name} {mask_id_number(record.id_number)}"
