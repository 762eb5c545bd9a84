"""Faster, output-identical replacements for a few hot spots of the PDF libraries.

Written against xhtml2pdf 0.2.28 and ReportLab 5.1.0 (``install`` checks those versions and leaves the libraries
alone on any other). Each replacement computes exactly what the library's own function does — the same objects,
the same floats in the same order — with less Python work per glyph; ``tests/test_pdf_speedups.py`` compares
them with the originals, and the rendered forms are compared page by page with the code before them. The 申请表
itself is laid out without xhtml2pdf (``form_pdf.py``): of these, the font subsets and ``fp_str`` serve it too,
the others the documents xhtml2pdf still renders (certificate, summary, blank forms).

- ``cjk_frag_split`` for ``xhtml2pdf.reportlab_paragraph.cjkFragSplit``: CJK line breaking (``-pdf-word-wrap:
  CJK``). The original makes an object per glyph and, per glyph of each line, looks up the font's ascent and
  compares all the fragment's attributes with the previous glyph's; a table cell is broken three times (sized,
  placed, drawn at widths a rounding apart). Here widths are looked up per distinct glyph, the per-glyph work is
  done once per run of glyphs of the same fragment, and a paragraph's glyphs and lines are made once per layout.
- ``TTFontFace.makeSubset``: the embedded font's subset is kept per face and list of glyphs. Only a PDF with
  the same glyphs in the same order gains (a form downloaded again, the blank forms; about 3 ms of a typical
  申请表's 13): another applicant's name makes another subset.
- ``pisaContext._parseCSSSource`` for xhtml2pdf's own default stylesheet (with ours appended, see ``pdf.py``):
  parsed once per text instead of per PDF. It has no @-rules (the only part of parsing that touches the
  document), the cascade treats a parsed stylesheet as complete and never changes it, and its rules form a level
  of their own in the cascade, so their selectors' source order is only ever compared among themselves.
- ``fp_str`` (ReportLab's number formatting for the PDF, in Python unless its optional C accelerator rl_accel is
  installed): remembered per arguments. A form formats about 2,000 numbers, a few hundred distinct (line widths,
  colours, font sizes, the same cell borders over and over).

And ``layout`` around the layout itself: a long form keeps some hundred thousand objects alive while it is
laid out, and Python's cyclic garbage collector would walk the whole process a few times per PDF (about a tenth of
a 3-page form's time); what a layout leaves in cycles is collected after it.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

import reportlab
from reportlab.lib import rl_accel
from reportlab.pdfbase import ttfonts
from xhtml2pdf import context as pisa_context
from xhtml2pdf import parser as pisa_parser
from xhtml2pdf import reportlab_paragraph as paragraph

#: the versions the replacements were written against (and checked with)
XHTML2PDF_VERSION = "0.2.28"
REPORTLAB_VERSION = "5.1.0"
#: font subsets kept per font face (a subset is one of the font's 256-glyph tables, some tens of KiB)
SUBSETS_KEPT = 16
#: formatted numbers kept before the memo starts over
NUMBERS_KEPT = 20_000
#: paragraphs remembered for line breaking within one layout before the memo starts over
PARAGRAPHS_KEPT = 5_000

_installed = False
_enabled = False
_lock = threading.Lock()
#: the modules whose fp_str install replaced
_fp_str_modules: list = []
_original_make_subset = ttfonts.TTFontFace.makeSubset
_original_cjk_frag_split = paragraph.cjkFragSplit
_original_fp_str = rl_accel.fp_str
_original_parse_css_source = pisa_context.pisaContext._parseCSSSource
#: the text of a default stylesheet -> its parse
_default_stylesheets: dict[str, object] = {}
_numbers: dict[tuple, str] = {}


def _xhtml2pdf_version() -> str | None:
    try:
        return version("xhtml2pdf")
    except PackageNotFoundError:
        return None


def install() -> bool:
    """Put the replacements in place; False (nothing changed) when the libraries are not the versions they were
    written against."""
    global _installed
    with _lock:
        if not _installed:
            if _xhtml2pdf_version() != XHTML2PDF_VERSION or reportlab.Version != REPORTLAB_VERSION:
                return False
            _fp_str_modules.extend(_fp_str_users())
            _installed = True
        _switch(True)
        return True


def uninstall() -> None:
    """Put the libraries' own functions back (``bench/pdf.py --compare`` measures with and without)."""
    with _lock:
        if _installed:
            _switch(False)


def _switch(on: bool) -> None:
    global _enabled
    paragraph.cjkFragSplit = cjk_frag_split if on else _original_cjk_frag_split
    ttfonts.TTFontFace.makeSubset = _make_subset_kept if on else _original_make_subset
    pisa_context.pisaContext._parseCSSSource = _parse_css_source_kept if on else _original_parse_css_source
    for module in _fp_str_modules:
        module.fp_str = fp_str_kept if on else _original_fp_str
    _enabled = on


