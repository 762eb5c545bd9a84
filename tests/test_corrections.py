"""证件信息更正 (guide 七.3): a reviewer of the applicant's body files the request with the fax details, central
staff apply it (one transaction: record, audit with old and new values, the applicant's notice) or refuse it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.clock import utcnow
from portal.models import AuditLog, CorrectionStatus, IdentityCorrection, IdType, Notice, Person
from portal.services.corrections import Scan, apply_correction, file_correction, refuse_correction, scan_content_type
from portal.services.errors import DomainError, NotFound
from portal.validators import make_resident_id
from tests.factories import login_as, make_person
from tests.test_reviewer_helpers import BODY_A, BODY_B, audit_rows, post, text, world

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
NEW_ID = make_resident_id("211322", date(1975, 5, 5), 887)  # born as on record, a man (odd sequence)
WRONG_CHECK = NEW_ID[:17] + ("1" if NEW_ID[17] != "1" else "2")


def file_form(person, **values):
    data = {"name": person.name, "gender": person.gender, "birth_date": person.birth_date.isoformat(),
            "id_type": person.id_type.value, "id_number": person.id_number, "reason": "证件号码录入错误",
            "fax_date": clock.today().isoformat(), "fax_pages": "2"}
    data.update(values)
    return data


def corrections_of(db, person) -> list[IdentityCorrection]:
    db.session.expire_all()
    return list(db.session.scalars(select(IdentityCorrection).where(IdentityCorrection.person_id == person.id)))


# --- the service --------------------------------------------------------------------------------------------------

def service_file(person, staff, values, **kwargs):
    arguments = dict(reason="录入错误", fax_date=clock.today(), fax_pages=1, scan=None, max_scan_bytes=1000,
                     now=utcnow(), today=clock.today())
    arguments.update(kwargs)
    return file_correction(person, staff, values, **arguments)


def test_scan_type_is_judged_by_content():
    assert scan_content_type(PDF, 1000) == "application/pdf"
    assert scan_content_type(PNG, 1000) == "image/png"
    assert scan_content_type(b"\xff\xd8\xff\xe0" + b"0" * 10, 1000) == "image/jpeg"
    for data, message in ((b"", "空"), (b"<html><script>", "只能是"), (b"GIF89a....", "只能是"),
                          (PDF + b"0" * 2000, "不能超过")):
        with pytest.raises(DomainError, match=message) as error:
            scan_content_type(data, 1000)
        assert error.value.field == "scan"


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"id_number": WRONG_CHECK}, "id_number", "校验位"),
    ({"id_number": make_resident_id("211322", date(1975, 5, 5), 886)}, "gender", "不一致"),
    ({"id_number": "21132219750505"}, "id_number", "18位"),
    ({"id_number": "211322750505001"}, "id_number", "18位"),  # no first-generation numbers
    ({"name": "  "}, "name", "请填写姓名"),
    ({"gender": "未知"}, "gender", "男或女"),
    ({"birth_date": clock.today() + timedelta(days=1)}, "birth_date", "出生日期不正确"),
    ({"id_type": "passport"}, "id_number", "护照"),  # the resident number is no passport number
    ({"birth_date": date(1976, 1, 1)}, "birth_date", "不一致"),
])
def test_bad_values_are_refused_beside_their_field(db, values, field, message):
    w = world(db)
    with pytest.raises(DomainError, match=message) as error:
        service_file(w.person_a, w.reviewer_a, values)
    assert error.value.field == field
    assert corrections_of(db, w.person_a) == []


def test_unchanged_values_are_refused(db):
    w = world(db)
    with pytest.raises(DomainError, match="完全相同"):
        service_file(w.person_a, w.reviewer_a, {"name": w.person_a.name, "id_number": w.person_a.id_number})


def test_a_number_held_by_someone_else_is_refused(db):
    w = world(db)
    with pytest.raises(DomainError, match="已被系统中的其他人员") as error:
        service_file(w.person_a, w.reviewer_a, {"id_number": w.person_b.id_number})
    assert error.value.field == "id_number"
    assert w.person_b.id_number not in str(error.value)  # masked in the message


def test_a_holder_in_another_body_is_not_named_to_a_reviewer(db):
    w = world(db)
    with pytest.raises(DomainError, match="请联系注册管理中心核实") as error:
        service_file(w.person_a, w.reviewer_a, {"id_number": w.person_b.id_number})
    assert error.value.field == "id_number"
    assert w.person_b.name not in str(error.value) and w.person_b.id_number not in str(error.value)


@pytest.mark.parametrize("who", ["reviewer_a", "central"])
def test_a_holder_the_filer_may_see_is_named(db, who):
    """A holder of the reviewer's own body, or any holder for central staff, is named so the filer can check."""
    w = world(db)
    holder = w.person_b if who == "central" else make_person(name="孙立", body_code=BODY_A)
    with pytest.raises(DomainError, match=f"其他人员（{holder.name}）"):
        service_file(w.person_a, getattr(w, who), {"id_number": holder.id_number})


