"""CSV imports (``flask --app wsgi import bodies|exam-records|registered FILE.csv``).

A file is all or nothing: every row is checked first, and each bad row is reported with its line number, the
column and why; only a file without errors is written. UTF-8 with or without a BOM (Excel writes one).
Re-importing a person or a certificate updates it instead of adding a duplicate.

The file is streamed, never held whole: rows are read and checked in Python a chunk at a time (the rules shared
with the forms: ID numbers, e-mail, mobile, credit codes), the checked values go into a temporary staging table
(COPY on PostgreSQL, batched INSERTs on SQLite), the checks that need the whole file or the database (duplicates,
a certificate that belongs to someone else) run in SQL over the staged rows, and the rows are merged into the
real tables with ``INSERT … ON CONFLICT`` in the caller's transaction. Memory stays flat whatever the file size.

``validate_only=True`` runs every check and counts what would be added and updated, writing nothing.
``progress(rows, bytes_read, bytes_total)`` is called after every chunk (``bytes_total`` is None when unknown).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy import bindparam, select, text

from ... import clock
from ...clock import utcnow
from ...extensions import db
from ...models import Body, BodyKind, Category, IdType
from ...models.base import UTCDateTime
from ...validators import (
    EMAIL_MESSAGE,
    CreditCodeError,
    EmailError,
    IdNumberError,
    MobileError,
    normalize_email,
    normalize_mobile,
    validate_credit_code,
    validate_id_number,
)
from ..infrastructure.audit import record

#: columns a file may add at the end (older files without them stay valid): exam-records' 资格证书 date
OPTIONAL_COLUMNS = {"exam-records": ["qualified_on"]}
COLUMNS = {
    "bodies": ["code", "name", "kind", "province", "address", "phone", "fax", "email"],
    "exam-records": ["name", "id_type", "id_number", "exam_year", "qualification_no", "category"],
    "registered": ["name", "gender", "birth_date", "id_type", "id_number", "email", "mobile", "certificate_no",
                   "category", "body_code", "employer_name", "employer_credit_code", "valid_from", "valid_until"],
}
#: parse errors whose own message is shown (the others get the column's message)
_OWN_MESSAGES = (IdNumberError, CreditCodeError, EmailError, MobileError)
#: rows checked and staged at a time
CHUNK_ROWS = 10_000
#: errors kept for the report (the total is always counted); a file of a million bad rows stays small in memory
MAX_ERRORS_KEPT = 1_000
#: temporary tables: every good row of the file (duplicate check, dry-run counts) and the chunk being merged
_FILE = "import_staging"
_CHUNK = "import_chunk"

Progress = Callable[[int, int, "int | None"], None]


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
    #: data rows read (blank lines skipped)
    rows: int = 0
    #: True when the file was only checked (``validate_only``): nothing was written
    validated_only: bool = False


class ImportFailed(Exception):
    """Nothing was loaded; ``errors`` says why, row by row (the first ones, in line order); ``total`` counts all."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.total = len(errors) if total is None else total
        super().__init__(f"{self.total} error(s)")
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


# --- reading ----------------------------------------------------------------------------------------------------

