"""The 申请表 as PDF: the form's own HTML (the partial the preview page shows, so preview == print) translated
straight into ReportLab flowables, laid out once.

xhtml2pdf lays out any HTML and CSS; a form of ten pages took it 1.5 s, mostly in matching CSS and building its
own layout objects. The partials of the 申请表 (``applicant/renewal/_form.html``, ``pdf/kinds/*.html``) use a few
tags and ``af-*`` classes that we write ourselves, so each of them is mapped here to a ReportLab style made once
per process: headings and notes to ``_Lines``, the grid tables to ``Table`` with their header row repeated on each
page. Anything else in the markup raises ``FormMarkupError`` (``tests/test_form_pdf.py`` renders every kind's form
through it) rather than being dropped from an official document. What the stylesheet of xhtml2pdf said
(``pdf/application_form.html`` before this module) is in ``_STYLES`` and the constants below, in points.

Text is wrapped here, not by ReportLab's Paragraph: any glyph may start a line (CJK, and long unbroken strings such
as an e-mail address), except the punctuation that cannot start one (，。） …), which hangs at the end of the line
before — the rule xhtml2pdf applied (``-pdf-word-wrap: CJK``). Values are drawn as plain strings, never parsed
as markup, so an applicant's ``<``, ``&`` or quotes print as typed.

「申请编号：… 第N页，共M页」 in one layout pass: ``_NumberedCanvas`` keeps each laid-out page and writes the
footers, with the total, when the document is saved.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from lxml import html as lxml_html
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.textsplit import ALL_CANNOT_START
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import getAscent, getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from .pdf import PdfRenderError, cjk_font_name

log = logging.getLogger(__name__)

#: A4 with the margins of the form (top, right, bottom, left); the footer's line hangs from 1.5 cm above the
#: bottom edge (xhtml2pdf's footer frame: 0.7 cm from the bottom, 0.8 cm high)
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGINS = (1.6 * cm, 1.5 * cm, 1.8 * cm, 1.5 * cm)
BODY_WIDTH = PAGE_WIDTH - MARGINS[1] - MARGINS[3]
FRAME_HEIGHT = PAGE_HEIGHT - MARGINS[0] - MARGINS[2]
FOOTER_TOP = 1.5 * cm
#: the pitch of lines as a multiple of the font size: line-height 1.35 came out 1.365 em apart with xhtml2pdf
#: (a table row of one line 17.65pt high), kept so that a form breaks into pages as it did
LINE_HEIGHT = 1.365
BORDER = 0.6  #: the grid tables' lines
PADDING = (3.0, 4.0, 1.0, 4.0)  #: a grid cell's padding (top, right, bottom, left)
HEADER_GREY = colors.HexColor("#eeeeee")
SMALL_GREY = colors.HexColor("#444444")


class FormMarkupError(ValueError):
    """The form's HTML has an element, class or attribute this translator does not know."""


@dataclass(frozen=True)
class _Style:
    """How a block of text prints: size, alignment, colour, space around it."""

    size: float = 10.0
    align: str = "LEFT"  #: LEFT, CENTER or RIGHT
    color: colors.Color = colors.black
    before: float = 0.0
    after: float = 0.0
    leading: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "leading", self.size * LINE_HEIGHT)