def test_only_the_applicants_body_files(db):
    w = world(db)
    with pytest.raises(NotFound):
        service_file(w.person_a, w.reviewer_b, {"name": "王建华"})


def test_fax_details_are_required(db):
    w = world(db)
    for kwargs, field in (({"fax_date": None}, "fax_date"), ({"fax_date": clock.today() + timedelta(days=1)},
                                                              "fax_date"),
                          ({"fax_pages": 0}, "fax_pages"), ({"reason": " "}, "reason")):
        with pytest.raises(DomainError) as error:
            service_file(w.person_a, w.reviewer_a, {"name": "王建华"}, **kwargs)
        assert error.value.field == field


def test_apply_changes_the_record_once_with_audit_and_notice(db):
    w = world(db)
    old_number = w.person_a.id_number
    correction = service_file(w.person_a, w.reviewer_a, {"id_number": NEW_ID, "name": "王建华"},
                              scan=Scan("fax.pdf", PDF))
    apply_correction(correction, w.central, utcnow())
    db.session.commit()
    person = db.session.get(Person, w.person_a.id)
    assert person.id_number == NEW_ID and person.name == "王建华"
    row = audit_rows(db, "correction.apply")[0]
    assert row.data["changes"]["id_number"] == {"old": old_number, "new": NEW_ID}
    assert row.staff_id == w.central.id and row.body_id == w.reviewer_a.body_id
    notice = db.session.scalar(select(Notice).where(Notice.person_id == person.id))
    assert "可登录注册管理系统进行注册或者查询" in notice.text and "证件号码" in notice.text
    with pytest.raises(DomainError, match="已处理"):
        apply_correction(db.session.get(IdentityCorrection, correction.id), w.central2, utcnow())


def test_the_same_person_cannot_file_and_apply(db):
    w = world(db)
    correction = service_file(w.person_a, w.central, {"name": "王建华"})  # central staff may file too
    with pytest.raises(DomainError, match="不能同时审核"):
        apply_correction(correction, w.central, utcnow())
    apply_correction(correction, w.central2, utcnow())
    assert w.person_a.name == "王建华"


def test_reviewers_cannot_apply_or_refuse(db):
    w = world(db)
    correction = service_file(w.person_a, w.reviewer_a, {"name": "王建华"})
    for action in (lambda: apply_correction(correction, w.reviewer_a, utcnow()),
                   lambda: refuse_correction(correction, w.reviewer_a, "x", utcnow())):
        with pytest.raises(NotFound):
            action()


def test_apply_refuses_when_the_record_changed_since_filing(db):
    w = world(db)
    correction = service_file(w.person_a, w.reviewer_a, {"name": "王建华"})
    w.person_a.name = "王建民"
    with pytest.raises(DomainError, match="已发生变化"):
        apply_correction(correction, w.central, utcnow())


def test_apply_refuses_a_number_taken_after_filing(db):
    w = world(db)
    correction = service_file(w.person_a, w.reviewer_a, {"id_number": NEW_ID})
    make_person(name="后来者", id_number=NEW_ID, body_code=BODY_B)
    with pytest.raises(DomainError, match="已被系统中的其他人员（后来者）"):  # central staff see who holds it
        apply_correction(correction, w.central, utcnow())


# --- the console ----------------------------------------------------------------------------------------------------

