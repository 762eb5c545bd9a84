"""申请材料 of the life-cycle kinds: each kind's checklist, uploads on both storage backends (PDF, JPEG, PNG; bad
files refused beside the item), replacement after 退回 of only the documents the reviewer marked, the files served
only to their applicant, the body's reviewers and central staff (with Content-Disposition and nosniff), and 初审
held until the signed 申请表 is uploaded or 「纸质材料已收到」."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from portal import clock
from portal.clock import utcnow
from portal.extensions import db as database
from portal.models import (
    Application,
    ApplicationKind,
    ApplicationMaterial,
    ApplicationStatus,
    AuditLog,
    StaffRole,
    StoredFile,
)
from portal.services import storage
from portal.services.errors import DomainError
from portal.services.registration import materials
from portal.services.review import transitions
from tests.factories import body, login_as, make_person, make_staff
from tests.test_reviewer_helpers import audit_rows, csrf, post, text
from tests.test_storage_uploads import jpeg_with_exif

S = ApplicationStatus
K = ApplicationKind


@pytest.fixture(params=["filesystem", "database"])
def app_config(request, tmp_path):
    """Every test here runs on both storage backends."""
    return {"UPLOAD_STORAGE": request.param, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


# --- files ------------------------------------------------------------------------------------------------------


def png(size=(60, 40), colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")
    return out.getvalue()


# --- applications -----------------------------------------------------------------------------------------------


def make_kind_application(person, kind=K.INITIAL, status=S.DRAFT, draft=None, **values) -> Application:
    """An application of ``kind`` put directly in ``status`` (until the wizards of the new kinds exist)."""
    application = Application(person=person, kind=kind, status=status, body_id=person.body_id,
                              draft=draft or {"completed": []}, **values)
    database.session.add(application)
    database.session.flush()
    if status is not S.DRAFT:
        application.number = f"YX{clock.today():%Y}{application.id:08d}"
        application.submitted_at = utcnow()
        application.snapshot = {"person": {"name": person.name, "id_number": person.id_number}}
    database.session.flush()
    return application


def stored_keys(db) -> set[str]:
    return set(storage.storage().keys())


def upload(client, application, item, *files, next_url=None, replace=None):
    data = {"csrf_token": csrf(client), "file": [(io.BytesIO(content), name) for name, content in files]}
    if next_url is not None:
        data["next"] = next_url
    if replace is not None:
        data["replace"] = str(replace)
    return client.post(f"/applicant/applications/{application.id}/materials/{item}/upload", data=data,
                       content_type="multipart/form-data")


def page(client, application) -> str:
    return client.get(f"/applicant/applications/{application.id}/materials").get_data(as_text=True)


def item_block(html: str, code: str) -> str:
    """The HTML of one checklist item."""
    checklist = html.split("<!-- /materials -->")[0]
    blocks = [part for part in checklist.split('<li class="mt-item')[1:] if f'id="material-{code}"' in part]
    assert len(blocks) == 1, code
    return blocks[0]


def files_of(db, application, item=None) -> list[ApplicationMaterial]:
    db.session.expire_all()
    query = select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id)
    if item:
        query = query.where(ApplicationMaterial.item == item)
    return list(db.session.scalars(query.order_by(ApplicationMaterial.item, ApplicationMaterial.position)))


@pytest.fixture
def person(db):
    person = make_person(name="周杰")
    db.session.commit()
    return person


# --- checklists -------------------------------------------------------------------------------------------------


def codes(application) -> list[str]:
    return [item.code for item in materials.checklist(application)]


def test_each_kind_has_its_checklist(app, db, person):
    initial = make_kind_application(person)
    assert codes(initial) == ["signed_form", "qualification", "contract", "id_card"]
    assert all(item.required for item in materials.checklist(initial))
    initial.kind = K.LATE_INITIAL
    assert codes(initial)[-1] == "ce_proof"
    initial.kind = K.CHANGE
    initial.draft = {"change": {"types": ["category"]}}
    assert codes(initial) == ["signed_form", "practice_cert"]
    initial.draft = {"change": {"types": ["employer", "category"]}}
    assert codes(initial) == ["signed_form", "practice_cert", "release", "contract"]
    initial.kind = K.RENEWAL
    assert not any(item.required for item in materials.checklist(initial))  # the paper route stays
    initial.kind = K.CANCELLATION
    assert codes(initial) == ["signed_form", "cancel_proof"]
    initial.filed_by_id = make_staff().id  # a 注销 filed by the body: no applicant's 申请表
    assert codes(initial) == ["cancel_proof"]
    db.session.rollback()


# --- uploading ---------------------------------------------------------------------------------------------------


def test_the_applicant_uploads_each_type_and_sees_it(client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    response = upload(client, application, "qualification", ("证书.jpg", jpeg_with_exif()))
    assert response.status_code == 302
    back = f"/applicant/applications/{application.id}/materials#material-qualification"
    assert response.headers["Location"].endswith(back)
    assert upload(client, application, "id_card", ("front.png", png()), ("back.png", png(colour=(200, 0, 0)))
                  ).status_code == 302
    assert upload(client, application, "contract", ("contract.pdf", pdf(3))).status_code == 302

    rows = files_of(db, application)
    assert [(m.item, m.position, m.content_type, m.pages) for m in rows] == [
        ("contract", 0, "application/pdf", 3), ("id_card", 0, "image/jpeg", 1), ("id_card", 1, "image/jpeg", 1),
        ("qualification", 0, "image/jpeg", 1)]
    assert all(m.person_id == person.id and m.size > 0 for m in rows)
    assert rows[0].thumbnail_key is None and all(m.thumbnail_key for m in rows[1:])
    assert len(stored_keys(db)) == 1 + 2 * 3  # the PDF, each image and its thumbnail

    html = page(client, application)
    assert "「资格证书」已上传 1 个文件" in html or "已上传 1 个文件" in html
    block = item_block(html, "qualification")
    assert f'/materials/{rows[3].id}?thumbnail=1"' in block and "JPEG" in block and "上传于" in block
    assert "替换" in block and "删除" in block
    contract = item_block(html, "contract")
    assert "PDF" in contract and "3 页" in contract
    assert "必传" in item_block(html, "signed_form") and 'name="file"' not in item_block(html, "signed_form")
    assert "请在上报后上传" not in html

    assert materials.problems_before_submit(db.session.get(Application, application.id)) == []


def test_served_files_carry_their_made_up_name_and_nosniff(client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    upload(client, application, "qualification", ("../../etc/passwd.jpg", jpeg_with_exif()))
    upload(client, application, "contract", ("x.pdf", pdf(2)))
    photo, contract = files_of(db, application, "qualification")[0], files_of(db, application, "contract")[0]
    base = f"/applicant/applications/{application.id}/materials"

    response = client.get(f"{base}/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and 'filename="qualification-1.jpg"' in disposition
    assert "filename*=UTF-8''%E8%B5%84%E6%A0%BC%E8%AF%81%E4%B9%A6-1.jpg" in disposition  # 资格证书-1.jpg
    assert "passwd" not in disposition
    assert "no-store" in response.headers["Cache-Control"]
    assert not Image.open(io.BytesIO(response.data)).getexif()  # re-encoded: no GPS, no camera

    thumbnail = client.get(f"{base}/{photo.id}?thumbnail=1")
    assert thumbnail.mimetype == "image/jpeg" and max(Image.open(io.BytesIO(thumbnail.data)).size) <= 240
    assert thumbnail.headers["X-Content-Type-Options"] == "nosniff"

    document = client.get(f"{base}/{contract.id}")
    assert document.mimetype == "application/pdf" and document.data.startswith(b"%PDF")
    assert 'filename="contract-1.pdf"' in document.headers["Content-Disposition"]
    rendered = client.get(f"{base}/{contract.id}?page=2")
    assert rendered.mimetype == "image/png" and Image.open(io.BytesIO(rendered.data)).width == materials.PAGE_WIDTH
    assert client.get(f"{base}/{contract.id}?page=3").status_code == 404
    assert client.get(f"{base}/{contract.id}?page=x").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("scan.pdf", b"just some text renamed to .pdf", "只能上传 PDF、JPEG 或 PNG"),
    ("empty.jpg", b"", "上传的文件是空的"),
    ("bomb.png", None, "图片尺寸过大"),
    ("big.pdf", b"%PDF-1.7 " + b"0" * 2048, "不能超过"),
])
def test_bad_files_are_refused_beside_the_item_and_nothing_is_kept(client, app, db, person, name, content, message):
    app.config["UPLOAD_MAX_BYTES"] = 1024 if name == "big.pdf" else 5 * 1024 * 1024
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    before = stored_keys(db)
    response = upload(client, application, "qualification", (name, bomb() if content is None else content))
    assert response.status_code == 302
    html = page(client, application)
    block = item_block(html, "qualification")
    assert 'class="mt-error"' in block and message in block
    assert 'class="mt-error"' not in item_block(html, "contract")
    assert files_of(db, application) == [] and stored_keys(db) == before
    assert "mt-error" not in item_block(page(client, application), "qualification")  # shown once


def test_an_empty_file_alone_is_refused(app, db, person):
    application = make_kind_application(person)
    with pytest.raises(DomainError, match="空的"):
        materials.upload(application, person, "qualification", [b""], utcnow())


def test_limits_per_item_and_per_application(app, client, db, person):
    app.config["UPLOAD_MAX_FILES_PER_ITEM"] = 2
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    upload(client, application, "id_card", ("a.png", png()), ("b.png", png()), ("c.png", png()))
    assert "最多上传 2 个文件" in item_block(page(client, application), "id_card")
    assert files_of(db, application) == []
    app.config["UPLOAD_MAX_APPLICATION_BYTES"] = len(pdf(1)) + 10
    assert upload(client, application, "contract", ("a.pdf", pdf(1))).status_code == 302
    upload(client, application, "qualification", ("b.pdf", pdf(1)))
    assert "材料总大小不能超过" in item_block(page(client, application), "qualification")
    assert [m.item for m in files_of(db, application)] == ["contract"]


def test_next_must_be_a_local_path(client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    own = f"/applicant/applications/{application.id}/materials"
    for bad in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = upload(client, application, "qualification", ("a.png", png()), next_url=bad)
        assert response.headers["Location"] == f"{own}#material-qualification", bad
    response = upload(client, application, "qualification", ("a.png", png()), next_url="/applicant/renewal/materials")
    assert response.headers["Location"] == "/applicant/renewal/materials#material-qualification"


def test_remove_deletes_the_stored_files_and_renumbers(client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    upload(client, application, "id_card", ("a.png", png()), ("b.png", png()), ("c.png", png()))
    first, second, third = files_of(db, application)
    keys = {second.storage_key, second.thumbnail_key}
    response = post(client, f"/applicant/applications/{application.id}/materials/{second.id}/remove")
    assert response.status_code == 302
    assert [(m.id, m.position) for m in files_of(db, application)] == [(first.id, 0), (third.id, 1)]
    assert not keys & stored_keys(db)


def test_signed_form_only_after_submission_and_materials_frozen_after_it(client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    upload(client, application, "signed_form", ("form.pdf", pdf(1)))
    assert "请在上报后上传签字盖章的申请表" in item_block(page(client, application), "signed_form")
    upload(client, application, "qualification", ("q.png", png()))
    photo = files_of(db, application)[0]

    application = db.session.get(Application, application.id)
    application.status, application.submitted_at = S.SUBMITTED, utcnow()
    application.number = f"YX{clock.today():%Y}{application.id:08d}"
    db.session.commit()
    html = page(client, application)
    assert 'name="file"' in item_block(html, "signed_form")  # the signed 申请表 may come now
    assert 'name="file"' not in item_block(html, "qualification") and "删除" not in item_block(html, "qualification")
    upload(client, application, "qualification", ("again.png", png()))
    assert "申请已上报，材料不能再修改" in item_block(page(client, application), "qualification")
    post(client, f"/applicant/applications/{application.id}/materials/{photo.id}/remove")
    assert "申请已上报" in item_block(page(client, application), "qualification")
    assert upload(client, application, "signed_form", ("signed.jpg", jpeg_with_exif())).status_code == 302
    assert [m.item for m in files_of(db, application)] == ["qualification", "signed_form"]


# --- boundaries ---------------------------------------------------------------------------------------------------


def denied(db) -> list[AuditLog]:
    return audit_rows(db, "access.denied")


def test_another_applicants_file_by_url_is_404_and_audited(app, client, db, person):
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    upload(client, application, "qualification", ("q.png", png()))
    photo = files_of(db, application)[0]

    other = make_person(name="李四")
    own = make_kind_application(other)
    db.session.commit()
    intruder = app.test_client()
    login_as(intruder, other)
    for url in (f"/applicant/applications/{application.id}/materials/{photo.id}",
                f"/applicant/applications/{application.id}/materials/{photo.id}?thumbnail=1",
                f"/applicant/applications/{application.id}/materials",
                f"/applicant/applications/{own.id}/materials/{photo.id}"):  # own application, someone else's file
        before = len(denied(db))
        response = intruder.get(url)
        assert response.status_code == 404 and b"\xff\xd8" not in response.data, url
        rows = denied(db)
        assert len(rows) == before + 1 and rows[-1].person_id == other.id, url
    for url in (f"/applicant/applications/{application.id}/materials/{photo.id}/remove",
                f"/applicant/applications/{application.id}/materials/qualification/upload"):
        assert post(intruder, url).status_code == 404
    assert len(files_of(db, application)) == 1
    assert intruder.get(f"/applicant/applications/{own.id}/materials/999999").status_code == 404
    assert client.get(f"/applicant/applications/{application.id}/materials/{photo.id}").status_code == 200


def submitted_with_files(db, person, kind=K.INITIAL, **values):
    application = make_kind_application(person, kind=kind, status=S.DRAFT, **values)
    now = utcnow()
    materials.upload(application, person, "qualification", [png()], now)
    materials.upload(application, person, "contract", [pdf(1)], now)
    materials.upload(application, person, "id_card", [png(), png()], now)
    application.status, application.submitted_at = S.SUBMITTED, now
    application.number = f"YX{clock.today():%Y}{application.id:08d}"
    db.session.commit()
    return application


def test_reviewers_see_files_of_their_own_body_only(app, client, db, person):
    application = submitted_with_files(db, person)
    photo = files_of(db, application, "qualification")[0]
    own_reviewer = make_staff("reviewer_own", body_code="210000")
    other_reviewer = make_staff("reviewer_other", body_code="220000")
    central = make_staff("central_m", role=StaffRole.CENTRAL)
    db.session.commit()
    url = f"/reviewer/applications/material/?id={application.id}&m={photo.id}"

    login_as(client, other_reviewer)
    before = len(denied(db))
    for path in (url, f"/reviewer/applications/materials/?id={application.id}&m={photo.id}"):
        response = client.get(path)
        assert response.status_code == 404 and not response.data.startswith(b"\xff\xd8")
    rows = denied(db)
    assert len(rows) == before + 2 and rows[-1].staff_id == other_reviewer.id

    for staff in (own_reviewer, central):
        login_as(client, staff)
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg", staff.username
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("inline;")
    # a file of another application named beside one's own application
    login_as(client, own_reviewer)
    elsewhere = make_kind_application(make_person(name="赵六"), status=S.SUBMITTED)
    db.session.commit()
    before = len(denied(db))
    assert client.get(f"/reviewer/applications/material/?id={elsewhere.id}&m={photo.id}").status_code == 404
    assert len(denied(db)) == before + 1


def test_a_draft_s_files_stay_with_the_applicant(client, db, person):
    application = make_kind_application(person)
    materials.upload(application, person, "qualification", [png()], utcnow())
    reviewer = make_staff(body_code="210000")
    db.session.commit()
    photo = files_of(db, application)[0]
    login_as(client, reviewer)
    assert client.get(f"/reviewer/applications/material/?id={application.id}&m={photo.id}").status_code == 404


def test_the_reviewer_sees_every_document_and_opens_the_viewer(client, db, person):
    application = submitted_with_files(db, person)
    reviewer = make_staff("reviewer_v", body_code="210000")
    db.session.commit()
    login_as(client, reviewer)
    detail = client.get(f"/reviewer/applications/details/?id={application.id}")
    html = detail.get_data(as_text=True)
    assert 'id="materials"' in html
    for material in files_of(db, application):
        assert f"m={material.id}" in html
    page_text = text(detail)
    assert "资格证书" in page_text and "PDF" in page_text and "1 页" in page_text and "上传于" in page_text
    assert "申请人尚未上传签字盖章的申请表" in page_text

    contract = files_of(db, application, "contract")[0]
    viewer = client.get(f"/reviewer/applications/materials/?id={application.id}&m={contract.id}")
    assert viewer.status_code == 200
    assert f"m={contract.id}&amp;page=1" in viewer.get_data(as_text=True) or \
        f"m={contract.id}&page=1" in viewer.get_data(as_text=True)
    rendered = client.get(f"/reviewer/applications/material/?id={application.id}&m={contract.id}&page=1")
    assert rendered.mimetype == "image/png"
    opened = audit_rows(db, "material.view")
    assert opened[-1].staff_id == reviewer.id and "劳动合同或聘用文件-1" in opened[-1].summary


# --- 退回 and replacement ---------------------------------------------------------------------------------------


def return_with_marks(client, application, marks: dict, reason=""):
    data = {"return-id": application.id, "return-version": application.version, "return-reason": reason,
            "return-replace": [str(material_id) for material_id in marks]}
    for material_id, why in marks.items():
        data[f"return-replace-reason-{material_id}"] = why
    return post(client, "/reviewer/applications/decide/return/", data)


def test_return_marks_documents_and_the_applicant_replaces_only_those(app, client, db, person):
    application = submitted_with_files(db, person)
    photo = files_of(db, application, "qualification")[0]
    front, back = files_of(db, application, "id_card")
    back_keys = {back.storage_key, back.thumbnail_key}
    reviewer = make_staff("reviewer_r", body_code="210000")
    db.session.commit()
    console = app.test_client()
    login_as(console, reviewer)

    assert "请为每个要求更换的文件写明原因" in text(return_with_marks(console, application, {back.id: " "}))
    response = return_with_marks(console, application, {back.id: "反面照片模糊"})
    assert response.status_code == 302
    db.session.expire_all()
    returned = db.session.get(Application, application.id)
    assert returned.status is S.RETURNED
    assert "需要重新上传的文件：" in returned.last_reason and "身份证件-2：反面照片模糊" in returned.last_reason
    assert [m.replace_reason for m in files_of(db, application, "id_card")] == [None, "反面照片模糊"]
    assert audit_rows(db, "application.materials_marked")[-1].data["files"] == ["身份证件-2.jpg：反面照片模糊"]
    assert materials.problems_before_submit(returned) == ["请更换「身份证件」中注册机构要求更换的文件。"]

    login_as(client, person)
    html = page(client, application)
    id_card = item_block(html, "id_card")
    assert "需要更换：" in id_card and "反面照片模糊" in id_card
    assert 'name="file"' not in item_block(html, "qualification") and "删除" not in item_block(html, "qualification")
    upload(client, application, "qualification", ("new.png", png()))
    assert "退回后只能重新上传注册机构要求更换的材料" in item_block(page(client, application), "qualification")
    post(client, f"/applicant/applications/{application.id}/materials/{front.id}/remove")
    assert "退回后只能删除或更换" in item_block(page(client, application), "id_card")
    back_id = back.id
    upload(client, application, "id_card", ("front-again.png", png()), replace=front.id)  # not the marked one
    assert "只能更换本项中允许更换的文件" in item_block(page(client, application), "id_card")

    assert upload(client, application, "id_card", ("back.png", png(colour=(0, 200, 0))),
                  replace=back_id).status_code == 302
    rows = files_of(db, application, "id_card")
    assert rows[0].id == front.id and rows[1].storage_key not in back_keys and rows[1].position == 1
    assert rows[1].replace_requested_at is None
    assert [m.id for m in files_of(db, application, "qualification")] == [photo.id]
    assert not back_keys & stored_keys(db)
    assert materials.problems_before_submit(db.session.get(Application, application.id)) == []


def test_the_return_form_lists_every_document_to_mark(client, db, person):
    application = submitted_with_files(db, person)
    reviewer = make_staff("reviewer_f", body_code="210000")
    db.session.commit()
    login_as(client, reviewer)
    html = client.get(f"/reviewer/applications/details/?id={application.id}").get_data(as_text=True)
    for material in files_of(db, application):
        assert f'name="return-replace" value="{material.id}"' in html
        assert f'name="return-replace-reason-{material.id}"' in html


# --- 初审: the signed form or 纸质材料已收到 --------------------------------------------------------------------


def test_initial_pass_waits_for_the_signed_form_or_the_paper(app, client, db, person):
    application = submitted_with_files(db, person)
    reviewer = make_staff("reviewer_p", body_code="210000")
    other = make_staff("reviewer_q", body_code="220000")
    central = make_staff("central_p", role=StaffRole.CENTRAL)
    db.session.commit()
    with pytest.raises(DomainError, match="尚未上传签字盖章的申请表"):
        transitions.initial_pass(application, reviewer, utcnow())
    db.session.rollback()
    assert materials.ready_for_initial_pass(application) is not None

    for staff in (central,):  # the center does not receive the paper: only the application's own body
        with pytest.raises(DomainError, match="所属注册机构"):
            materials.mark_paper_received(application, staff, utcnow())
    login_as(client, other)
    before = len(denied(db))
    assert post(client, "/reviewer/applications/paper/", {"id": application.id}).status_code == 404
    assert len(denied(db)) == before + 1

    login_as(client, reviewer)
    detail = client.get(f"/reviewer/applications/details/?id={application.id}").get_data(as_text=True)
    assert "data-paper-button" in detail
    response = post(client, "/reviewer/applications/paper/", {"id": application.id})
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.paper_received_at is not None and application.paper_received_by_id == reviewer.id
    assert audit_rows(db, "application.paper_received")[-1].staff_id == reviewer.id
    detail = client.get(f"/reviewer/applications/details/?id={application.id}").get_data(as_text=True)
    assert "data-paper-received" in detail and "data-paper-button" not in detail
    transitions.initial_pass(application, reviewer, utcnow())
    assert application.status is S.INITIAL_PASSED
    db.session.rollback()


def test_an_uploaded_signed_form_lets_initial_pass_through(app, client, db, person):
    application = submitted_with_files(db, person)
    reviewer = make_staff("reviewer_s", body_code="210000")
    db.session.commit()
    login_as(client, person)
    assert upload(client, application, "signed_form", ("signed.jpg", jpeg_with_exif())).status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert materials.ready_for_initial_pass(application) is None
    login_as(client, reviewer)
    response = post(client, "/reviewer/applications/decide/initial_pass/",
                    {"initial_pass-id": application.id, "initial_pass-version": application.version,
                     "initial_pass-confirmed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).status is S.INITIAL_PASSED


def test_renewal_keeps_its_paper_route(app, db, person):
    application = make_kind_application(person, kind=K.RENEWAL, status=S.SUBMITTED)
    reviewer = make_staff(body_code="210000")
    assert materials.ready_for_initial_pass(application) is None
    assert materials.problems_before_submit(application) == []
    transitions.initial_pass(application, reviewer, utcnow())
    assert application.status is S.INITIAL_PASSED
    db.session.rollback()


def test_the_database_backend_keeps_files_in_stored_files(app, db, person):
    if app.config["UPLOAD_STORAGE"] != "database":
        pytest.skip("database backend only")
    application = make_kind_application(person)
    added = materials.upload(application, person, "qualification", [png()], utcnow())
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StoredFile)
                             .where(StoredFile.key.in_([added[0].storage_key, added[0].thumbnail_key]))) == 2
    assert body("210000") is not None


def test_a_request_over_the_size_limit_is_refused_beside_the_item(app, client, db, person):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    application = make_kind_application(person)
    db.session.commit()
    login_as(client, person)
    response = upload(client, application, "contract", ("big.pdf", b"%PDF-1.7 " + b"0" * 8000))
    assert response.status_code == 302 and response.headers["Location"].endswith("#material-contract")
    assert "一次上传的文件合计不能超过" in item_block(page(client, application), "contract")
    assert files_of(db, application) == []
    assert client.post("/applicant/change-password", data={"x": "0" * 8000}).status_code == 413


def test_a_removal_rolled_back_keeps_the_file_and_a_committed_one_deletes_it(app, db, person):
    application = make_kind_application(person)
    [photo] = materials.upload(application, person, "qualification", [png()], utcnow())
    db.session.commit()
    keys = {photo.storage_key, photo.thumbnail_key}
    materials.remove(application, person, photo.id, utcnow())
    db.session.rollback()
    assert keys <= stored_keys(db) and len(files_of(db, application)) == 1
    materials.remove(application, person, photo.id, utcnow())
    db.session.commit()
    assert not keys & stored_keys(db) and files_of(db, application) == []