@contextmanager
def layout() -> Iterator[None]:
    """Around one layout: no cyclic garbage collection inside while the replacements are installed (unless it was
    off already; it is on again after it), and the paragraphs remembered for line breaking forgotten after it. Two
    threads laying out at once may end one's pause early or make it break a paragraph afresh: then that layout is
    merely slower."""
    pause = _enabled and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        _paragraphs.clear()
        if pause:
            gc.enable()


def cjk_frag_split(frags, maxWidths, calcBounds, encoding="utf8"):
    """``cjkFragSplit`` of xhtml2pdf 0.2.28: the fragments broken into lines at ``maxWidths`` (CJK rules: any
    glyph may end a line, one that cannot start a line hangs in the margin), the same lines built the same way."""
    text = _glyphs_of(frags, encoding)
    glyphs, widths, breaks = text.glyphs, text.widths, text.breaks
    lines = []
    widthUsed = lineStartPos = 0
    maxWidth = maxWidths[0]
    fuzz = paragraph._FUZZ
    cannot_start = paragraph.ALL_CANNOT_START
    for i in range(len(glyphs)):
        w = widths[i]
        widthUsed += w
        lineBreak = breaks[i]
        if (widthUsed > maxWidth + fuzz and widthUsed > 0) or lineBreak:
            if lineBreak:
                continue
            extraSpace = maxWidth - widthUsed + w
            end = i
            if glyphs[i] in cannot_start:
                extraSpace -= w
                end = i + 1
            lines.append(text.line(lineStartPos, end, extraSpace, calcBounds))
            try:
                maxWidth = maxWidths[len(lines)]
            except IndexError:
                maxWidth = maxWidths[-1]
            lineStartPos = end
            widthUsed = w
    if widthUsed > 0:
        lines.append(text.line(lineStartPos, len(glyphs), maxWidth - widthUsed, calcBounds))
    return paragraph.ParaLines(kind=1, lines=lines)


#: id(fragment list) -> its _Glyphs, for the lines of a paragraph broken again at another width (a table cell is
#: broken three times: sized, placed, drawn); forgotten after each layout (``layout``)
_paragraphs: dict[int, _Glyphs] = {}


def _fragments_key(frags) -> tuple:
    """What the glyphs of a fragment list are made from (its fragments, their text, font and inline objects)."""
    return tuple((id(f), f.text, getattr(f, "fontName", None), getattr(f, "fontSize", None),
                  getattr(getattr(f, "cbDefn", None), "width", None), hasattr(f, "lineBreak")) for f in frags)


def _glyphs_of(frags, encoding) -> _Glyphs:
    key = _fragments_key(frags)
    known = _paragraphs.get(id(frags))
    if known is not None and known.frags is frags and known.key == key:
        return known
    if len(_paragraphs) >= PARAGRAPHS_KEPT:
        _paragraphs.clear()
    text = _paragraphs[id(frags)] = _Glyphs(frags, key, encoding)
    return text


class _Glyphs:
    """A paragraph's fragments as glyphs, as ``cjkFragSplit`` of xhtml2pdf 0.2.28 sees them (each with its width,
    whether its fragment is a line break; an empty fragment is one empty glyph), and the lines built of them."""

    def __init__(self, frags, key: tuple, encoding: str) -> None:
        self.frags, self.key = frags, key  # the list is kept, so its id is not reused while it is known
        self.glyphs: list[str] = []
        self.widths: list[float] = []
        self.breaks: list[bool] = []
        self.runs: list[tuple[int, int, object]] = []  # (first glyph, end, fragment): the glyphs of each fragment
        self._lines: dict[tuple, tuple] = {}
        for f in frags:
            text = f.text
            if not isinstance(text, str):
                text = text.decode(encoding)
            start = len(self.glyphs)
            chars = list(text) if text else [text]
            if hasattr(f, "cbDefn"):
                self.widths.extend([getattr(f.cbDefn, "width", 0)] * len(chars))
            else:
                measured: dict[str, float] = {}
                font, size = f.fontName, f.fontSize
                for char in chars:
                    width = measured.get(char)
                    if width is None:
                        width = measured[char] = paragraph.stringWidth(char, font, size)
                    self.widths.append(width)
            self.glyphs.extend(chars)
            self.breaks.extend([hasattr(f, "lineBreak")] * len(chars))
            self.runs.append((start, len(self.glyphs), f))

    def line(self, start: int, end: int, extraSpace: float, calcBounds: bool):
        """``makeCJKParaLine(U[start:end], extraSpace, calcBounds)``: the words (copies: a drawing may change
        them) and sizes of the glyphs are made once per paragraph."""
        made = self._lines.get((start, end, calcBounds))
        if made is None:
            made = self._lines[start, end, calcBounds] = _words_and_sizes(self.glyphs, self.runs, start, end,
                                                                           calcBounds)
        words, fontSize, ascent, descent = made
        return paragraph.FragLine(kind=1, extraSpace=extraSpace, wordCount=1, words=[w.clone() for w in words],
                                  fontSize=fontSize, ascent=ascent, descent=descent)


