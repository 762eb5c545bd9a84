"""Imports in the console: central staff upload a CSV, read the validation report before anything is saved, then
run the import and see its progress; the rules are the command line's (``import_csv``)."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.models import Person
from tests.factories import login_as
from tests.test_imports import csv_bytes, registered_row
from tests.test_reviewer_helpers import audit_rows, post, text, world


def upload(client, kind: str, data: bytes, name: str = "people.csv"):
    return post(client, "/reviewer/imports/check/", {"kind": kind, "file": (io.BytesIO(data), name)},
                content_type="multipart/form-data")


def people(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_bad_file_is_reported_row_by_row_and_nothing_is_saved(client, db):
    w = world(db)
    before = people(db)
    login_as(client, w.central)
    assert "数据导入" in text(client.get("/reviewer/imports/"))
    rows = [registered_row(900_001), registered_row(900_002, id_number="211322197505050000"),
            registered_row(900_003, mobile="123")]
    report = upload(client, "registered", csv_bytes(rows))
    page = text(report)
    assert "检查未通过：2 处错误，没有导入任何数据" in page
    assert "第3行 " in page and "第4行 mobile：请填写11位手机号码" in page
    assert people(db) == before and not audit_rows(db, "import.registered")
    assert 'id="import-run"' not in report.get_data(as_text=True)


def test_a_good_file_is_checked_then_imported_with_progress(client, db):
    w = world(db)
    before = people(db)
    login_as(client, w.central)
    report = upload(client, "registered", csv_bytes([registered_row(900_000 + index) for index in range(12)]))
    assert "检查通过：共12行，导入后将新增12条、更新0条。尚未保存任何数据。" in text(report)
    assert people(db) == before  # the check saved nothing
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', report.get_data(as_text=True)).group(1)

    # Another staff member cannot run this upload; a forged token is refused
    other = make_central(db)
    other_client = client.application.test_client()
    login_as(other_client, other)
    expired = post(other_client, "/reviewer/imports/run/", {"kind": "registered", "token": token})
    assert expired.status_code == 302 and people(db) == before
    assert post(client, "/reviewer/imports/run/", {"kind": "registered", "token": "../x"}).status_code == 400

    run = post(client, "/reviewer/imports/run/", {"kind": "registered", "token": token})
    page = run.get_data(as_text=True)
    assert 'class="import-progress">已处理 12 行（100%）' in page
    assert "导入成功：共 12 行，新增 12 条，更新 0 条。" in page
    assert people(db) == before + 12
    [row] = audit_rows(db, "import.registered")
    assert row.staff_id == w.central.id
    # The file is gone once imported: the same token cannot run twice
    again = post(client, "/reviewer/imports/run/", {"kind": "registered", "token": token})
    assert again.status_code == 302 and people(db) == before + 12


def test_reviewers_cannot_import(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    assert client.get("/reviewer/imports/").status_code == 403
    assert upload(client, "bodies", b"code,name\n").status_code == 403


def make_central(db):
    from portal.models import StaffRole
    from tests.factories import make_staff

    staff = make_staff("central_other", role=StaffRole.CENTRAL)
    db.session.commit()
    return staff