_STYLES = {
    "body": _Style(),
    "af-title": _Style(size=17.0, align="CENTER", after=4.0),
    "af-section": _Style(size=11.5, before=9.0, after=3.0),
    "af-note": _Style(size=9.0, before=2.0, after=3.0),
    "af-who": _Style(size=9.0, after=3.0),
    "af-small": _Style(size=8.0, color=SMALL_GREY),
    # a paragraph in a signature box: 4pt under it (the margin-top of af-sign and af-stamp never applied there)
    "box": _Style(after=4.0),
    "af-sign": _Style(after=4.0, align="RIGHT"),
    "af-stamp": _Style(after=4.0, align="RIGHT"),
    "footer": _Style(size=8.5, align="CENTER", color=SMALL_GREY),
}
#: the height of a signature box's row, padding included (td.af-box and its variants)
BOX_HEIGHTS = {"af-box": 92.0, "af-box-short": 58.0, "af-box-promise": 40.0}
#: the classes each element of the form may carry; anything else is an error
KNOWN_CLASSES = {
    "div": {"af", "af-sign-block", "af-small"},
    "h1": {"af-title"},
    "h2": {"af-section", "af-keep"},
    "p": {"af-note", "af-keep", "af-who", "af-sign", "af-stamp"},
    "table": {"af-meta", "af-grid", "af-list", "af-boxes"},
    "tr": set(),
    # th.af-right prints centred all the same: ``table.af-grid th`` outranks ``.af-right`` in the preview's
    # stylesheet, as it did in xhtml2pdf's; nor does either stylesheet style td.af-strong or td.af-meta-left
    "th": {"af-right"},
    "td": {"af-meta-left", "af-meta-right", "af-center", "af-strong", *BOX_HEIGHTS},
}
KNOWN_ATTRIBUTES = {"class", "style", "colspan", "repeat"}
_WIDTH = re.compile(r"\s*width:\s*([\d.]+)%\s*;?\s*")
_SPACES = re.compile(r"[ \t\n\r\f]+")  #: HTML's white space (not U+00A0, not the ideographic space)
#: control characters, which print as nothing (a value pasted with them still prints the rest)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: per font: glyph -> width at 1pt
_widths: dict[str, dict[str, float]] = {}


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (see the module's docstring); at least one line."""
    known = _widths.setdefault(font, {})
    face = getFont(font)
    lines, start, used, limit = [], 0, 0.0, width / size + 1e-8
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        advance = known.get(char)
        if advance is None:
            advance = known[char] = face.stringWidth(char, 1.0)
        used += advance
        if used > limit and index > start:
            if char in ALL_CANNOT_START:
                index += 1  # hangs in the margin
            lines.append(text[start:index])
            start, used = index, 0.0
            continue
        index += 1
    if start < length or not lines:
        lines.append(text[start:])
    return lines


class _Lines(Flowable):
    """A block of text in one style, wrapped to the width it is given."""

    def __init__(self, text: str, style: _Style, font: str) -> None:
        super().__init__()
        self.text, self.style, self.font = text, style, font
        self.spaceBefore, self.spaceAfter = style.before, style.after
        self.lines: list[str] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.lines = wrap(self.text, self.font, self.style.size, availWidth)
        self.height = len(self.lines) * self.style.leading
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """The lines that fit and the rest (a block taller than what is left of the page)."""
        self.wrap(availWidth, availHeight)
        fit = int(availHeight // self.style.leading)
        if not 0 < fit < len(self.lines):
            return []
        cut = sum(len(line) for line in self.lines[:fit])  # the lines are consecutive slices of the text
        first = _Lines(self.text[:cut], replace(self.style, after=0.0), self.font)
        return [first, _Lines(self.text[cut:], replace(self.style, before=0.0), self.font)]

    def draw(self) -> None:
        style, canvas = self.style, self.canv
        canvas.setFont(self.font, style.size)
        canvas.setFillColor(style.color)
        y = self.height - _ascent(self.font) * style.size  # the glyphs' top at the top of the line
        for line in self.lines:
            if style.align == "CENTER":
                canvas.drawCentredString(self.width / 2, y, line)
            elif style.align == "RIGHT":
                canvas.drawRightString(self.width, y, line)
            else:
                canvas.drawString(0, y, line)
            y -= style.leading


class _LeadIn(Flowable):
    """A heading (and note) kept with the first rows of the table under it: when the table has to be split, the
    heading goes with its first part; when not even the table's header and one row fit, all of it starts the next
    page."""

    def __init__(self, lead: list[_Lines], table: Table) -> None:
        super().__init__()
        self.lead, self.table = lead, table
        self.spaceBefore = lead[0].getSpaceBefore()
        self._tops: list[float] = []

    def _wrap_lead(self, width: float) -> float:
        """The height of the lead, its blocks wrapped; the space between two blocks is the larger of the two
        (as in a frame)."""
        self._tops, y, after = [], 0.0, None
        for block in self.lead:
            if after is not None:
                y += max(block.getSpaceBefore(), after)
            self._tops.append(y)
            y += block.wrap(width, FRAME_HEIGHT)[1]
            after = block.getSpaceAfter()
        return y + after

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = self._wrap_lead(availWidth) + self.table.wrap(availWidth, availHeight)[1]
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lead = self._wrap_lead(availWidth)
        if lead > FRAME_HEIGHT:  # a page could never hold it: its blocks split on their own
            return [*self.lead, self.table]
        parts = self.table.split(availWidth, availHeight - lead)
        return [*self.lead, *parts] if parts else []

    def draw(self) -> None:
        for block, top in zip(self.lead, self._tops, strict=True):
            block.drawOn(self.canv, 0, self.height - top - block.height)
        self.table.drawOn(self.canv, 0, 0)


class _NumberedCanvas(Canvas):
    """A canvas that keeps each page until the document is saved, then writes every page's footer with the
    total number of pages (ReportLab's "page N of M" recipe)."""

    def __init__(self, *args: object, footer: tuple[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer  #: (the font, the application number)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        font, number = self._footer
        style = _STYLES["footer"]
        for page, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(font, style.size)
            self.setFillColor(style.color)
            self.drawCentredString(PAGE_WIDTH / 2, FOOTER_TOP - _ascent(font) * style.size,
                                   f"申请编号：{number}　第{page}页，共{len(self._pages)}页")
            super().showPage()
        super().save()


def _classes(element: lxml_html.HtmlElement) -> set[str]:
    """The element's classes, checked against what its tag may carry."""
    tag = element.tag
    if tag not in KNOWN_CLASSES:
        raise FormMarkupError(f"unknown element <{tag}>")
    unknown = set(element.attrib) - KNOWN_ATTRIBUTES
    if unknown:
        raise FormMarkupError(f"unknown attribute {sorted(unknown)} on <{tag}>")
    classes = set(element.get("class", "").split())
    if classes - KNOWN_CLASSES[tag]:
        raise FormMarkupError(f"unknown class {sorted(classes - KNOWN_CLASSES[tag])} on <{tag}>")
    return classes


def _text(element: lxml_html.HtmlElement) -> str:
    """The text of an element without child elements, its white space collapsed as HTML does."""
    if len(element):
        raise FormMarkupError(f"unexpected <{element[0].tag}> inside <{element.tag}>")
    return _SPACES.sub(" ", element.text or "").strip(" ")


def _children(element: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The child elements of a container (the form, a table, a row), which holds no text of its own."""
    children = list(element)
    for text in (element.text, *(child.tail for child in children)):
        if text and not text.isspace():
            raise FormMarkupError(f"text {text.strip()[:20]!r} directly in <{element.tag}>")
    return children


def _width(element: lxml_html.HtmlElement) -> float | None:
    style = element.get("style")
    if style is None:
        return None
    found = _WIDTH.fullmatch(style)
    if not found:
        raise FormMarkupError(f"unknown style {style!r} on <{element.tag}>")
    return float(found.group(1)) / 100


class _Translator:
    """One form's HTML to a list of flowables."""

    def __init__(self, font: str) -> None:
        self.font = font

    def lines(self, element: lxml_html.HtmlElement, style: str) -> _Lines:
        return _Lines(_text(element), _STYLES[style], self.font)

    def flowables(self, parent: lxml_html.HtmlElement) -> list[Flowable]:
        """The blocks of ``div.af`` or ``div.af-sign-block``; a heading or note is kept with the table under it."""
        story: list[Flowable] = []
        lead: list[Flowable] = []
        for element in _children(parent):
            classes = _classes(element)
            if element.tag == "h1":
                story.append(self.lines(element, "af-title"))
            elif element.tag == "h2":
                lead.append(self.lines(element, "af-section"))
            elif element.tag == "p" and "af-note" in classes:
                lead.append(self.lines(element, "af-who" if "af-who" in classes else "af-note"))
            elif element.tag == "table":
                table = self.table(element, classes)
                story.append(_LeadIn(lead, table) if lead else table)
                lead = []
            elif element.tag == "div" and "af-sign-block" in classes:
                story.append(KeepTogether(self.flowables(element)))
            else:
                raise FormMarkupError(f"unexpected <{element.tag} class={element.get('class')!r}>")
        if lead:
            raise FormMarkupError("a heading with no table under it")
        return story

    def table(self, element: lxml_html.HtmlElement, classes: set[str]) -> Table:
        grid = "af-grid" in classes
        rows = _children(element)
        for row in rows:
            if row.tag != "tr":
                raise FormMarkupError(f"unexpected <{row.tag}> in a table")
            _classes(row)
            _children(row)
        columns = max(sum(int(cell.get("colspan", 1)) for cell in row) for row in rows)
        padding = PADDING if grid else (0.0, 0.0, 3.0, 0.0)
        widths = self.column_widths(rows, columns, padding[1] + padding[3])
        body = _STYLES["body"]
        # ReportLab draws a string cell's first baseline one font size under the padding; xhtml2pdf put the
        # glyphs' top there: the text of string cells is raised by the difference (the row keeps its height),
        # cells of blocks (_Lines) get the padding as it is
        raise_by = (1 - _ascent(self.font)) * body.size
        commands: list[tuple] = [("FONTNAME", (0, 0), (-1, -1), self.font),
                                 ("FONTSIZE", (0, 0), (-1, -1), body.size),
                                 ("LEADING", (0, 0), (-1, -1), body.leading),
                                 ("TOPPADDING", (0, 0), (-1, -1), padding[0] - raise_by),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), padding[1]),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), padding[2] + raise_by),
                                 ("LEFTPADDING", (0, 0), (-1, -1), padding[3]),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP" if "af-list" in classes or not grid else "MIDDLE")]
        if grid:
            commands.append(("GRID", (0, 0), (-1, -1), BORDER, colors.black))
        data, heights, split_in_row = [], [], False
        for y, row in enumerate(rows):
            cells, box, needed, x = [], 0.0, 0.0, 0
            texts = {}  #: the string cells' text and alignment by column
            for cell in row:
                cell_classes = _classes(cell)
                span = int(cell.get("colspan", 1))
                inner = sum(widths[x:x + span]) - padding[1] - padding[3]
                align = "CENTER" if cell.tag == "th" or "af-center" in cell_classes else "LEFT"
                if "af-meta-right" in cell_classes:
                    align = "RIGHT"
                if span > 1:
                    commands.append(("SPAN", (x, y), (x + span - 1, y)))
                if align != "LEFT":
                    commands.append(("ALIGN", (x, y), (x, y), align))
                if cell.tag == "th":
                    commands.append(("BACKGROUND", (x, y), (x, y), HEADER_GREY))
                    commands.append(("VALIGN", (x, y), (x, y), "MIDDLE"))
                boxes = [BOX_HEIGHTS[name] for name in cell_classes & BOX_HEIGHTS.keys()]
                if len(cell) or boxes:
                    blocks = self.cell_blocks(cell, align)
                    commands += [("TOPPADDING", (x, y), (x, y), padding[0]),
                                 ("BOTTOMPADDING", (x, y), (x, y), padding[2])]
                    box = max(box, min(boxes, default=0.0))
                    used = sum(block.getSpaceBefore() + block.wrap(inner, PAGE_HEIGHT)[1] + block.getSpaceAfter()
                               for block in blocks)
                    cells.append(blocks)
                else:
                    texts[x] = _text(cell), align
                    lines = wrap(texts[x][0], self.font, body.size, inner)
                    used = len(lines) * body.leading
                    cells.append("\n".join(lines))
                needed = max(needed, used + padding[0] + padding[2])
                cells.extend([""] * (span - 1))
                x += span
            data.append(cells + [""] * (columns - x))
            heights.append(box if box > needed else None)  # a box is at least as high as its class says
            if needed > FRAME_HEIGHT:
                # the one kind of row split across pages (the others move whole to the next page), as blocks,
                # top-aligned: ReportLab splits a string cell at lines of 1.2 em, not of its leading, and a
                # vertically centred one not at all
                split_in_row = True
                commands.append(("VALIGN", (0, y), (-1, y), "TOP"))
                for column, (text, align) in texts.items():
                    data[-1][column] = [_Lines(text, _aligned(body, align), self.font)]
                    commands += [("TOPPADDING", (column, y), (column, y), padding[0]),
                                 ("BOTTOMPADDING", (column, y), (column, y), padding[2])]
        return Table(data, colWidths=widths, rowHeights=heights, style=TableStyle(commands),
                     repeatRows=int(element.get("repeat", 0)), splitInRow=int(split_in_row), hAlign="LEFT")

    def cell_blocks(self, cell: lxml_html.HtmlElement, align: str = "LEFT") -> list[Flowable]:
        """A cell with elements inside: its text and each ``div.af-small`` or ``p`` as a block of its own."""
        blocks = []
        text = _SPACES.sub(" ", cell.text or "").strip(" ")
        if text:
            blocks.append(_Lines(text, _aligned(_STYLES["body"], align), self.font))
        for child in cell:
            classes = _classes(child)
            if child.tag == "div" and classes == {"af-small"}:
                style = _aligned(_STYLES["af-small"], align)
            elif child.tag == "p" and len(classes) <= 1 and classes <= {"af-sign", "af-stamp"}:
                style = _STYLES[next(iter(classes), "box")]
            else:
                raise FormMarkupError(f"unexpected <{child.tag} class={child.get('class')!r}> in a cell")
            blocks.append(_Lines(_text(child), style, self.font))
            if (child.tail or "").strip():
                raise FormMarkupError(f"text after <{child.tag}> in a cell")
        return blocks

    def column_widths(self, rows: list[lxml_html.HtmlElement], columns: int, padding: float) -> list[float]:
        """Each column's width from the ``width: N%`` of a cell spanning only it; the rest of the width shared by
        the other columns in proportion to the text of their widest cell (as a browser lays out such a table)."""
        shares: list[float | None] = [None] * columns
        natural = [1.0] * columns
        for cell, x, span in _cells(rows):
            share = _width(cell)
            if share is not None and span == 1 and shares[x] is None:
                shares[x] = share
        if None in shares:
            for cell, x, span in _cells(rows):
                if span == 1 and shares[x] is None:
                    text = _SPACES.sub(" ", cell.text_content()).strip(" ")
                    natural[x] = max(natural[x], stringWidth(text, self.font, _STYLES["body"].size) + padding)
        left = max(0.0, 1.0 - sum(share for share in shares if share is not None))
        unset = sum(natural[x] for x, share in enumerate(shares) if share is None)
        return [BODY_WIDTH * (share if share is not None else left * natural[x] / unset)
                for x, share in enumerate(shares)]


def _cells(rows: list[lxml_html.HtmlElement]) -> Iterator[tuple[lxml_html.HtmlElement, int, int]]:
    """(cell, its first column, the columns it spans) of every cell of the rows."""
    for row in rows:
        x = 0
        for cell in row:
            span = int(cell.get("colspan", 1))
            yield cell, x, span
            x += span


def _ascent(font: str) -> float:
    """The font's ascent as a fraction of its size."""
    return getAscent(font) / 1000


def _aligned(style: _Style, align: str) -> _Style:
    return style if style.align == align else replace(style, align=align)


def translate(form_html: str, font: str) -> list[Flowable]:
    """The flowables of the form's HTML (the partial, ``div.af``); FormMarkupError for anything unknown."""
    root = lxml_html.fragment_fromstring(_CONTROLS.sub("", form_html))
    if root.tag != "div" or _classes(root) != {"af"}:
        raise FormMarkupError(f"the form is not one <div class='af'> but <{root.tag}>")
    return _Translator(font).flowables(root)


def render(form_html: str, *, title: str, number: str) -> bytes:
    """The A4 PDF of the form's HTML, with 「申请编号：… 第N页，共M页」 under every page."""
    font = cjk_font_name()
    output = io.BytesIO()
    frame = Frame(MARGINS[3], MARGINS[2], BODY_WIDTH, FRAME_HEIGHT, leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0)
    document = BaseDocTemplate(output, pagesize=A4, pageTemplates=[PageTemplate(frames=[frame])], title=title)
    try:
        document.build(translate(form_html, font), canvasmaker=lambda *args, **kwargs: _NumberedCanvas(
            *args, footer=(font, number), **kwargs))
    except (FormMarkupError, LayoutError) as error:
        log.error("PDF rendering of the form %s failed: %s", number, error)
        raise PdfRenderError() from error
    return output.getvalue()