class _Source:
    """Decoded lines of a UTF-8 file read as bytes, counting bytes for the progress bar and decoding errors."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.bytes_read = 0
        self.total = _size(stream)

    def lines(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        first = True
        for raw in self.stream:
            start = self.bytes_read
            self.bytes_read += len(raw)
            if first and raw.startswith(codecs.BOM_UTF8):
                raw, start = raw[len(codecs.BOM_UTF8):], start + len(codecs.BOM_UTF8)
            first = False
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as error:
                raise ImportFailed([RowError(1, "-", f"文件不是UTF-8编码（字节位置{start + error.start}）")]) from error


def _size(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        if isinstance(stream, io.BytesIO):
            return len(stream.getbuffer())
        return None


def read_rows(kind: str, source: _Source) -> Iterable[_Row]:
    """Split a CSV file into rows, checking its header; raises ImportFailed on an unreadable file."""
    reader = csv.reader(source.lines())
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in COLUMNS[kind] if name not in header]
    if missing:
        raise ImportFailed([RowError(1, ",".join(missing), "表头缺少这些列")])
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        yield _Row(reader.line_num, dict(zip(header, values, strict=False)))


# --- cached parsers: many values repeat (dates, categories, employers, mail domains) ---------------------------

class _Memo:
    """A parser whose answers (values and ValueErrors) are remembered, up to ``limit`` distinct inputs."""

    def __init__(self, parser: Callable, limit: int = 50_000):
        self.parser, self.limit, self.cache = parser, limit, {}

    def __call__(self, value: str):
        try:
            answer = self.cache[value]
        except KeyError:
            try:
                answer = self.parser(value)
            except ValueError as error:
                answer = _Refused(type(error), error.args)
            if len(self.cache) >= self.limit:
                self.cache.clear()
            self.cache[value] = answer
        if isinstance(answer, _Refused):
            raise answer.kind(*answer.args)
        return answer


@dataclass(frozen=True)
class _Refused:
    kind: type[ValueError]
    args: tuple


# the common address shape: an ASCII dot-atom before the @ (email-validator keeps it as written)
_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class _Email:
    """normalize_email with its domain half remembered: email-validator's domain checks dominate its cost."""

    def __init__(self):
        self.domains = _Memo(lambda domain: normalize_email("a@" + domain).partition("@")[2], limit=10_000)

    def __call__(self, value: str) -> str:
        value = value.strip()
        local, at, domain = value.rpartition("@")
        if at and len(local) <= 64 and _SIMPLE_LOCAL.fullmatch(local):
            try:
                normalized = local + "@" + self.domains(domain)
            except ValueError:
                raise EmailError(EMAIL_MESSAGE) from None
            if len(normalized) <= 254:
                return normalized
        return normalize_email(value)


class _Parsers:
    """The per-import parsers, with their caches."""

    def __init__(self):
        self.date = _Memo(date.fromisoformat)
        self.category = _Memo(Category.from_label, limit=100)
        self.id_type = _Memo(IdType.from_label, limit=100)
        self.credit_code = _Memo(validate_credit_code)
        self.email = _Email()
        self.mobile = normalize_mobile
        self.body_kind = _Memo(BodyKind, limit=100)


def _check_id(row: _Row, parsers: _Parsers) -> tuple[IdType | None, str | None]:
    id_type = row.parse("id_type", parsers.id_type, message="证件类型不正确（应为居民身份证、护照等）")
    number = row.text("id_number", required=True, max_length=32)
    if id_type is None or number is None:
        return id_type, None
    try:
        return id_type, validate_id_number(id_type.value, number, allow_first_generation=True)
    except IdNumberError as error:
        row.fail("id_number", str(error))
        return id_type, None


def _birth_date(number: str) -> date:
    """The birth date in a resident ID number that validate_id_number accepted (15 or 18 digits)."""
    digits = "19" + number[6:12] if len(number) == 15 else number[6:14]
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


# --- the import -------------------------------------------------------------------------------------------------

