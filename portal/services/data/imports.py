"""CSV imports (``flask --app wsgi import bodies|exam-records|registered FILE.csv``).

A file is all or nothing: every row is checked first, and each bad row is reported with its line number, the
column and why; only a file without errors is written. UTF-8 with or without a BOM (Excel writes one).
Re-importing a person or a certificate updates it instead of adding a duplicate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ... import clock
from ...extensions import db
from ...models import Body, BodyKind, Category, Certificate, Employer, ExamRecord, IdType, Person
from ...validators import (
    CreditCodeError,
    EmailError,
    IdNumberError,
    MobileError,
    birth_date_from_id,
    normalize_email,
    normalize_mobile,
    validate_credit_code,
    validate_id_number,
)
from ..infrastructure.audit import record

COLUMNS = {
    "bodies": ["code", "name", "kind", "province", "address", "phone", "fax", "email"],
    "exam-records": ["name", "id_type", "id_number", "exam_year", "qualification_no", "category"],
    "registered": ["name", "gender", "birth_date", "id_type", "id_number", "email", "mobile", "certificate_no",
                   "category", "body_code", "employer_name", "employer_credit_code", "valid_from", "valid_until"],
}
#: parse errors whose own message is shown (the others get the column's message)
_OWN_MESSAGES = (IdNumberError, CreditCodeError, EmailError, MobileError)


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行 {self.column}：{self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


class ImportFailed(Exception):
    """Nothing was loaded; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class _Row:
    """One CSV row being checked; collects the errors of its columns."""

    line: int
    raw: dict
    errors: list[RowError] = field(default_factory=list)

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = (self.raw.get(column) or "").strip()
        if not value:
            if required:
                self.fail(column, "不能为空")
            return None
        if len(value) > max_length:
            self.fail(column, f"长度不能超过{max_length}个字符")
            return None
        return value

    def parse(self, column: str, parser: Callable, *, required: bool = True, message: str | None = None,
              max_length: int = 200):
        """The column parsed; on a ValueError, ``message`` (or the error's own Chinese message) is reported."""
        value = self.text(column, required=required, max_length=max_length)
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as error:
            self.fail(column, str(error) if message is None or isinstance(error, _OWN_MESSAGES) else message)
            return None

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))