def test_reviewer_files_with_a_scan_and_central_applies(client, app, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    page = text(client.get(f"/reviewer/people/details/?id={w.person_a.id}"))
    assert "提交证件信息更正" in page
    form = client.get(f"/reviewer/corrections/new/?person_id={w.person_a.id}")
    assert w.person_a.id_number in text(form)  # pre-filled with the record
    response = post(client, f"/reviewer/corrections/new/?person_id={w.person_a.id}",
                    {**file_form(w.person_a, id_number=NEW_ID), "scan": (io.BytesIO(PNG), "传真.png")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    [correction] = corrections_of(db, w.person_a)
    assert correction.status is CorrectionStatus.PENDING and correction.scan_content_type == "image/png"
    assert correction.changes == {"id_number": {"old": w.person_a.id_number, "new": NEW_ID}}
    detail = text(client.get(response.headers["Location"]))
    assert "等待注册管理中心核对传真后答复" in detail and "予以更正" not in detail

    central = app.test_client()
    login_as(central, w.central)
    listing = central.get("/reviewer/corrections/").get_data(as_text=True)
    assert w.person_a.name in listing and w.person_a.id_number not in listing
    scan = central.get(f"/reviewer/corrections/scan/?id={correction.id}")
    assert scan.data == PNG and scan.mimetype == "image/png"
    assert scan.headers["X-Content-Type-Options"] == "nosniff"
    assert [row.actor_label for row in audit_rows(db, "correction.scan_view")] == ["central"]
    response = post(central, "/reviewer/corrections/apply/", {"id": correction.id})
    assert "已予以更正" in text(central.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Person, w.person_a.id).id_number == NEW_ID
    # The filing body sees the answer
    answer = text(client.get(f"/reviewer/corrections/details/?id={correction.id}"))
    assert "已更正" in answer and "可登录注册管理系统进行注册或者查询" in answer


def test_central_refuses_with_a_reason_the_body_reads(client, app, db):
    w = world(db)
    correction = service_file(w.person_a, w.reviewer_a, {"name": "王建华"})
    db.session.commit()
    central = app.test_client()
    login_as(central, w.central)
    page = post(central, "/reviewer/corrections/refuse/", {"id": correction.id, "reason": ""})
    assert page.status_code == 200 and "请填写不予更正的理由" in text(page)
    post(central, "/reviewer/corrections/refuse/", {"id": correction.id, "reason": "传真件模糊，无法核对"})
    login_as(client, w.reviewer_a)
    answer = text(client.get(f"/reviewer/corrections/details/?id={correction.id}"))
    assert "不予更正" in answer and "传真件模糊，无法核对" in answer
    db.session.expire_all()
    assert db.session.get(Person, w.person_a.id).name == "王建国"
    assert audit_rows(db, "correction.refuse")


def test_the_filer_cannot_apply_their_own_request(client, db):
    w = world(db)
    correction = service_file(w.person_a, w.central, {"name": "王建华"})
    db.session.commit()
    login_as(client, w.central)
    detail = text(client.get(f"/reviewer/corrections/details/?id={correction.id}"))
    assert "须由注册管理中心的其他人员审核" in detail
    response = post(client, "/reviewer/corrections/apply/", {"id": correction.id})
    assert "不能同时审核" in text(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(IdentityCorrection, correction.id).status is CorrectionStatus.PENDING


@pytest.mark.parametrize(("values", "upload", "message"), [
    ({"id_number": WRONG_CHECK}, None, "校验位"),
    ({}, None, "完全相同"),
    ({"name": "王建华", "fax_pages": "0"}, None, "传真页数"),
    ({"name": "王建华", "fax_date": "not-a-date"}, None, "日期"),
    ({"name": "王建华"}, (b"MZ\x90\x00 an exe", "scan.pdf"), "只能是"),
    ({"name": "王建华"}, (PDF + b"0" * 6000, "big.pdf"), "不能超过"),
])
def test_bad_filings_show_a_message_and_save_nothing(client, db, app, values, upload, message):
    app.config["UPLOAD_MAX_BYTES"] = 5000
    w = world(db)
    login_as(client, w.reviewer_a)
    data = file_form(w.person_a, **values)
    if upload:
        data["scan"] = (io.BytesIO(upload[0]), upload[1])
    response = post(client, f"/reviewer/corrections/new/?person_id={w.person_a.id}", data,
                    content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in text(response)
    assert corrections_of(db, w.person_a) == []
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "correction.file")) is None


def test_one_pending_request_per_person(client, db):
    w = world(db)
    service_file(w.person_a, w.reviewer_a, {"name": "王建华"})
    db.session.commit()
    login_as(client, w.reviewer_a)
    response = client.get(f"/reviewer/corrections/new/?person_id={w.person_a.id}")
    assert response.status_code == 302
    assert "已有一份待注册管理中心审核的更正申请" in text(client.get(response.headers["Location"]))


def test_changing_the_id_type_keeps_data_consistent(db):
    w = world(db)
    passport = make_person(name="Smith", id_type=IdType.PASSPORT, id_number="E12345678", body_code="210000")
    correction = service_file(passport, w.reviewer_a, {"id_number": "E87654321"})
    apply_correction(correction, w.central, utcnow())
    assert passport.id_number == "E87654321" and passport.id_type is IdType.PASSPORT


def test_a_reviewer_probing_another_bodys_number_learns_no_name_and_is_logged(client, db):
    """A reviewer types a number held by an applicant of another body: the form says only that the number is
    taken, nothing is filed, and the attempt stays in the audit log although the request is rolled back."""
    w = world(db)
    login_as(client, w.reviewer_a)
    response = post(client, f"/reviewer/corrections/new/?person_id={w.person_a.id}",
                    file_form(w.person_a, id_number=w.person_b.id_number))
    page = text(response)
    assert response.status_code == 200
    assert "该证件号码已被系统中的其他人员使用，请联系注册管理中心核实" in page
    assert w.person_b.name not in page
    assert corrections_of(db, w.person_a) == []
    assert not audit_rows(db, "correction.file")
    [row] = audit_rows(db, "access.denied")
    assert row.staff_id == w.reviewer_a.id and row.body_id == w.reviewer_a.body_id
    assert (row.target_type, row.target_id) == ("Person", w.person_b.id)
    assert w.person_b.id_number not in row.summary and w.person_b.name not in row.summary
    assert row.data["person_id"] == w.person_a.id