def import_csv(kind: str, data: bytes | BinaryIO, *, validate_only: bool = False, progress: Progress | None = None,
               staff=None) -> ImportResult:
    """Check then load one file of ``kind`` (bodies, exam-records, registered), given as bytes or a binary file.

    Raises ImportFailed when any row is bad; the caller must then roll back (chunks already merged are part of the
    failed transaction). Writes in the session's transaction; the caller commits. With ``validate_only`` nothing is
    written and the result counts what would be. ``staff`` is the console user who imports (the audit row's actor);
    None for the command line.
    """
    spec = _SPECS[kind]
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    source = _Source(stream)
    staging = _Staging(db.session.connection(), spec)
    staging.create()
    loader = _Loader(staging, spec, merge=not validate_only)
    try:
        checker = spec.checker()
        errors, error_total, rows, batch = [], 0, 0, []
        for row in read_rows(kind, source):
            values = checker(row)
            rows += 1
            if row.errors:
                error_total += len(row.errors)
                errors.extend(row.errors[:max(0, MAX_ERRORS_KEPT - len(errors))])
            else:  # good rows are staged even after a bad one, for the duplicate check
                values["line"] = row.line
                batch.append(values)
            if len(batch) >= CHUNK_ROWS:
                loader.put(batch, good=not error_total)
                batch = []
            if progress is not None and rows % CHUNK_ROWS == 0:
                progress(rows, source.bytes_read, source.total)
        if batch:
            loader.put(batch, good=not error_total)
        result = loader.finish()
        if progress is not None:
            progress(rows, source.bytes_read, source.total)
        staging.analyze()
        found, total = staging.duplicates(spec.key)
        errors, error_total = _merge_errors(errors, found), error_total + total
        found, total = loader.conflicts, loader.conflict_total
        if validate_only and not error_total and spec.conflicts is not None:
            found, total = staging.errors(spec.conflicts.format(source=_FILE))
        errors, error_total = _merge_errors(errors, found), error_total + total
        if error_total:
            raise ImportFailed(errors, error_total)
        if validate_only:
            result = spec.count(staging, _FILE)
            result.validated_only = True
        result.rows = rows
        if not validate_only:
            record(f"import.{kind}", f"导入 {kind}：新增 {result.created} 条，更新 {result.updated} 条", staff=staff)
        return result
    finally:
        loader.stop()
        # after a failed statement the transaction is aborted and the caller's rollback drops the tables
        with contextlib.suppress(sa.exc.DBAPIError):
            staging.drop()
        db.session.expire_all()


def _merge_errors(first: list[RowError], second: list[RowError]) -> list[RowError]:
    return sorted(first + second, key=lambda error: error.line)[:MAX_ERRORS_KEPT]


@dataclass
class _Spec:
    key: str
    columns: list[tuple[str, sa.types.TypeEngine]]
    checker: Callable[[], Callable[[_Row], dict]]
    #: what merging ``source`` would add and update
    count: Callable[[_Staging, str], ImportResult]
    #: merge the rows of table ``source`` into the real tables
    merge: Callable[[_Staging, str], None]
    #: SQL giving (line, column, message) of rows of ``{source}`` that conflict with the database
    conflicts: str | None = None