def read_rows(kind: str, data: bytes) -> Iterable[_Row]:
    """Decode and split a CSV file, checking its header; raises ImportFailed on an unreadable file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed([RowError(1, "-", f"文件不是UTF-8编码（字节位置{error.start}）")]) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in COLUMNS[kind] if name not in header]
    if missing:
        raise ImportFailed([RowError(1, ",".join(missing), "表头缺少这些列")])
    reader.fieldnames = header
    for raw in reader:
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue
        yield _Row(reader.line_num, raw)


def _iso_date(value: str) -> date:
    return date.fromisoformat(value)


def _check_id(row: _Row) -> tuple[IdType | None, str | None]:
    id_type = row.parse("id_type", IdType.from_label, message="证件类型不正确（应为居民身份证、护照等）")
    number = row.text("id_number", required=True, max_length=32)
    if id_type is None or number is None:
        return id_type, None
    try:
        return id_type, validate_id_number(id_type.value, number, allow_first_generation=True)
    except IdNumberError as error:
        row.fail("id_number", str(error))
        return id_type, None


def import_csv(kind: str, data: bytes) -> ImportResult:
    """Check then load one file of ``kind`` (bodies, exam-records, registered). Flushes; the caller commits."""
    checker, loader = _kind(kind)
    rows, errors = [], []
    for row in read_rows(kind, data):
        values = checker(row)
        errors.extend(row.errors)
        rows.append((row.line, values))
    errors.extend(_duplicates(kind, rows))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.line))
    result = loader(rows)
    db.session.flush()
    record(f"import.{kind}", f"导入 {kind}：新增 {result.created} 条，更新 {result.updated} 条")
    return result


def _duplicates(kind: str, rows: list[tuple[int, dict]]) -> list[RowError]:
    key_column = {"bodies": "code", "exam-records": "qualification_no", "registered": "certificate_no"}[kind]
    seen: dict[str, int] = {}
    errors = []
    for line, values in rows:
        key = values.get(key_column)
        if key in seen:
            errors.append(RowError(line, key_column, f"与第{seen[key]}行重复"))
        else:
            seen[key] = line
    return errors


# --- bodies ---------------------------------------------------------------------------------------------------

def _check_body(row: _Row) -> dict:
    values = {
        "code": row.text("code", required=True, max_length=12),
        "name": row.text("name", required=True, max_length=100),
        "kind": row.parse("kind", BodyKind, message="机构类型应为 province、department、enterprise 或 central"),
        "province": row.text("province", max_length=20),
        "address": row.text("address"),
        "phone": row.text("phone", max_length=50),
        "fax": row.text("fax", max_length=50),
        "email": row.parse("email", normalize_email, required=False, max_length=120),
    }
    if values["kind"] is BodyKind.PROVINCE and not values["province"]:
        row.fail("province", "省级注册机构必须填写省份")
    return values


def _load_bodies(rows: list[tuple[int, dict]]) -> ImportResult:
    return _upsert(Body, "code", rows, {body.code: body for body in db.session.scalars(select(Body))})


# --- exam records ---------------------------------------------------------------------------------------------

def _check_exam_record(row: _Row) -> dict:
    id_type, number = _check_id(row)

    def year(value: str) -> int:
        number = int(value)
        if not 2000 <= number <= clock.today().year:
            raise ValueError(value)
        return number

    return {
        "name": row.text("name", required=True, max_length=50),
        "id_type": id_type,
        "id_number": number,
        "exam_year": row.parse("exam_year", year, message="考试年度应为2000年至今的四位年份"),
        "qualification_no": row.text("qualification_no", required=True, max_length=32),
        "category": row.parse("category", Category.from_label, required=False, message="专业类别不正确"),
    }


def _load_exam_records(rows: list[tuple[int, dict]]) -> ImportResult:
    existing = {}
    for chunk in _chunks([values["qualification_no"] for _, values in rows]):
        existing.update({record.qualification_no: record for record in
                         db.session.scalars(select(ExamRecord).where(ExamRecord.qualification_no.in_(chunk)))})
    return _upsert(ExamRecord, "qualification_no", rows, existing)


def _upsert(model, key: str, rows: list[tuple[int, dict]], existing: dict) -> ImportResult:
    """Add the rows whose ``key`` is not in ``existing``, update the others in place."""
    result = ImportResult()
    for _, values in rows:
        found = existing.get(values[key])
        if found is None:
            db.session.add(model(**values))
            result.created += 1
        else:
            for name, value in values.items():
                setattr(found, name, value)
            result.updated += 1
    return result


# --- registered persons and their certificates ---------------------------------------------------------------

def _check_registered(row: _Row, body_ids: dict[str, int]) -> dict:
    id_type, number = _check_id(row)
    values = {
        "name": row.text("name", required=True, max_length=50),
        "gender": row.text("gender", required=True, max_length=2),
        "birth_date": row.parse("birth_date", _iso_date, message="出生日期应为 YYYY-MM-DD 格式的有效日期"),
        "id_type": id_type,
        "id_number": number,
        "email": row.parse("email", normalize_email, required=False, max_length=120),
        "mobile": row.parse("mobile", normalize_mobile, required=False, max_length=20),
        "certificate_no": row.text("certificate_no", required=True, max_length=32),
        "category": row.parse("category", Category.from_label, message="专业类别不正确"),
        "body_code": row.text("body_code", required=True, max_length=12),
        "employer_name": row.text("employer_name", max_length=200),
        "employer_credit_code": row.parse("employer_credit_code", validate_credit_code, required=False,
                                          message="统一社会信用代码不正确"),
        "valid_from": row.parse("valid_from", _iso_date, message="有效期起始日期应为 YYYY-MM-DD 格式的有效日期"),
        "valid_until": row.parse("valid_until", _iso_date, message="有效期截止日期应为 YYYY-MM-DD 格式的有效日期"),
    }
    if values["gender"] and values["gender"] not in ("男", "女"):
        row.fail("gender", "性别应为“男”或“女”")
    if values["body_code"] and values["body_code"] not in body_ids:
        row.fail("body_code", f"注册机构代码不存在：{values['body_code']}")
    if values["employer_credit_code"] and not values["employer_name"]:
        row.fail("employer_name", "填写了统一社会信用代码时必须填写单位名称")
    if values["valid_from"] and values["valid_until"] and values["valid_from"] >= values["valid_until"]:
        row.fail("valid_until", "有效期截止日期必须晚于起始日期")
    birth_date = values["birth_date"]
    if id_type is IdType.RESIDENT_ID and number and birth_date and birth_date_from_id(number) != birth_date:
        row.fail("birth_date", "出生日期与身份证号码不一致")
    return values


def _load_registered(rows: list[tuple[int, dict]]) -> ImportResult:
    result = ImportResult()
    body_ids = _body_ids()
    people = {}
    # By number alone (an index PostgreSQL uses for IN lists; a row-value IN over both columns made it scan).
    for chunk in _chunks(list({values["id_number"] for _, values in rows})):
        people.update({(p.id_type.value, p.id_number): p for p in
                       db.session.scalars(select(Person).where(Person.id_number.in_(chunk)))})
    certificates = {}
    for chunk in _chunks([values["certificate_no"] for _, values in rows]):
        certificates.update({c.number: c for c in
                             db.session.scalars(select(Certificate).where(Certificate.number.in_(chunk)))})
    conflicts = [
        RowError(line, "certificate_no", "该执业证编号已属于另一人员")
        for line, values in rows
        if values["certificate_no"] in certificates
        and (certificates[values["certificate_no"]].person.id_type.value,
             certificates[values["certificate_no"]].person.id_number) != (values["id_type"].value, values["id_number"])
    ]
    if conflicts:
        raise ImportFailed(conflicts)
    employers = _employers([values for _, values in rows if values["employer_credit_code"]])

    for _, values in rows:
        key = (values["id_type"].value, values["id_number"])
        person = people.get(key)
        employer = employers.get(values["employer_credit_code"])
        person_values = dict(name=values["name"], gender=values["gender"], birth_date=values["birth_date"],
                             id_type=values["id_type"], id_number=values["id_number"], category=values["category"],
                             body_id=body_ids[values["body_code"]])
        for optional in ("email", "mobile"):
            if values[optional]:
                person_values[optional] = values[optional]
        if employer is not None:
            person_values["employer_id"] = employer.id
        if person is None:
            person = people[key] = Person(**person_values)
            db.session.add(person)
            result.created += 1
        else:
            for name, value in person_values.items():
                setattr(person, name, value)
            result.updated += 1
        certificate = certificates.get(values["certificate_no"])
        certificate_values = dict(number=values["certificate_no"], category=values["category"],
                                  body_id=body_ids[values["body_code"]], employer_name=values["employer_name"],
                                  valid_from=values["valid_from"], valid_until=values["valid_until"])
        if certificate is None:
            certificates[values["certificate_no"]] = Certificate(person=person, **certificate_values)
            db.session.add(certificates[values["certificate_no"]])
        else:
            certificate.person = person
            for name, value in certificate_values.items():
                setattr(certificate, name, value)
    return result


def _employers(rows: list[dict]) -> dict[str, Employer]:
    codes = {values["employer_credit_code"]: values["employer_name"] for values in rows}
    found = {}
    for chunk in _chunks(list(codes)):
        query = select(Employer).where(Employer.credit_code.in_(chunk))
        found.update({employer.credit_code: employer for employer in db.session.scalars(query)})
    for code, name in codes.items():
        if code not in found:
            found[code] = Employer(name=name, credit_code=code)
            db.session.add(found[code])
    db.session.flush()
    return found


def _body_ids() -> dict[str, int]:
    return {code: body_id for code, body_id in db.session.execute(select(Body.code, Body.id))}


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _registered_checker() -> Callable[[_Row], dict]:
    body_ids = _body_ids()
    return lambda row: _check_registered(row, body_ids)


_KINDS: dict[str, tuple] = {
    "bodies": (_check_body, _load_bodies),
    "exam-records": (_check_exam_record, _load_exam_records),
}


def _kind(kind: str) -> tuple:
    if kind == "registered":
        return _registered_checker(), _load_registered
    return _KINDS[kind]
