"""The replacements of ``services/documents/speedups.py`` give exactly what the library functions they replace give."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from reportlab.lib.abag import ABag
from reportlab.lib.colors import black, red
from reportlab.pdfbase import ttfonts
from reportlab.platypus.paraparser import ParaFrag
from xhtml2pdf import reportlab_paragraph as paragraph

from portal.services.documents import speedups
from portal.services.documents.pdf import cjk_font_name, render_pdf

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
ORIGINAL_SPLIT = speedups._original_cjk_frag_split
ORIGINAL_SUBSET = speedups._original_make_subset
ORIGINAL_FP_STR = speedups._original_fp_str


@pytest.fixture
def font(tmp_path: Path) -> Iterator[str]:
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(tmp_path))
    with app.app_context():
        yield cjk_font_name()


def as_data(value: object) -> object:
    """A FragLine / ParaLines / fragment as plain data (its class and attributes), to compare two results."""
    if isinstance(value, ABag):
        return type(value).__name__, {name: as_data(item) for name, item in sorted(value.__dict__.items())}
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    return value


def fragment(text: str, font: str, size: float = 10.0, **extra: object) -> ParaFrag:
    frag = ParaFrag(text=text, fontName=font, fontSize=size, textColor=black, backColor=None, rise=0,
                    underline=0, strike=0, link=None)
    for name, value in extra.items():
        setattr(frag, name, value)
    return frag


def random_fragments(rng: random.Random, font: str) -> list[ParaFrag]:
    alphabet = "注册安全工程师申请表，。、：；）」》！？ABCxyz0123 　—"
    frags = []
    for _ in range(rng.randint(1, 6)):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        kind = rng.random()
        if kind < 0.1:
            frags.append(fragment("", font, cbDefn=ABag(kind="img", width=rng.choice([0, 12.5]), height=9.0,
                                                            valign="baseline")))
        elif kind < 0.15:
            frags.append(fragment("", font, lineBreak=True))
        else:
            frags.append(fragment(text, font, size=rng.choice([8.5, 10.0, 10.0, 17.0]),
                                  textColor=rng.choice([black, black, red])))
    return frags


def test_cjk_line_breaking_is_the_library_s(font):
    rng = random.Random(20261128)
    for _ in range(600):
        frags = random_fragments(rng, font)
        widths = [rng.choice([12.0, 40.5, 58.33070866141732, 58.33070766141731, 124.66, 500.0])
                  for _ in range(rng.randint(1, 3))]
        for calc_bounds in (False, True):
            expected = ORIGINAL_SPLIT(frags, list(widths), calc_bounds)
            assert as_data(speedups.cjk_frag_split(frags, list(widths), calc_bounds)) == as_data(expected)


def test_every_paragraph_of_the_forms_breaks_as_with_the_library(font, monkeypatch):
    """A render in which every line breaking is done both ways and compared."""
    compared = []

    def both(frags, max_widths, calc_bounds, encoding="utf8"):
        ours = speedups.cjk_frag_split(frags, list(max_widths), calc_bounds, encoding)
        assert as_data(ours) == as_data(ORIGINAL_SPLIT(frags, list(max_widths), calc_bounds, encoding))
        compared.append(len(frags))
        return ours

    monkeypatch.setattr(paragraph, "cjkFragSplit", both)
    for template in ("renewal_blank.html", "cancellation_blank.html", "correction_blank.html"):
        render_pdf(f"pdf/forms/{template}", title="空白表格")
    assert len(compared) > 200


def test_a_font_subset_is_made_once_and_is_the_library_s(font):
    from reportlab.pdfbase.pdfmetrics import getFont

    face = getFont(font).face
    subset = [0x20, *range(0x4E00, 0x4E40)]
    first = face.makeSubset(subset)
    assert first == ORIGINAL_SUBSET(face, subset)
    assert face.makeSubset(list(subset)) is first
    assert face.makeSubset(subset[:-1]) == ORIGINAL_SUBSET(face, subset[:-1])


def test_installed_for_the_versions_written_against():
    assert speedups.install()
    assert paragraph.cjkFragSplit is speedups.cjk_frag_split
    assert ttfonts.TTFontFace.makeSubset is speedups._make_subset_kept


def test_numbers_are_formatted_as_by_the_library():
    rng = random.Random(7)
    samples = [0, 0.0, -0.0, 1, 1.0, True, False, 1e-8, -1e-8, 0.25, 10, 10.0, 13.65234375, 595.2755905511812,
               -841.89, 1e20, 10**20, 123456789.123, *(rng.uniform(-1000, 1000) for _ in range(300))]
    for number in samples:
        assert speedups.fp_str_kept(number) == ORIGINAL_FP_STR(number), number
    for args in [(1, 0, 0, 1, 0, 0), (1.0, 0.0, 0.0, 1.0, 0.5, -0.5), ((0.0, 0.0, 0.0),), ([0.2, 0.4],),
                 (True, 2), (2, True)]:
        assert speedups.fp_str_kept(*args) == ORIGINAL_FP_STR(*args)
    assert speedups.fp_str_kept(0.1, 0.2) == speedups.fp_str_kept(0.1, 0.2) == ".1 .2"


def test_every_loaded_user_of_fp_str_calls_the_remembered_one():
    import sys

    import portal.services.documents.pdf  # noqa: F401  (installs the replacements)

    assert speedups._fp_str_users() == []
    assert sys.modules["reportlab.pdfgen.canvas"].fp_str is speedups.fp_str_kept
    assert sys.modules["reportlab.pdfbase.pdfdoc"].fp_str is speedups.fp_str_kept


def test_garbage_collection_is_paused_during_a_layout_only():
    import gc

    assert gc.isenabled()
    with speedups.layout():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), speedups.layout():
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with speedups.layout():
            pass
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()


def test_a_paragraph_broken_again_is_broken_afresh_when_its_text_changed(font):
    frags = [fragment("注册安全工程师延续注册申请表", font), fragment("", font)]
    with speedups.layout():
        first = speedups.cjk_frag_split(frags, [60.0], False)
        first.lines[0].words[0].text = "changed by a drawing"
        again = speedups.cjk_frag_split(frags, [60.0], False)
        assert as_data(again) == as_data(ORIGINAL_SPLIT(frags, [60.0], False))
        frags[0].text = "注册安全工程师"
        assert as_data(speedups.cjk_frag_split(frags, [60.0], False)) == as_data(
            ORIGINAL_SPLIT(frags, [60.0], False))
        frags.append(fragment("初始注册", font, size=17.0))
        assert as_data(speedups.cjk_frag_split(frags, [30.0, 60.0], True)) == as_data(
            ORIGINAL_SPLIT(frags, [30.0, 60.0], True))
    assert speedups._paragraphs == {}


def test_the_default_stylesheet_is_parsed_once_per_text(font, monkeypatch):
    parsed = []
    parse = speedups._original_parse_css_source

    def counting(self, text, source):
        parsed.append(source)
        return parse(self, text, source)

    monkeypatch.setattr(speedups, "_original_parse_css_source", counting)
    monkeypatch.setattr(speedups, "_default_stylesheets", {})
    first = render_pdf("pdf/_test_sample.html", title="样例", rows=[], paragraph="段落")
    second = render_pdf("pdf/_test_sample.html", title="样例", rows=[], paragraph="段落")
    assert parsed.count("the default CSS") == 1 and parsed.count("<style> block 1") == 2
    assert page_streams(first) == page_streams(second)


def page_streams(pdf: bytes) -> list[bytes]:
    import io

    from pypdf import PdfReader

    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_uninstall_puts_the_library_s_own_functions_back_until_installed_again():
    import gc
    import sys

    speedups.uninstall()
    try:
        assert paragraph.cjkFragSplit is ORIGINAL_SPLIT and ttfonts.TTFontFace.makeSubset is ORIGINAL_SUBSET
        assert sys.modules["reportlab.pdfgen.canvas"].fp_str is ORIGINAL_FP_STR
        with speedups.layout():
            assert gc.isenabled()
    finally:
        assert speedups.install()
    assert paragraph.cjkFragSplit is speedups.cjk_frag_split
    assert sys.modules["reportlab.pdfgen.canvas"].fp_str is speedups.fp_str_kept