class _Loader:
    """Stages and merges chunks: on PostgreSQL in a thread, so the database works while Python checks the next
    chunk (the connection is used by one thread at a time: the importer waits in ``finish`` before using it)."""

    def __init__(self, staging: _Staging, spec: _Spec, *, merge: bool):
        self.staging, self.spec, self.merge = staging, spec, merge
        self.result = ImportResult()
        self.conflicts: list[RowError] = []
        self.conflict_total = 0
        #: set once the file cannot load (a conflict, a duplicate): later chunks are only staged and checked
        self.stopped = False
        self.error: BaseException | None = None
        self.thread = None
        if staging.postgresql:
            self.queue: queue.Queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._work, name="import-loader", daemon=True)
            self.thread.start()

    def put(self, rows: list[dict], *, good: bool) -> None:
        if self.thread is None:
            self._load(rows, good)
            return
        if self.error is None:
            self.queue.put((rows, good))

    def finish(self) -> ImportResult:
        self.stop()
        if self.error is not None:
            raise self.error
        return self.result

    def stop(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._load(*item)
                except BaseException as error:  # handed to the importer's thread by finish()
                    self.error = error

    def _load(self, rows: list[dict], good: bool) -> None:
        staging, spec = self.staging, self.spec
        staging.write(rows)
        if not self.merge:
            return
        if spec.conflicts is not None:
            with staging.lookups_by_index():
                found, total = staging.errors(spec.conflicts.format(source=_CHUNK))
            self.conflicts = _merge_errors(self.conflicts, found)
            self.conflict_total += total
        if good and not self.stopped:
            # a key twice in the chunk fails the file (reported by the duplicate check) and cannot be merged
            self.stopped = bool(self.conflict_total) or bool(staging.scalar(
                f"SELECT count(*) - count(DISTINCT {spec.key}) FROM {_CHUNK}"))  # noqa: S608
        if good and not self.stopped:
            with staging.lookups_by_index():
                counted = spec.count(staging, _CHUNK)
            self.result.created += counted.created
            self.result.updated += counted.updated
            spec.merge(staging, _CHUNK)


class _Staging:
    """Two temporary tables: the file's checked rows and the chunk being merged (private to the connection,
    dropped at the end)."""

    def __init__(self, connection, spec: _Spec):
        self.connection, self.spec = connection, spec
        self.postgresql = connection.dialect.name == "postgresql"
        metadata = sa.MetaData()
        self.tables = [
            sa.Table(name, metadata, sa.Column("line", sa.Integer, nullable=False),
                     *[sa.Column(column, type_) for column, type_ in spec.columns], prefixes=["TEMPORARY"])
            for name in (_FILE, _CHUNK)
        ]
        self.names = [column.name for column in self.tables[0].columns]

    def create(self) -> None:
        self.drop()
        for table in self.tables:
            table.create(self.connection)

    def drop(self) -> None:
        schema = "pg_temp" if self.postgresql else "temp"
        for name in (_FILE, _CHUNK):
            self.connection.execute(text(f"DROP TABLE IF EXISTS {schema}.{name}"))

    def write(self, rows: list[dict]) -> None:
        """The chunk's rows into the chunk table, and added to the file's."""
        if self.postgresql:
            self.connection.execute(text(f"TRUNCATE {_CHUNK}"))
            self._copy(rows)
        else:
            self.connection.execute(text(f"DELETE FROM {_CHUNK}"))  # noqa: S608
            self.connection.execute(self.tables[1].insert(), rows)
        self.connection.execute(text(f"INSERT INTO {_FILE} SELECT * FROM {_CHUNK}"))  # noqa: S608

    def _copy(self, rows: list[dict]) -> None:
        buffer = io.StringIO()
        names = self.names
        for row in rows:
            buffer.write("\t".join([_copy_text(row[name]) for name in names]))
            buffer.write("\n")
        raw = self.connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {_CHUNK} ({', '.join(names)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())

    @contextlib.contextmanager
    def lookups_by_index(self):
        """A chunk's 10,000 rows meet the registry's tables by index lookups. The planner has no statistics for
        rows written earlier in the import's transaction, and hashed the whole certificates table for every chunk
        instead: a cost per chunk that grew with the registry. (Only for statements that join registry tables: a
        join with the rows a statement has just written must stay a hash join.)"""
        if not self.postgresql:
            yield
            return
        self.connection.execute(text("SET LOCAL enable_hashjoin = off"))
        self.connection.execute(text("SET LOCAL enable_mergejoin = off"))
        try:
            yield
        finally:
            self.connection.execute(text("RESET enable_hashjoin"))
            self.connection.execute(text("RESET enable_mergejoin"))

    def analyze(self) -> None:
        if self.postgresql:
            self.connection.execute(text(f"ANALYZE {_FILE}"))

    def errors(self, sql: str) -> tuple[list[RowError], int]:
        """Run a check giving (line, column, message) rows: the first MAX_ERRORS_KEPT by line and their total."""
        found = self.connection.execute(text(f"{sql} ORDER BY 1 LIMIT {MAX_ERRORS_KEPT}")).all()
        total = len(found) if len(found) < MAX_ERRORS_KEPT else self.scalar(
            f"SELECT count(*) FROM ({sql}) AS found")  # noqa: S608
        return [RowError(line, column, message) for line, column, message in found], total

    def duplicates(self, key: str) -> tuple[list[RowError], int]:
        """Rows whose ``key`` repeats an earlier row's: "与第N行重复"."""
        rows = self.connection.execute(text(
            f"SELECT line, first FROM (SELECT line, min(line) OVER (PARTITION BY {key}) AS first "  # noqa: S608
            f"FROM {_FILE}) AS ranked WHERE line > first ORDER BY line LIMIT {MAX_ERRORS_KEPT}")).all()
        total = len(rows) if len(rows) < MAX_ERRORS_KEPT else self.scalar(
            f"SELECT count(*) - count(DISTINCT {key}) FROM {_FILE}")  # noqa: S608
        return [RowError(line, key, f"与第{first}行重复") for line, first in rows], total

    def scalar(self, sql: str, **params):
        return self.connection.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params) -> None:
        statement = text(sql)
        if "now" in params:
            statement = statement.bindparams(bindparam("now", type_=UTCDateTime()))
        self.connection.execute(statement, params)


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)


