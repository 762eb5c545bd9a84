"""The 延续注册申请表 PDF: long content across pages, nothing off the page, the fallback font, the boxes."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from portal.services.documents.application_form import form_context, render_form_html, render_form_pdf
from tests.test_renewal_support import pdf_text

NUMBER = "YX202600000012"
RARE_NAME = "欧阳堃喆赟昇珺"


def snapshot(entries: int = 4, rows: int = 2, long: bool = False) -> dict:
    factor = 4 if long else 1
    return {
        "date": "2026-02-10",
        "person": {"name": RARE_NAME if long else "王建国", "gender": "男", "birth_date": "1964-02-20",
                   "id_type": "居民身份证", "id_number": "211322196402200016", "education": "大学本科",
                   "major": "安全工程", "title": "高级工程师", "mobile": "13900000001",
                   "email": "wang.jianguo@example.com", "address": "辽宁省沈阳市和平区南京北街1号华信大厦" * factor,
                   "postcode": "110001", "category": "化工安全"},
        "certificate": {"number": "ZA0000000001", "category": "化工安全", "valid_from": "2021-03-31",
                        "valid_until": "2026-03-31"},
        "employer": {"name": "辽宁华信化工有限公司" * factor, "credit_code": "91210100MA0Y123459",
                     "kind": "生产经营单位", "address": "辽宁省沈阳市和平区南京北街1号" * factor,
                     "contact_person": "赵敏", "contact_phone": "024-23456789"},
        "body": {"name": "辽宁省应急管理厅"},
        "education": {"entries": [{"course": f"危险化学品安全管理第{i + 1}期" * factor,
                                   "organiser": "辽宁省安全生产培训中心" * (2 if long else 1),
                                   "start_date": "2022-03-01", "end_date": "2022-03-03", "hours": 12,
                                   "counted": i != 1} for i in range(entries)],
                      "total": 12 * (entries - 1), "required": 48, "period_from": "2021-03-31",
                      "period_to": "2026-02-10"},
        "work": [{"start_date": f"{1980 + i}-01-01", "end_date": "" if i == rows - 1 else f"{1980 + i}-12-31",
                  "employer_name": f"沈阳化工厂第{i + 1}车间" * factor, "position": "安全员",
                  "duties": "车间安全检查、隐患排查治理、安全教育培训" * (5 if long else 1)} for i in range(rows)],
    }


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[int, float, float, str]]:
    """(page, xMax, yMax, text) of every word pdftotext finds."""
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    html = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-bbox", str(source), "-"], check=True,
                          capture_output=True, text=True).stdout
    boxes = []
    for page_number, page in enumerate(html.split("<page ")[1:], start=1):
        for x_max, y_max, word in re.findall(r'xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page):
            boxes.append((page_number, float(x_max), float(y_max), word))
    return boxes


def test_the_form_holds_the_applicant_employer_hours_and_boxes(ctx):
    pdf = render_form_pdf(snapshot(), NUMBER)
    reader = PdfReader(io.BytesIO(pdf))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.3, abs=1)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(841.9, abs=1)
    content = pdf_text(pdf)
    for expected in ("注册安全工程师延续注册申请表", NUMBER, "王建国", "211322196402200016", "辽宁华信化工有限公司",
                     "91210100MA0Y123459", "危险化学品安全管理第4期", "沈阳化工厂第2车间", "至今", "不计入",
                     "申请人签名", "聘用单位意见", "聘用单位公章", "注册机构初审意见", "注册机构盖章"):
        assert expected in content, expected
    assert "36" in content.split("学时合计")[1][:40]


def test_long_content_runs_over_pages_and_stays_on_them(ctx, tmp_path):
    pdf = render_form_pdf(snapshot(entries=45, rows=30, long=True), NUMBER)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 5
    content = pdf_text(pdf)
    assert RARE_NAME in content
    assert "危险化学品安全管理第45期" in content and "沈阳化工厂第30车间" in content
    boxes = word_boxes(pdf, tmp_path)
    assert max(x for _, x, _, _ in boxes) < 595 - 30  # inside the right margin
    assert max(y for _, _, y, _ in boxes) < 842 - 10  # above the bottom edge (the footer sits in the margin)
    # every page carries the application number in its footer, and the signature boxes come last
    for index, page in enumerate(reader.pages, start=1):
        assert NUMBER in page.extract_text(), index
        assert f"第{index}页，共{len(reader.pages)}页" in page.extract_text().replace(" ", "")
    assert "聘用单位公章" in reader.pages[-1].extract_text()


@pytest.mark.parametrize(("entries", "rows"), [(4, 2), (9, 6), (12, 8), (45, 30)])
def test_the_signature_and_stamp_block_stays_whole_and_names_the_applicant(ctx, entries, rows):
    """Section 五 (promise, 聘用单位公章, 初审, 注册管理中心审批) is never split across pages, and the page it is on
    repeats the applicant's name, ID number and the application number above it."""
    reader = PdfReader(io.BytesIO(render_form_pdf(snapshot(entries=entries, rows=rows), NUMBER)))
    [page] = [page for page in reader.pages if "五、申请人承诺及签章" in page.extract_text()]
    text = page.extract_text().replace(" ", "")
    for words in ("申请人：王建国", "证件号码：211322196402200016", f"申请编号：{NUMBER}", "申请人签名",
                  "聘用单位公章", "注册机构初审意见", "注册管理中心审批意见", "注册管理中心盖章"):
        assert words in text, (entries, words)
    assert text.index("五、申请人承诺及签章") < text.index("申请人签名") < text.index("注册管理中心盖章")


def test_fallback_font_when_the_truetype_font_is_missing(app_factory_fallback):
    with app_factory_fallback.test_request_context():
        pdf = render_form_pdf(snapshot(long=True), NUMBER)
    assert RARE_NAME in pdf_text(pdf)
    fonts = [str(font.get_object()["/BaseFont"]) for page in PdfReader(io.BytesIO(pdf)).pages
             for font in page["/Resources"]["/Font"].values()]
    assert any("STSong-Light" in font for font in fonts)


@pytest.fixture
def app_factory_fallback(test_config, tmp_path, _schema):
    from portal import create_app

    return create_app({**test_config, "PDF_FONT_PATH": str(tmp_path / "missing.ttc")})


def test_a_partial_snapshot_prints_blank_rows(ctx):
    context = form_context({"person": {"name": "张三"}}, None)
    assert context["education"]["blank_rows"] == 2 and context["work_blank_rows"] == 2
    assert "张三" in pdf_text(render_form_pdf({"person": {"name": "张三"}}, "YX1"))


def test_preview_html_is_the_same_partial_in_chinese(app):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        html = str(render_form_html(snapshot(), None))
    assert "注册安全工程师延续注册申请表" in html and "（上报后生成）" in html
    assert "聘用单位公章" in html
