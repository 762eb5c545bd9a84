"""The 申请表's HTML laid out by services/documents/form_pdf.py: every element of every kind's form understood,
the preview's words printed in the preview's order, values printed as typed, long values wrapped, rows taller than
a page split."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from portal.services.documents import form_pdf
from portal.services.documents.application_form import render_form_html, render_form_pdf
from portal.services.documents.pdf import PdfRenderError, cjk_font_name
from portal.services.documents.snapshot import (
    CancellationPart,
    ChangePart,
    Education,
    EducationEntry,
    MaterialRow,
    WorkRow,
)
from tests.test_forms_kinds import CERTIFICATE, EXAM, kind_snapshot

NUMBER = "YX202700000031"
#: the right edge of the page body (A4 less 1.5 cm)
RIGHT_EDGE = 595.28 - 42.52
ENTRIES = tuple(EducationEntry(course=f"危险化学品重大危险源管理第{i}期", organiser="辽宁省安全培训中心",
                               start_date="2026-03-01", end_date="2026-03-06", hours=8, counted=i != 1)
                for i in range(1, 4))
WORK = tuple(WorkRow(start_date=f"{2000 + i}-03-01", end_date="" if i == 2 else f"{2001 + i}-02-28",
                     employer_name=f"辽宁新能化工有限公司第{i}分厂", position="安全主管", duties="隐患排查治理")
             for i in range(3))
WORK_HEADER = "起止时间工作单位职务从事安全生产工作内容"
MATERIALS = (MaterialRow("资格证书", 1, 1), MaterialRow("劳动合同或聘用文件", 1, 4))


def snapshot_of(kind: str, full: bool, **parts):
    """A form of ``kind`` with its tables filled (``full``) or empty (printed with blank rows)."""
    filled = {"education": Education(entries=ENTRIES, total=16, required=48, period_from="2022-01-01",
                                     period_to="2027-01-01"),
              "work": WORK, "materials": MATERIALS} if full else {}
    change = ChangePart(types="变更聘用单位、变更专业类别", old_employer_name="沈阳旧化工厂", reason="调入新单位")
    return kind_snapshot(kind, certificate=CERTIFICATE, exam=EXAM, change=change, **filled, **parts)


BY_SELF = CancellationPart(reason="退休", filed_by="本人")
BY_BODY = CancellationPart(ground="死亡", reason="病故", filed_by="辽宁省应急管理厅")
#: name -> (kind, tables filled, other parts): every kind, filed by the holder and by a body, full and empty
FORMS = {
    f"{name}-{'full' if full else 'empty'}": (kind, full, parts)
    for name, kind, parts in (("renewal", "renewal", {}), ("initial", "initial", {}),
                              ("late_initial", "late_initial", {}), ("change", "change", {}),
                              ("reregistration", "reregistration", {}),
                              ("cancellation-by-self", "cancellation", {"cancellation": BY_SELF}),
                              ("cancellation-by-body", "cancellation", {"cancellation": BY_BODY}))
    for full in (True, False)
}


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def words(text: str) -> str:
    """The text without any white space (ASCII, no-break and ideographic spaces alike)."""
    return re.sub(r"[\s\u3000]+", "", text)


def printed(pdf: bytes, tmp_path: Path, *options: str) -> list[str]:
    """The text of each page as pdftotext gives it (``-raw``: in the order it was drawn)."""
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", *options, str(source), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[float, str]]:
    """(xMax, text) of every word pdftotext finds."""
    html = "".join(printed(pdf, tmp_path, "-bbox"))
    return [(float(x_max), word) for x_max, word in re.findall(r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]


@pytest.mark.parametrize("form", list(FORMS))
def test_every_element_of_every_kind_of_form_is_understood(ctx, form):
    kind, full, parts = FORMS[form]
    html = str(render_form_html(snapshot_of(kind, full, **parts), NUMBER))
    story = form_pdf.translate(html, cjk_font_name())  # raises FormMarkupError for anything it does not know
    assert len(story) >= 5


@pytest.mark.parametrize("form", ["renewal-full", "late_initial-full", "change-full", "cancellation-by-body-full",
                                  "reregistration-empty"])
def test_the_pdf_prints_the_preview_s_words_in_the_preview_s_order(ctx, tmp_path, form):
    """preview == print: the text of the preview's HTML is the text of the PDF, page footers aside."""
    kind, full, parts = FORMS[form]
    snapshot = snapshot_of(kind, full, **parts)
    preview = words(lxml_html.fragment_fromstring(str(render_form_html(snapshot, NUMBER))).text_content())
    pages = printed(render_form_pdf(snapshot, NUMBER), tmp_path, "-raw")
    footers = [f"申请编号：{NUMBER}第{index}页，共{len(pages)}页" for index in range(1, len(pages) + 1)]
    assert [words(page)[-len(footer):] for page, footer in zip(pages, footers, strict=True)] == footers
    assert "".join(words(page)[:-len(footer)] for page, footer in zip(pages, footers, strict=True)) == preview


def test_the_form_embeds_its_font_on_a4_pages(ctx):
    reader = PdfReader(io.BytesIO(render_form_pdf(snapshot_of("renewal", True), NUMBER)))
    page = reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((595.3, 841.9), abs=1)
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert any("WenQuanYi" in str(font["/BaseFont"]) and "/FontFile2" in font["/FontDescriptor"].get_object()
               for font in fonts if "/FontDescriptor" in font)