def _count_by_key(staging: _Staging, source: str, table: str, key: str) -> ImportResult:
    """Staged rows whose key is new (created) and the others (updated); keys are unique in the file."""
    total = staging.scalar(f"SELECT count(*) FROM {source}")  # noqa: S608
    existing = staging.scalar(f"SELECT count(*) FROM {source} s JOIN {table} t ON t.{key} = s.{key}")  # noqa: S608
    return ImportResult(created=total - existing, updated=existing)


# --- bodies -----------------------------------------------------------------------------------------------------

def _body_checker() -> Callable[[_Row], dict]:
    parsers = _Parsers()

    def check(row: _Row) -> dict:
        values = {
            "code": row.text("code", required=True, max_length=12),
            "name": row.text("name", required=True, max_length=100),
            "kind": row.parse("kind", parsers.body_kind,
                              message="机构类型应为 province、department、enterprise 或 central"),
            "province": row.text("province", max_length=20),
            "address": row.text("address"),
            "phone": row.text("phone", max_length=50),
            "fax": row.text("fax", max_length=50),
            "email": row.parse("email", parsers.email, required=False, max_length=120),
        }
        if values["kind"] is BodyKind.PROVINCE and not values["province"]:
            row.fail("province", "省级注册机构必须填写省份")
        if values["kind"] is not None:
            values["kind"] = values["kind"].value
        return values

    return check


def _merge_bodies(staging: _Staging, source: str) -> None:
    staging.execute(
        f"INSERT INTO bodies (code, name, kind, province, address, phone, fax, email, sort_order) "  # noqa: S608
        f"SELECT code, name, kind, province, address, phone, fax, email, 0 FROM {source} WHERE true "
        "ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, province = excluded.province, "
        "address = excluded.address, phone = excluded.phone, fax = excluded.fax, email = excluded.email")


# --- exam records -----------------------------------------------------------------------------------------------

def _exam_record_checker() -> Callable[[_Row], dict]:
    parsers = _Parsers()
    this_year = clock.today().year

    def year(value: str) -> int:
        number = int(value)
        if not 2000 <= number <= this_year:
            raise ValueError(value)
        return number

    def check(row: _Row) -> dict:
        id_type, number = _check_id(row, parsers)
        category = row.parse("category", parsers.category, required=False, message="专业类别不正确")
        return {
            "name": row.text("name", required=True, max_length=50),
            "id_type": id_type.value if id_type else None,
            "id_number": number,
            "exam_year": row.parse("exam_year", year, message="考试年度应为2000年至今的四位年份"),
            "qualification_no": row.text("qualification_no", required=True, max_length=32),
            "category": category.value if category else None,
            "qualified_on": row.parse("qualified_on", parsers.date, required=False,
                                      message="资格证书日期应为 YYYY-MM-DD 格式的有效日期"),
        }

    return check


def _merge_exam_records(staging: _Staging, source: str) -> None:
    staging.execute(
        "INSERT INTO exam_records (name, id_type, id_number, exam_year, qualification_no, category, "  # noqa: S608
        "qualified_on) "
        f"SELECT name, id_type, id_number, exam_year, qualification_no, category, qualified_on FROM {source} "
        "WHERE true ON CONFLICT (qualification_no) DO UPDATE SET name = excluded.name, id_type = excluded.id_type, "
        "id_number = excluded.id_number, exam_year = excluded.exam_year, category = excluded.category, "
        "qualified_on = COALESCE(excluded.qualified_on, exam_records.qualified_on)")


# --- registered persons and their certificates ------------------------------------------------------------------

