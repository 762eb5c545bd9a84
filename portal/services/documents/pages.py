"""How many pages a 申请表 will take, estimated before it is laid out (the guess ``render_pdf`` prints in
「共M页」, see ``pdf.py``).

A model of the form's layout in ``pdf/application_form.html``: the advance of each heading, note and table row in
points, measured on the rendered form (pdftotext -bbox), rows as tall as their longest cell's text wrapped in its
column (the font's own widths), tables split between rows with their header repeated, the signature block moved
whole to the next page when it does not fit. A wrong estimate costs a second layout, never a wrong number: keep
the model roughly in step with the templates (``tests/test_forms_kinds.py`` checks it on typical and long forms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from .pdf import cjk_font_name

#: the frame of the page body: A4 less the top and bottom margins (1.6 cm, 1.8 cm)
FRAME_HEIGHT = 841.89 - (1.6 + 1.8) * 72 / 2.54
#: the width of the body (A4 less 1.5 cm each side) and of a cell's padding (4pt each side)
BODY_WIDTH = 595.28 - 2 * 1.5 * 72 / 2.54
CELL_PADDING = 8.0
FONT_SIZE = 10.0
LINE = 13.5  #: 10pt at line-height 1.35
ROW = 17.65  #: a one-line table row, borders and padding included
TOP = 43.85  #: title and the line of 申请编号 / 填表日期
HEADING = 27.7  #: a section's heading and its margins
NOTE = 15.3  #: a note line under a heading (本注册周期：…)
SIGNATURES = 197.2  #: the signature block (heading, who, promise, the three boxes), kept whole
SHORT_BOX = 62.6  #: a row of class af-box-short (58pt and padding)


@dataclass
class _Table:
    rows: list[float]
    header: float = 0.0  #: the height repeated at the top of each further page (repeat="1"), 0 if none
    lead: float = HEADING  #: the heading (and note) kept with the first row


def _lines(text: object, share: float) -> int:
    """Lines the text wraps to in a column of ``share`` of the body width."""
    width = BODY_WIDTH * share - CELL_PADDING
    text = "" if text is None else str(text)
    return max(1, math.ceil(stringWidth(text, cjk_font_name(), FONT_SIZE) / width)) if text else 1


def _row(*cells: tuple[object, float]) -> float:
    return ROW + LINE * (max(_lines(text, share) for text, share in cells) - 1)


def _person(form: dict, certificate: bool, studies: bool) -> _Table:
    person = form["person"]
    rows = 4 + (2 if certificate else 0) + (1 if studies else 0)
    return _Table([ROW] * (rows - 1) + [_row((person["address"], 0.46))])


def _employer(form: dict) -> _Table:
    employer = form["employer"]
    return _Table([_row((employer["name"], 0.82)), ROW, _row((employer["address"], 0.82)), ROW,
                   _row((form["body"], 0.82))])


def _education(form: dict) -> _Table:
    education = form["education"]
    rows = [ROW + (10.8 if not entry["counted"] else 0) + LINE * (max(
        _lines(entry["course"], 0.36), _lines(entry["organiser"], 0.24), _lines(entry["period"], 0.25)) - 1)
        for entry in education["entries"]]
    rows += [ROW] * education["blank_rows"] + [ROW]
    return _Table(rows, header=ROW, lead=HEADING + (NOTE if education["period"] else 0) + ROW)


def _work(form: dict) -> _Table:
    rows = [_row((row["period"], 0.25), (row["employer_name"], 0.28), (row["position"], 0.14),
                 (row["duties"], 0.33)) for row in form["work"]]
    return _Table(rows + [ROW] * form["work_blank_rows"], header=ROW, lead=HEADING + ROW)


def _materials(form: dict) -> _Table:
    rows = [_row((row["item_label"], 0.64)) for row in form["materials"]]
    return _Table(rows + [ROW] * form["materials_blank_rows"], header=ROW, lead=HEADING + ROW)


def _exam() -> _Table:
    return _Table([ROW, ROW])


def _tables(form: dict) -> list[_Table]:
    kind = form["kind"]
    if kind in ("initial", "late_initial"):
        tables = [_person(form, False, True), _exam(), _employer(form)]
        if kind == "late_initial":
            tables.append(_education(form))
        return [*tables, _work(form), _materials(form)]
    if kind == "reregistration":
        return [_person(form, True, True), _exam(), _employer(form), _education(form), _work(form),
                _materials(form)]
    if kind == "change":
        change = form["change"]
        rows = [ROW] * 5 + [_row((change["reason"], 0.82))]
        return [_person(form, True, False), _Table(rows), _employer(form), _materials(form)]
    if kind == "cancellation":
        cancellation = form["cancellation"]
        grounds = "　".join("□" + mark["label"] for mark in cancellation["grounds"])
        said = cancellation["reason"] or cancellation["ground"]
        rows = [ROW, ROW, _row((grounds, 0.80)), max(SHORT_BOX, _row((said, 0.80)))]
        return [_person(form, True, False), _employer(form), _Table(rows), _materials(form)]
    return [_person(form, True, True), _employer(form), _education(form), _work(form)]  # 延续注册


def estimate_pages(form: dict) -> int:
    """The number of pages the form of ``form`` (``application_form.form_context``) is expected to take."""
    pages, y = 1, TOP
    for table in _tables(form):
        for index, height in enumerate(table.rows):
            need = height + (table.lead if index == 0 else 0)
            if y + need > FRAME_HEIGHT:
                pages += 1
                y = table.header if index else 0.0
            y += need
    if y + SIGNATURES > FRAME_HEIGHT:
        pages += 1
    return pages
