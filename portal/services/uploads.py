"""Uploaded materials (申请材料) checked and made safe before they are stored.

A file is judged by its content, never by its name or the type the browser declares: PDF, JPEG or PNG, not empty,
at most ``UPLOAD_MAX_BYTES``. Images are decoded with Pillow under a pixel limit (a decompression bomb is refused),
turned upright by their EXIF orientation, scaled down to a readable size (``UPLOAD_IMAGE_MAX_SIDE``, an A4 page at
300 dpi by default) and encoded afresh, which drops every piece of metadata (camera, GPS position, comments); a
small thumbnail is made at the same time. A PDF is parsed (pyHanko's reader) and must open without a password; its
pages are counted. Every refusal is a DomainError with a message for the applicant, on the field ``file``.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from ..i18n import lazy_gettext as _l
from .errors import DomainError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
#: the most pixels an image may decode to (a 12,000 × 12,000 scan); above it Pillow is not asked to decode
MAX_PIXELS = 144_000_000
THUMBNAIL_SIDE = 240
MAX_PDF_PAGES = 50


@dataclass(frozen=True)
class Upload:
    """A checked upload: the bytes to store (re-encoded for images), their type, pages, and a JPEG thumbnail
    (None for a PDF, which is shown by its page count)."""

    data: bytes
    content_type: str
    pages: int
    thumbnail: bytes | None

    @property
    def extension(self) -> str:
        return {PDF: "pdf", JPEG: "jpg", PNG: "png"}[self.content_type]


def sniff(data: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def _refuse(message) -> DomainError:
    return DomainError(message, field="file")


def inspect(data: bytes) -> Upload:
    """Check ``data`` and return what to store; DomainError (field ``file``) when it cannot be accepted."""
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    if not data:
        raise _refuse(_l("上传的文件是空的，请重新选择。"))
    if len(data) > max_bytes:
        raise _refuse(_l("文件不能超过 %(size)s MB，请压缩或分页后上传。", size=f"{max_bytes / 1024 / 1024:g}"))
    content_type = sniff(data)
    if content_type is None:
        raise _refuse(_l("只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断，不看扩展名）。"))
    if content_type == PDF:
        return Upload(data=data, content_type=PDF, pages=_pdf_pages(data), thumbnail=None)
    return _image(data, content_type)


def _pdf_pages(data: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise _refuse(_l("PDF 文件设有密码，请去掉密码后再上传。"))
        pages = int(reader.root["/Pages"]["/Count"])
    except DomainError:
        raise
    except Exception as error:  # any parser failure means the file is not a readable PDF
        raise _refuse(_l("PDF 文件已损坏或无法打开，请重新生成后上传。")) from error
    if pages < 1:
        raise _refuse(_l("PDF 文件没有页面。"))
    if pages > MAX_PDF_PAGES:
        raise _refuse(_l("PDF 文件不能超过 %(pages)d 页。", pages=MAX_PDF_PAGES))
    return pages


def _image(data: bytes, content_type: str) -> Upload:
    max_side = current_app.config["UPLOAD_IMAGE_MAX_SIDE"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PIXELS
            try:
                image = Image.open(io.BytesIO(data))
                if image.width * image.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.load()
            finally:
                Image.MAX_IMAGE_PIXELS = previous
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _refuse(_l("图片尺寸过大，无法处理，请缩小后上传。")) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _refuse(_l("图片已损坏或无法打开，请重新拍照或扫描后上传。")) from error
    image = ImageOps.exif_transpose(image)
    has_alpha = content_type == PNG and ("A" in image.getbands() or image.mode == "P")
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.save(out, format="PNG", optimize=True)  # a fresh file: no text chunks, no EXIF
        stored_type = PNG
    else:
        image.save(out, format="JPEG", quality=85, optimize=True)
        stored_type = JPEG
    thumbnail = image.convert("RGB")
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumb = io.BytesIO()
    thumbnail.save(thumb, format="JPEG", quality=80)
    return Upload(data=out.getvalue(), content_type=stored_type, pages=1, thumbnail=thumb.getvalue())