def _registered_checker() -> Callable[[_Row], dict]:
    parsers = _Parsers()
    body_ids = {code: body_id for code, body_id in db.session.execute(select(Body.code, Body.id))}

    def check(row: _Row) -> dict:
        id_type, number = _check_id(row, parsers)
        values = {
            "name": row.text("name", required=True, max_length=50),
            "gender": row.text("gender", required=True, max_length=2),
            "birth_date": row.parse("birth_date", parsers.date, message="出生日期应为 YYYY-MM-DD 格式的有效日期"),
            "id_type": id_type.value if id_type else None,
            "id_number": number,
            "email": row.parse("email", parsers.email, required=False, max_length=120),
            "mobile": row.parse("mobile", parsers.mobile, required=False, max_length=20),
            "certificate_no": row.text("certificate_no", required=True, max_length=32),
            "category": row.parse("category", parsers.category, message="专业类别不正确"),
            "body_id": None,
            "employer_name": row.text("employer_name", max_length=200),
            "employer_credit_code": row.parse("employer_credit_code", parsers.credit_code, required=False,
                                              message="统一社会信用代码不正确"),
            "valid_from": row.parse("valid_from", parsers.date,
                                    message="有效期起始日期应为 YYYY-MM-DD 格式的有效日期"),
            "valid_until": row.parse("valid_until", parsers.date,
                                     message="有效期截止日期应为 YYYY-MM-DD 格式的有效日期"),
        }
        if values["category"] is not None:
            values["category"] = values["category"].value
        if values["gender"] and values["gender"] not in ("男", "女"):
            row.fail("gender", "性别应为“男”或“女”")
        body_code = row.text("body_code", required=True, max_length=12)
        if body_code:
            values["body_id"] = body_ids.get(body_code)
            if values["body_id"] is None:
                row.fail("body_code", f"注册机构代码不存在：{body_code}")
        if values["employer_credit_code"] and not values["employer_name"]:
            row.fail("employer_name", "填写了统一社会信用代码时必须填写单位名称")
        if values["valid_from"] and values["valid_until"] and values["valid_from"] >= values["valid_until"]:
            row.fail("valid_until", "有效期截止日期必须晚于起始日期")
        birth_date = values["birth_date"]
        if id_type is IdType.RESIDENT_ID and number and birth_date and _birth_date(number) != birth_date:
            row.fail("birth_date", "出生日期与身份证号码不一致")
        return values

    return check


_REGISTERED_COLUMNS = [
    ("name", sa.String(50)), ("gender", sa.String(2)), ("birth_date", sa.Date),
    ("id_type", sa.String(20)), ("id_number", sa.String(32)), ("email", sa.String(120)),
    ("mobile", sa.String(20)), ("certificate_no", sa.String(32)),
    ("category", sa.String(20)), ("body_id", sa.Integer), ("employer_name", sa.String(200)),
    ("employer_credit_code", sa.String(18)), ("valid_from", sa.Date),
    ("valid_until", sa.Date),
]

#: a staged certificate number that already belongs to a different person
_CERTIFICATE_CONFLICTS = (
    "SELECT s.line, 'certificate_no', '该执业证编号已属于另一人员' FROM {source} s "
    "JOIN certificates c ON c.number = s.certificate_no JOIN people p ON p.id = c.person_id "
    "WHERE p.id_type <> s.id_type OR p.id_number <> s.id_number"
)


def _count_registered(staging: _Staging, source: str) -> ImportResult:
    """Persons new to the registry (created, once each); every other row updates (as the row-by-row import did)."""
    total = staging.scalar(f"SELECT count(*) FROM {source}")  # noqa: S608
    created = staging.scalar(
        f"SELECT count(*) FROM (SELECT DISTINCT id_type, id_number FROM {source}) AS s "  # noqa: S608
        "WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id_type = s.id_type AND p.id_number = s.id_number)")
    return ImportResult(created=created, updated=total - created)