@pytest.mark.parametrize("value", ['<b>王&amp;"建\'国</b>', "A & B <C> \"D\" 'E' &lt;F&gt; ]]> <!-- x -->"])
def test_what_the_applicant_typed_prints_as_typed(ctx, tmp_path, value):
    snapshot = kind_snapshot("renewal", work=(WorkRow(start_date="2020-01-01", employer_name=value, duties=value),))
    text = "".join(printed(render_form_pdf(snapshot, NUMBER), tmp_path, "-raw"))
    assert words(text).count(words(value)) == 2


def test_control_characters_in_a_value_print_as_nothing(ctx, tmp_path):
    snapshot = kind_snapshot("renewal", work=(WorkRow(start_date="2020-01-01", employer_name="辽宁\x00新能\x0b化工"),))
    assert "辽宁新能化工" in words("".join(printed(render_form_pdf(snapshot, NUMBER), tmp_path, "-raw")))


def test_long_unbroken_values_wrap_inside_their_cells(ctx, tmp_path):
    long_name, long_mail = "A" * 60, "wang.jianguo.anquan.gongchengshi." * 3 + "@example.com"
    snapshot = kind_snapshot("renewal", work=(WorkRow(start_date="2020-01-01", employer_name=long_name,
                                                      duties="车间安全检查" * 30),))
    snapshot = replace(snapshot, person=replace(snapshot.person, email=long_mail))
    pdf = render_form_pdf(snapshot, NUMBER)
    boxes = word_boxes(pdf, tmp_path)
    assert max(x_max for x_max, _ in boxes) <= RIGHT_EDGE + 0.5
    text = words("".join(printed(pdf, tmp_path, "-raw")))
    assert long_name in text and long_mail in text and "车间安全检查" * 30 in text


@pytest.mark.parametrize("where", ["work", "employer"])
def test_a_row_taller_than_a_page_is_split_across_pages(ctx, tmp_path, where):
    """Top-aligned (工作经历) or vertically centred (单位名称): the row runs over pages, nothing is lost."""
    long_text = "车间安全检查、隐患排查治理" * 400
    snapshot = kind_snapshot("renewal", work=(WorkRow(start_date="2020-01-01", employer_name="辽宁新能化工有限公司",
                                                      duties=long_text if where == "work" else "检查"),))
    if where == "employer":
        snapshot = replace(snapshot, employer=replace(snapshot.employer, name=long_text))
    pages = [words(page) for page in printed(render_form_pdf(snapshot, NUMBER), tmp_path, "-raw")]
    footers = [f"申请编号：{NUMBER}第{index}页，共{len(pages)}页" for index in range(1, len(pages) + 1)]
    assert len(pages) >= 3 and all(page.endswith(footer) for page, footer in zip(pages, footers, strict=True))
    body = "".join(page.removesuffix(footer) for page, footer in zip(pages, footers, strict=True))
    assert body.replace(WORK_HEADER, "").count("车间安全检查、隐患排查治理") == 400  # the header repeats on each page


@pytest.mark.parametrize("html", [
    '<div class="af"><h3>三级标题</h3></div>',
    '<div class="af"><h2 class="af-section af-bold">一、</h2><table class="af-grid"><tr><td>x</td></tr></table></div>',
    '<div class="af"><table class="af-grid"><tr><td rowspan="2">x</td></tr></table></div>',
    '<div class="af"><table class="af-grid"><tr><td style="color: red">x</td></tr></table></div>',
    '<div class="af"><table class="af-grid"><tr><td>x<span>y</span></td></tr></table></div>',
    '<div class="af"><table class="af-grid"><tbody><tr><td>x</td></tr></tbody></table></div>',
    '<div class="af">直接写在表单里的字<h1 class="af-title">标题</h1></div>',
    '<div class="af"><h1 class="af-title">标题<b>粗</b></h1></div>',
    '<div class="af"><h2 class="af-section">一、下面没有表格</h2></div>',
    '<div class="form"><h1 class="af-title">标题</h1></div>',
])
def test_markup_the_translator_does_not_know_is_an_error_not_a_gap(ctx, html):
    with pytest.raises(form_pdf.FormMarkupError):
        form_pdf.translate(html, cjk_font_name())
    with pytest.raises(PdfRenderError):
        form_pdf.render(html, title="样例", number=NUMBER)


@pytest.mark.parametrize("text", ["", "王", "注册安全工程师申请表，" * 9, "A" * 200, "（第100期）" * 7,
                                  "安全生产法律法规与新技术（第102期）", "wang@example.com　安全　 工程"])
def test_lines_are_the_text_cut_where_it_reaches_the_width(ctx, text):
    font, width = cjk_font_name(), 90.0
    lines = form_pdf.wrap(text, font, 10.0, width)
    assert "".join(lines) == text
    for line in lines:
        hangs = line[-1:] in form_pdf.ALL_CANNOT_START and len(line) > 1
        assert form_pdf.stringWidth(line[:-1] if hangs else line, font, 10.0) <= width + 1e-6, line
    for line in lines[1:]:
        assert line[0] not in form_pdf.ALL_CANNOT_START  # 「，」「）」 hang at the end of the line before
