"""Uploaded materials: the storage's two backends (filesystem, database) behind one interface, and the checks
every upload passes — judged by content, size-limited, images re-encoded upright without metadata, decompression
bombs and locked or broken PDFs refused."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import current_app
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter
from sqlalchemy import select

from portal import clock
from portal.models import StoredFile
from portal.services import storage, uploads
from portal.services.documents.pdf import render_pdf
from portal.services.errors import DomainError


@pytest.fixture(params=["filesystem", "database"])
def store(request, app, db, tmp_path):
    app.config.update(UPLOAD_STORAGE=request.param, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    current_app.config.update(UPLOAD_STORAGE=request.param, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    return storage.storage()


def test_both_backends_keep_return_and_delete_a_file(store, db):
    key = store.put(b"%PDF-1.7 scan")
    db.session.commit()
    assert len(key) == 32 and store.get(key) == b"%PDF-1.7 scan"
    assert key in set(store.keys())
    store.delete(key)
    db.session.commit()
    with pytest.raises(KeyError):
        store.get(key)
    for bad in ("../../etc/passwd", "", "A" * 32, key + "0"):
        with pytest.raises(KeyError):
            store.get(bad)


def test_the_database_backend_writes_in_the_callers_transaction(app, db):
    current_app.config["UPLOAD_STORAGE"] = "database"
    store = storage.storage()
    key = store.put(b"kept only if committed")
    db.session.rollback()
    assert db.session.scalar(select(StoredFile).where(StoredFile.key == key)) is None
    with pytest.raises(KeyError):
        store.get(key)


def test_the_filesystem_backend_names_files_by_key_only_and_lists_orphans(app, db, tmp_path):
    store = storage.FileSystemStorage(tmp_path)
    kept, orphan = store.put(b"a"), store.put(b"b")
    assert (tmp_path / kept[:2] / kept[2:4] / kept).read_bytes() == b"a"
    assert storage.orphans(store, {kept}) == [orphan]
    assert not list(tmp_path.rglob(".upload-*"))  # no half-written file left behind


def jpeg_with_exif(width: int = 400, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, width // 4, height))  # a blue band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_turned_upright_scaled_and_stripped_of_metadata(app):
    with app.app_context():
        app.config["UPLOAD_IMAGE_MAX_SIDE"] = 300
        upload = uploads.inspect(jpeg_with_exif())
    assert upload.content_type == uploads.JPEG and upload.pages == 1
    image = Image.open(io.BytesIO(upload.data))
    assert image.size == (150, 300)  # rotated upright (portrait), longer side scaled to 300
    assert not image.getexif()  # no orientation, maker or GPS left
    assert image.getpixel((75, 10))[2] > 150  # the blue band is now at the top
    thumbnail = Image.open(io.BytesIO(upload.thumbnail))
    assert max(thumbnail.size) <= uploads.THUMBNAIL_SIDE


def test_a_png_keeps_its_transparency_and_loses_its_text(app):
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    info = PngInfo()
    info.add_text("Comment", "secret note")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    with app.app_context():
        upload = uploads.inspect(out.getvalue())
    assert upload.content_type == uploads.PNG
    assert b"secret note" not in upload.data
    assert Image.open(io.BytesIO(upload.data)).mode == "RGBA"


def refused(app, data: bytes) -> str:
    with app.app_context(), pytest.raises(DomainError) as error:
        uploads.inspect(data)
    assert error.value.field == "file"
    return str(error.value)


def test_what_is_refused_and_why(app):
    assert "空的" in refused(app, b"")
    assert "PDF、JPEG 或 PNG" in refused(app, b"MZ\x90\x00 an executable renamed to scan.pdf")
    assert "PDF、JPEG 或 PNG" in refused(app, b"<html><script>alert(1)</script></html>")
    app.config["UPLOAD_MAX_BYTES"] = 1024
    assert "不能超过" in refused(app, b"%PDF-" + b"0" * 2000)
    app.config["UPLOAD_MAX_BYTES"] = 5 * 1024 * 1024
    assert "损坏" in refused(app, b"\xff\xd8\xff\xe0 not really a jpeg")
    assert "损坏" in refused(app, b"%PDF-1.7 not really a pdf")


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app):
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # 400 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 200_000
    assert "尺寸过大" in refused(app, bomb.getvalue())


def test_pdfs_are_counted_and_locked_ones_refused(app):
    with app.test_request_context():
        pdf = render_pdf("pdf/_test_sample.html")
        assert uploads.inspect(pdf).pages >= 1
        assert uploads.inspect(pdf).data == pdf  # a PDF is stored as it came
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    locked = io.BytesIO()
    writer.write(locked)
    assert "密码" in refused(app, locked.getvalue())


@pytest.mark.parametrize("backend", ["filesystem", "database"])
def test_clean_uploads_deletes_only_old_unreferenced_files(app, db, tmp_path, backend):
    import os

    from portal.models import Application, ApplicationKind, ApplicationMaterial
    from tests.factories import make_person

    app.config.update(UPLOAD_STORAGE=backend, UPLOAD_FOLDER=str(tmp_path / "up"))
    current_app.config.update(UPLOAD_STORAGE=backend, UPLOAD_FOLDER=str(tmp_path / "up"))  # the db fixture's app
    store = storage.storage()
    kept, old, fresh = store.put(b"kept"), store.put(b"old"), store.put(b"fresh")
    person = make_person()
    application = Application(person=person, kind=ApplicationKind.INITIAL, draft={})
    db.session.add(application)
    db.session.flush()
    db.session.add(ApplicationMaterial(application_id=application.id, item="contract", storage_key=kept,
                                       content_type="image/png", size=4))
    two_days_ago = clock.utcnow() - timedelta(days=2)
    if backend == "filesystem":  # a file's time is the system's; the test's clock may be moved
        for key, when in ((kept, two_days_ago), (old, two_days_ago), (fresh, clock.utcnow())):
            os.utime(store._path(key), (when.timestamp(), when.timestamp()))
    else:
        for row in db.session.scalars(select(StoredFile).where(StoredFile.key.in_([kept, old]))):
            row.created_at = two_days_ago
    db.session.commit()

    listed = app.test_cli_runner().invoke(args=["clean-uploads"])
    assert listed.exit_code == 0 and old in listed.output and fresh not in listed.output and kept not in listed.output
    deleted = app.test_cli_runner().invoke(args=["clean-uploads", "--delete"])
    assert "已删除 1 个" in deleted.output
    db.session.expire_all()
    assert sorted(storage.storage().keys()) == sorted([kept, fresh])
