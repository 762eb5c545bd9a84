"""Render Jinja templates to PDF with xhtml2pdf and an embedded CJK font.

``render_pdf`` needs an application context (not a request). Fonts are
registered with ReportLab once per font path; resources are read only from
the application's static folder, never from the network.

「第N页，共M页」 in one layout pass: xhtml2pdf's ``<pdf:pagecount>`` lays the whole
document out twice (ReportLab's multiBuild: a first pass only to count the
pages). A template instead prints ``{{ page_count }}``: the document is laid
out once with the number this template came out with last time; the pages of
the result are counted, and only when that number was wrong is the document
laid out again with the right one. A footer does not take part in the layout
of the body, so the second pass always settles it.

The 申请表 is not rendered here but by ``form_pdf`` (straight to ReportLab,
with the font registered here).
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus.doctemplate import LayoutError
from xhtml2pdf import default as pisa_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessPolicy

from . import speedups

log = logging.getLogger(__name__)
speedups.install()  # faster, output-identical line breaking and font subsets (see speedups.py)

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
#: The CSS family name templates may use whatever font ends up behind it.
FONT_ALIAS = "PortalCJK"
FALLBACK_FONT = "STSong-Light"

#: Added to xhtml2pdf's default stylesheet; a template's own CSS overrides it.
_BASE_CSS = """
html, title { font-family: %(font)s; }
body { font-family: %(font)s; font-size: 11pt; -pdf-word-wrap: CJK; }
"""

#: The page tree of a PDF written by ReportLab: one flat ``/Pages`` dictionary (the outline has a /Count too).
_PAGE_TREE = re.compile(rb"/Count (\d+) /Kids \[[^\]]*\] /Type /Pages\b")

_font_lock = threading.Lock()
#: Template name -> the number of pages it came out with last time (the guess for the next render).
_last_page_counts: dict[str, int] = {}
#: Font file path -> name registered with ReportLab for it.
_registered: dict[str, str] = {}


class PdfRenderError(RuntimeError):
    """A document could not be rendered to PDF."""

    def __init__(self, message: str = "PDF文件生成失败，请稍后再试") -> None:
        super().__init__(message)


def _register_family(name: str) -> None:
    """Map bold/italic of ``name`` to itself (the CJK fonts have one weight)."""
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)


def _register_ttf(path: str) -> str | None:
    """Register a TrueType font file; None when it is missing or unreadable."""
    if not os.path.isfile(path):
        log.warning("PDF font %s not found; falling back to %s", path, FALLBACK_FONT)
        return None
    name = FONT_ALIAS if FONT_ALIAS not in _registered.values() else f"{FONT_ALIAS}-{len(_registered)}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except TTFError as error:
        log.warning("PDF font %s unusable (%s); falling back to %s", path, error, FALLBACK_FONT)
        return None
    _register_family(name)
    return name


def _register_fallback() -> str:
    """Register ReportLab's built-in CID font (not embedded, needs no file)."""
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        _register_family(FALLBACK_FONT)
    return FALLBACK_FONT


def cjk_font_name() -> str:
    """Return the registered CJK font for ``PDF_FONT_PATH``, registering it once.

    Also points the CSS family ``PortalCJK`` at that font for xhtml2pdf.
    """
    path = current_app.config.get("PDF_FONT_PATH", DEFAULT_FONT_PATH)
    with _font_lock:
        name = _registered.get(path)
        if name is None:
            name = _register_ttf(path) or _register_fallback()
            _registered[path] = name
        pisa_default.DEFAULT_FONT[FONT_ALIAS.lower()] = name
    return name


def _static_root() -> Path | None:
    folder = current_app.static_folder
    return Path(folder).resolve() if folder else None


def link_callback(uri: str, rel: str | None = None) -> str | None:
    """Resolve ``/static/...`` (or a bare relative path) to a file in the static folder.

    Anything else (a URL with a scheme or host, a path outside the static
    folder, a missing file) is refused: None is returned and the resource
    policy of ``render_pdf`` then blocks the original reference.
    """
    if uri.startswith("data:image/"):
        return uri  # a picture inside the document itself (the certificate's QR code): nothing is read
    root = _static_root()
    parts = urlsplit(uri)
    if root is None or parts.scheme or parts.netloc:
        log.warning("PDF resource refused: %.120s", uri)
        return None
    path = unquote(parts.path)
    prefix = (current_app.static_url_path or "/static").rstrip("/") + "/"
    path = path.removeprefix(prefix).lstrip("/")
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        log.warning("PDF resource refused: %.120s", uri)
        return None
    return str(candidate)


def _resource_policy() -> ResourceAccessPolicy:
    """No network; local reads only inside the static folder."""
    return ResourceAccessPolicy.server(base_dir=_static_root(), allow_remote=False)


class PageCount:
    """``{{ page_count }}`` in a template: the number of pages the layout is made with, noting that it was
    printed (a template that does not print it is never laid out twice)."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.printed = False

    def __str__(self) -> str:
        self.printed = True
        return str(self.value)

    def __html__(self) -> str:
        return str(self)


def page_count_of(pdf: bytes) -> int:
    """The number of pages of a PDF written by ReportLab (its one page tree's ``/Count``); 0 if not found."""
    found = _PAGE_TREE.search(pdf)
    return int(found.group(1)) if found else 0


def render_pdf(template_name: str, **context: object) -> bytes:
    """Render a template (given ``pdf_font`` and ``page_count``) to an A4 PDF and return its bytes.

    ``{{ page_count }}`` is guessed from the template's last render (see the module's docstring); a wrong guess
    costs a second layout, never a wrong number."""
    guess = _last_page_counts.get(template_name, 1)
    pdf, printed = _render_once(template_name, guess, context)
    if printed:
        actual = page_count_of(pdf)
        if actual and actual != guess:
            log.debug("PDF %s: %d pages, not %d; laid out again", template_name, actual, guess)
            pdf, _printed = _render_once(template_name, actual, context)
        _last_page_counts[template_name] = actual or guess
    return pdf


def _render_once(template_name: str, page_count: int, context: dict) -> tuple[bytes, bool]:
    """One layout of the template; whether it printed ``page_count``."""
    font = cjk_font_name()
    count = PageCount(page_count)
    html = render_template(template_name, pdf_font=font, page_count=count, **context)
    output = io.BytesIO()
    try:
        with speedups.layout():
            result = pisa.CreatePDF(
                html,
                dest=output,
                encoding="utf-8",
                link_callback=link_callback,
                default_css=pisa_default.DEFAULT_CSS + _BASE_CSS % {"font": font},
                resource_policy=_resource_policy(),
            )
    # TypeError: xhtml2pdf 0.2.28 raises it for some CJK paragraphs split across pages.
    except (LayoutError, RenderLimitError, TypeError) as error:
        log.error("PDF rendering of %s failed: %s", template_name, error)
        raise PdfRenderError() from error
    if result.err:
        log.error("PDF rendering of %s reported errors: %s", template_name, result.log)
        raise PdfRenderError()
    return output.getvalue(), count.printed
