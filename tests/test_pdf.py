"""PDF rendering: Chinese text, embedded font, A4, wrapping, fallback, resources."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image
from pypdf import PdfReader

from portal.services.documents.pdf import FALLBACK_FONT, PdfRenderError, cjk_font_name, link_callback, render_pdf

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
RARE_NAME = "堃喆赟昇珺"
LONG_TEXT = "本人承诺所填写的注册信息真实、准确、完整，如有虚假愿承担相应的法律责任。" * 25
EXTRA_TEMPLATES = {
    "plain.html": "<html><body><p>{{ text }}</p></body></html>",
    "image.html": '<html><body><p>图片</p><img src="{{ src }}" width="40" height="20"></body></html>',
    "deep.html": "<html><body>" + "<div>" * 260 + "深" + "</div>" * 260 + "</body></html>",
}


def make_app(static_folder: Path, **config: object) -> Flask:
    """A bare Flask app using the package templates plus a few test-only ones."""
    app = Flask(
        __name__, template_folder=str(TEMPLATES), static_folder=str(static_folder), static_url_path="/static"
    )
    app.config.update(config)
    app.jinja_loader = ChoiceLoader([DictLoader(EXTRA_TEMPLATES), app.jinja_loader])
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    with app.app_context():
        yield app


def render_sample() -> bytes:
    return render_pdf(
        "pdf/_test_sample.html",
        title="延续注册申请表（样张）",
        rows=[
            ("姓名", "张" + RARE_NAME),
            ("证件号码", "211322196402200016"),
            ("聘用单位", "某某安全技术有限公司"),
        ],
        paragraph=LONG_TEXT,
    )


def extract_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def font_dicts(pdf: bytes) -> list[dict]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            fonts.append(ref.get_object())
    return fonts


def word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, str]]:
    """(xMax, yMin, text) of every word pdftotext finds."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-bbox", str(source), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pattern = r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
    return [(float(x_max), float(y_min), text) for y_min, x_max, text in re.findall(pattern, html)]


def test_sample_is_a_pdf_with_the_chinese_text(app: Flask) -> None:
    pdf = render_sample()
    assert pdf.startswith(b"%PDF")
    text = extract_text(pdf)
    assert "延续注册申请表" in text
    assert RARE_NAME in text
    assert "211322196402200016" in text


def test_font_is_embedded_truetype(app: Flask) -> None:
    pdf = render_sample()
    embedded = [
        font
        for font in font_dicts(pdf)
        if "/FontDescriptor" in font and "/FontFile2" in font["/FontDescriptor"].get_object()
    ]
    assert embedded
    assert any("WenQuanYi" in str(font["/BaseFont"]) for font in embedded)


def test_page_is_a4(app: Flask) -> None:
    page = PdfReader(io.BytesIO(render_sample())).pages[0]
    assert float(page.mediabox.width) == pytest.approx(595.3, abs=1)
    assert float(page.mediabox.height) == pytest.approx(841.9, abs=1)


def test_long_paragraph_wraps_inside_the_page(app: Flask, tmp_path: Path) -> None:
    boxes = word_boxes(render_sample(), tmp_path)
    assert boxes
    assert max(x_max for x_max, _, _ in boxes) < 595
    paragraph_lines = {round(y_min) for _, y_min, text in boxes if "承诺" in text or "责任" in text}
    assert len(paragraph_lines) >= 8


def test_paragraph_spanning_pages_renders(app: Flask) -> None:
    pdf = render_pdf("plain.html", text=LONG_TEXT * 4)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "法律责任" in reader.pages[-1].extract_text()


def test_templates_without_css_get_the_cjk_font_and_wrapping(app: Flask, tmp_path: Path) -> None:
    pdf = render_pdf("plain.html", text=LONG_TEXT)
    assert "如有虚假愿承担相应的法律责任" in extract_text(pdf).replace("\n", "")
    assert max(x_max for x_max, _, _ in word_boxes(pdf, tmp_path)) < 595
    assert any("WenQuanYi" in str(font["/BaseFont"]) for font in font_dicts(pdf))


def test_missing_font_falls_back_to_stsong(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = str(tmp_path / "no-such-font.ttc")
    app = make_app(tmp_path, PDF_FONT_PATH=missing)
    with app.app_context(), caplog.at_level(logging.WARNING, logger="portal.services.documents.pdf"):
        assert cjk_font_name() == FALLBACK_FONT
        first = render_sample()
        second = render_sample()
    assert sum("not found" in record.getMessage() for record in caplog.records) == 1
    for pdf in (first, second):
        assert pdf.startswith(b"%PDF")
        assert RARE_NAME in extract_text(pdf)
        assert any(FALLBACK_FONT in str(font["/BaseFont"]) for font in font_dicts(pdf))
    # The default configuration in the same process still embeds the TrueType font.
    with make_app(tmp_path).app_context():
        assert cjk_font_name() == "PortalCJK"
        assert any("WenQuanYi" in str(font["/BaseFont"]) for font in font_dicts(render_sample()))


def test_link_callback_only_resolves_static_files(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    logo = tmp_path / "img" / "logo.png"
    logo.write_bytes(b"png")
    assert link_callback("/static/img/logo.png") == str(logo.resolve())
    assert link_callback("img/logo.png") == str(logo.resolve())
    for refused in (
        "http://example.com/logo.png",
        "file:///etc/passwd",
        "/etc/passwd",
        "/static/../../etc/passwd",
        "/static/img/missing.png",
        "//example.com/static/img/logo.png",
    ):
        assert link_callback(refused) is None, refused


def test_static_image_is_embedded_and_remote_one_is_not_fetched(app: Flask, tmp_path: Path) -> None:
    Image.new("RGB", (40, 20), "red").save(tmp_path / "seal.png")
    with_image = render_pdf("image.html", src="/static/seal.png")
    page = PdfReader(io.BytesIO(with_image)).pages[0]
    assert page["/Resources"].get("/XObject")
    for src in ("http://127.0.0.1:9/seal.png", "/etc/hosts"):
        pdf = render_pdf("image.html", src=src)
        assert "图片" in extract_text(pdf)
        assert not PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get("/XObject")


def test_unrenderable_document_raises_domain_error(app: Flask) -> None:
    with pytest.raises(PdfRenderError, match="PDF文件生成失败"):
        render_pdf("deep.html")