def _words_and_sizes(glyphs, runs, start, end, calcBounds):
    """The words and sizes of ``makeCJKParaLine(U[start:end], ...)`` of xhtml2pdf 0.2.28, made a run of glyphs of
    one fragment at a time.

    Within a run every glyph has the fragment's font size, ascent and descent (so the maxima are taken once), and
    the original's comparison of each glyph's fragment with the previous one gives the same answer for all but
    the first glyph: the same fragment again (equal), except for a fragment holding an inline object or a line
    break, which never equals anything (each of its glyphs is a word of its own, as there)."""
    words = []
    CW: list[str] = []
    f0 = paragraph.FragLine()
    maxSize = maxAscent = minDescent = 0
    same_frag = paragraph._sameFrag
    for first, last, f in runs:  # every run has a glyph: an empty fragment has one, the empty string
        chars = glyphs[max(first, start):min(last, end)]
        if not chars:  # not on this line (a line may be empty: after a glyph that cannot start one)
            continue
        fontSize = f.fontSize
        if calcBounds:
            cbDefn = getattr(f, "cbDefn", None)
            if getattr(cbDefn, "width", 0):
                descent, ascent = paragraph.imgVRange(cbDefn.height, cbDefn.valign, fontSize)
            else:
                ascent, descent = paragraph.getAscentDescent(f.fontName, fontSize)
        else:
            ascent, descent = paragraph.getAscentDescent(f.fontName, fontSize)
        maxSize = max(maxSize, fontSize)
        maxAscent = max(maxAscent, ascent)
        minDescent = min(minDescent, descent)
        if hasattr(f, "cbDefn") or hasattr(f, "lineBreak"):
            for char in chars:  # never the same fragment: a word per glyph
                f0 = f0.clone()
                f0.text = "".join(CW)
                words.append(f0)
                CW = [char]
                f0 = f
            continue
        if not same_frag(f0, f):
            f0 = f0.clone()
            f0.text = "".join(CW)
            words.append(f0)
            CW = []
            f0 = f
        CW.extend(chars)
    if CW:
        f0 = f0.clone()
        f0.text = "".join(CW)
        words.append(f0)
    return words[1:], maxSize, maxAscent, minDescent


def _make_subset_kept(self, subset):
    """``TTFontFace.makeSubset`` remembered per face and glyph list (the bytes of a font file's subset depend on
    nothing else)."""
    kept = self.__dict__.setdefault("_portal_subsets", {})
    key = tuple(subset)
    data = kept.get(key)
    if data is None:
        if len(kept) >= SUBSETS_KEPT:
            kept.clear()
        data = kept[key] = _original_make_subset(self, subset)
    return data


def _parse_css_source_kept(self, text, sourceName):
    """``pisaContext._parseCSSSource``, the default stylesheet parsed once per text (see the module's docstring);
    a stylesheet with an @-rule is parsed every time, as it may change the document (pages, frames, fonts)."""
    if sourceName != pisa_parser.DEFAULT_CSS_SOURCE or "@" in text:
        return _original_parse_css_source(self, text, sourceName)
    stylesheet = _default_stylesheets.get(text)
    if stylesheet is None:
        if len(_default_stylesheets) >= 8:
            _default_stylesheets.clear()
        stylesheet = _default_stylesheets[text] = _original_parse_css_source(self, text, sourceName)
    return stylesheet


def _fp_str_users() -> list:
    """The loaded ReportLab and xhtml2pdf modules that call ``fp_str`` by the name they imported."""
    return [module for name, module in list(sys.modules.items())
            if name.split(".")[0] in ("reportlab", "xhtml2pdf") and getattr(module, "fp_str", None) is _original_fp_str]


def fp_str_kept(*numbers):
    """``fp_str`` remembered per arguments. Numbers equal as dictionary keys (1, 1.0, True) are formatted alike
    by it, so they may share an entry."""
    try:
        text = _numbers.get(numbers)
    except TypeError:  # a list among the arguments
        return _original_fp_str(*numbers)
    if text is None:
        if len(_numbers) >= NUMBERS_KEPT:
            _numbers.clear()
        text = _numbers[numbers] = _original_fp_str(*numbers)
    return text
