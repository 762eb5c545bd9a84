"""Exports that stream: every row, however many, without holding them all in memory.

CSV goes out row by row as it is read (``yield_per``); an XLSX workbook is written by openpyxl's write-only mode
into a temporary file that spills to disk past a few megabytes, then sent in chunks. The 申请注册人员汇总表 (the batch
summary a registration body sends with its 初审 opinions) is built here too, as XLSX and as PDF.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import format_datetime
from sqlalchemy import func, select
from sqlalchemy.orm import Query, joinedload

from ...clock import local_date, timezone
from ...extensions import db
from ...models import Application, ApplicationStatus, Body, Staff
from ...validators import mask_id_number
from ..errors import DomainError
from ..infrastructure.audit import record
from .queue import scoped

S = ApplicationStatus
#: rows read from the database at a time
BATCH = 1000
#: a workbook under construction stays in memory up to this size, then spills to a temporary file
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024
#: the longest date range of one summary (a year and a day, leap years included)
SUMMARY_MAX_DAYS = 367
#: the PDF lays out every page in memory: beyond this many rows the XLSX is the format to use
SUMMARY_PDF_MAX_ROWS = 2000

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A cell as text; a leading formula character is neutralised so a spreadsheet never runs it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = format_datetime(value, "yyyy-MM-dd HH:mm")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_stream(headers: Iterable, rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so that Excel reads the Chinese), yielded a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([str(header) for header in headers])
    for index, row in enumerate(rows, start=1):
        writer.writerow([cell(value) for value in row])
        if index % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_stream(headers: Iterable, rows: Iterable[list], title: str, widths: Iterable[int] = (),
                heading: str | None = None) -> Iterator[bytes]:
    """An Excel workbook of one sheet (an optional title row, the header row bold and frozen), written row by row
    in openpyxl's write-only mode and sent in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    header_row = 1
    if heading:
        title_cell = WriteOnlyCell(sheet, value=heading)
        title_cell.font = Font(bold=True, size=14)
        sheet.append([title_cell])
        header_row = 2
    sheet.freeze_panes = f"A{header_row + 1}"
    bold = []
    for header in headers:
        header_cell = WriteOnlyCell(sheet, value=str(header))
        header_cell.font = Font(bold=True)
        bold.append(header_cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([cell(value) for value in row])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def stream_query(query) -> Iterator:
    """The rows of an ORM query (legacy ``Query`` or ``select``) a batch at a time, read through the session of
    the moment they are read: a streamed response reads them after its request's session has been closed."""
    statement = query.statement if isinstance(query, Query) else query
    yield from db.session.scalars(statement.execution_options(yield_per=BATCH))


# --- 申请注册人员汇总表 --------------------------------------------------------------------------------------------

SUMMARY_HEADERS = ("序号", "申请编号", "姓名", "性别", "证件号码", "专业类别", "聘用单位", "申请类型", "上报日期",
                   "初审意见", "审核日期", "备注")
SUMMARY_WIDTHS = (6, 18, 10, 6, 22, 14, 30, 10, 12, 12, 12, 30)

_OPINION = {
    S.SUBMITTED: "待初审",
    S.RETURNED: "退回补正",
    S.INITIAL_REJECTED: "不同意",
    S.INITIAL_PASSED: "同意",
    S.APPROVED: "同意",
    S.REFUSED: "同意",
}


@dataclass(frozen=True)
class SummaryRequest:
    body: Body
    start: date
    end: date

    @property
    def filename(self) -> str:
        return f"summary-{self.body.code}-{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    @property
    def heading(self) -> str:
        return f"注册安全工程师申请注册人员汇总表（{self.body.name}，上报日期 {self.start} 至 {self.end}）"


def summary_request(staff: Staff, body_id, start: date | None, end: date | None) -> SummaryRequest:
    """Check what a staff member asks for: a reviewer gets the own body only; central staff any body."""
    if start is None or end is None:
        raise DomainError("请填写上报日期的起止日期。", field="start")
    if end < start:
        raise DomainError("结束日期不能早于开始日期。", field="end")
    if (end - start).days >= SUMMARY_MAX_DAYS:
        raise DomainError(f"日期范围不能超过{SUMMARY_MAX_DAYS}天，请分段导出。", field="end")
    body = db.session.get(Body, staff.body_id) if not staff.is_central else (
        db.session.get(Body, body_id) if str(body_id or "").isdigit() else None)
    if body is None:
        raise DomainError("请选择注册机构。", field="body")
    return SummaryRequest(body, start, end)


def _summary_query(request: SummaryRequest, staff: Staff):
    zone = timezone()
    since = datetime.combine(request.start, time(), tzinfo=zone)
    until = datetime.combine(request.end + timedelta(days=1), time(), tzinfo=zone)
    return (scoped(select(Application), Application, staff)
            .where(Application.body_id == request.body.id, Application.submitted_at >= since,
                   Application.submitted_at < until, Application.status.in_(tuple(_OPINION)))
            .options(joinedload(Application.person))
            .order_by(Application.submitted_at, Application.id))


def summary_count(request: SummaryRequest, staff: Staff) -> int:
    query = _summary_query(request, staff).order_by(None).options()
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def summary_rows(request: SummaryRequest, staff: Staff) -> Iterator[list]:
    """One row per application submitted to the body in the range (drafts and withdrawn ones left out). The query
    is built now, so the rows can be read after the request's session has gone (a streamed response)."""
    return _summary_rows(_summary_query(request, staff))


def _summary_rows(query) -> Iterator[list]:
    for index, application in enumerate(stream_query(query), start=1):
        person = application.person
        snapshot_employer = ((application.snapshot or {}).get("employer") or {}).get("name", "")
        yield [index, application.number, person.name, person.gender or "", mask_id_number(person.id_number),
               person.category.text if person.category else "", snapshot_employer, application.kind.label,
               local_date(application.submitted_at).isoformat(), _OPINION[application.status],
               local_date(application.decided_at).isoformat() if application.decided_at else "",
               application.last_reason or ""]


def record_summary_export(request: SummaryRequest, staff: Staff, count: int, export_type: str) -> None:
    record("application.summary_export",
           f"导出申请注册人员汇总表（{request.body.name}，{request.start} 至 {request.end}，{export_type.upper()}，"
           f"{count} 条）", staff=staff, body_id=request.body.id,
           data={"body": request.body.code, "start": request.start.isoformat(), "end": request.end.isoformat(),
                 "format": export_type, "count": count})


def summary_pdf(request: SummaryRequest, staff: Staff, today: date) -> bytes:
    """The summary as an A4 landscape PDF (the body signs and stamps it)."""
    from ..documents.pdf import render_pdf

    return render_pdf("pdf/summary.html", request=request, headers=SUMMARY_HEADERS,
                      rows=list(summary_rows(request, staff)), today=today)