def _merge_registered(staging: _Staging, source: str) -> None:
    now = utcnow()
    # employers by credit code (a known one keeps its name; a new one takes the file's last name for it)
    staging.execute(
        "INSERT INTO employers (name, credit_code) SELECT employer_name, employer_credit_code FROM ("  # noqa: S608
        "SELECT employer_name, employer_credit_code, row_number() OVER (PARTITION BY employer_credit_code "
        f"ORDER BY line DESC) AS n FROM {source} WHERE employer_credit_code IS NOT NULL) AS s WHERE n = 1 "
        "ON CONFLICT (credit_code) DO NOTHING")
    # one row per person: a file's last row for a person wins; an empty e-mail, mobile or employer keeps the old one
    people = (
        "INSERT INTO people (name, gender, birth_date, id_type, id_number, email, mobile, category, body_id, "  # noqa: S608
        "employer_id, must_change_password, failed_logins, created_at, updated_at) "
        "SELECT s.name, s.gender, s.birth_date, s.id_type, s.id_number, s.email, s.mobile, s.category, s.body_id, "
        "e.id, false, 0, :now, :now FROM (SELECT *, row_number() OVER (PARTITION BY id_type, id_number "
        f"ORDER BY line DESC) AS n FROM {source}) AS s "
        "LEFT JOIN employers e ON e.credit_code = s.employer_credit_code WHERE s.n = 1 "
        "ON CONFLICT (id_type, id_number) DO UPDATE SET name = excluded.name, gender = excluded.gender, "
        "birth_date = excluded.birth_date, category = excluded.category, body_id = excluded.body_id, "
        "email = coalesce(excluded.email, people.email), mobile = coalesce(excluded.mobile, people.mobile), "
        "employer_id = coalesce(excluded.employer_id, people.employer_id), updated_at = excluded.updated_at")
    certificates = (
        "INSERT INTO certificates (person_id, number, category, body_id, employer_name, valid_from, "
        "valid_until, status, created_at, updated_at) "
        "SELECT p.id, s.certificate_no, s.category, s.body_id, s.employer_name, s.valid_from, s.valid_until, "
        "'valid', :now, :now FROM {source} s JOIN {people} p ON p.id_type = s.id_type AND p.id_number = s.id_number "
        "WHERE true ON CONFLICT (number) DO UPDATE SET person_id = excluded.person_id, "
        "category = excluded.category, body_id = excluded.body_id, employer_name = excluded.employer_name, "
        "valid_from = excluded.valid_from, valid_until = excluded.valid_until, updated_at = excluded.updated_at")
    if staging.postgresql:
        # the certificates join the people rows this statement wrote (RETURNING gives inserted and updated ones),
        # not the whole people table: without statistics in the import's transaction the planner hashed all of
        # it for every chunk, a cost that grew with the registry (a quarter of a 1,000,000-row import)
        staging.execute(f"WITH merged AS ({people} RETURNING id, id_type, id_number) "
                        + certificates.format(source=source, people="merged"), now=now)
    else:  # SQLite has no data-modifying WITH
        staging.execute(people, now=now)
        staging.execute(certificates.format(source=source, people="people"), now=now)


_SPECS: dict[str, _Spec] = {
    "bodies": _Spec(
        key="code",
        columns=[("code", sa.String(12)), ("name", sa.String(100)), ("kind", sa.String(20)),
                 ("province", sa.String(20)), ("address", sa.String(200)),
                 ("phone", sa.String(50)), ("fax", sa.String(50)), ("email", sa.String(120))],
        checker=_body_checker,
        count=lambda staging, source: _count_by_key(staging, source, "bodies", "code"),
        merge=_merge_bodies,
    ),
    "exam-records": _Spec(
        key="qualification_no",
        columns=[("name", sa.String(50)), ("id_type", sa.String(20)),
                 ("id_number", sa.String(32)), ("exam_year", sa.Integer),
                 ("qualification_no", sa.String(32)), ("category", sa.String(20)), ("qualified_on", sa.Date)],
        checker=_exam_record_checker,
        count=lambda staging, source: _count_by_key(staging, source, "exam_records", "qualification_no"),
        merge=_merge_exam_records,
    ),
    "registered": _Spec(
        key="certificate_no",
        columns=_REGISTERED_COLUMNS,
        checker=_registered_checker,
        count=_count_registered,
        merge=_merge_registered,
        conflicts=_CERTIFICATE_CONFLICTS,
    ),
}
