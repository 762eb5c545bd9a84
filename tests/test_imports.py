"""CSV imports: all or nothing, every bad row named by line and column, BOM accepted, re-imports update."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.applicant.forms import CompleteProfileForm
from portal.applicant.renewal_forms import PersonalForm
from portal.models import AuditLog, Body, Category, Certificate, Employer, ExamRecord, Person
from portal.services.data import imports
from portal.services.data.imports import COLUMNS, ImportFailed, import_csv
from portal.validators import make_credit_code, make_resident_id

HEADER = ",".join(COLUMNS["registered"])


def registered_row(index: int, *, id_number: str | None = None, email: str = "", mobile: str = "13900000000") -> str:
    birth = date(1960, 1, 1).toordinal() + index // 900
    birth_date = date.fromordinal(birth)
    number = id_number or make_resident_id("210102", birth_date, index % 900 + 1)
    credit = make_credit_code(f"91210100MA{index % 10_000_000:07d}")
    return (f"人员{index},男,{birth_date.isoformat()},居民身份证,{number},{email},{mobile},"
            f"ZA{index:010d},化工安全,210000,单位{index % 50},{credit},2021-06-01,2026-05-31")


def csv_bytes(rows: list[str], *, bom: bool = False, header: str = HEADER) -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_ten_thousand_registered_rows_load(db):
    result = import_csv("registered", csv_bytes([registered_row(i) for i in range(10_000)]))
    db.session.commit()
    assert (result.created, result.updated) == (10_000, 0)
    assert count(db, Person) == 10_000
    assert count(db, Certificate) == 10_000
    person = db.session.scalar(select(Person).where(Person.name == "人员4321"))
    assert person.category is Category.CHEMICAL
    assert person.body.code == "210000"
    assert person.certificates[0].valid_until == date(2026, 5, 31)
    assert person.employer.name == "单位21"


def test_one_bad_id_number_in_row_5000_loads_nothing_and_names_the_line(db):
    rows = [registered_row(i) for i in range(10_000)]
    rows[4998] = registered_row(4998, id_number="211322196402200017")  # wrong check digit, file line 5000
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    db.session.rollback()
    assert [(e.line, e.column) for e in failure.value.errors] == [(5000, "id_number")]
    assert "校验" in failure.value.errors[0].message
    assert str(failure.value.errors[0]).startswith("第5000行 id_number：")
    assert count(db, Person) == 0
    assert count(db, Certificate) == 0
    assert count(db, Employer) == 0


def test_a_file_with_a_bom_loads(db):
    result = import_csv("registered", csv_bytes([registered_row(1)], bom=True))
    assert result.created == 1
    assert db.session.scalar(select(Person.name)) == "人员1"


def test_reimporting_a_person_updates_instead_of_duplicating(db):
    import_csv("registered", csv_bytes([registered_row(7)]))
    db.session.commit()
    changed = registered_row(7, email="new@example.com").replace("人员7", "人员七")
    result = import_csv("registered", csv_bytes([changed]))
    db.session.commit()
    assert (result.created, result.updated) == (0, 1)
    person = db.session.scalar(select(Person))
    assert (person.name, person.email) == ("人员七", "new@example.com")
    assert count(db, Certificate) == 1


def test_every_bad_row_is_reported_with_its_column(db):
    rows = [
        registered_row(1).replace(",男,", ",M,"),
        registered_row(2).replace("化工安全", "消防安全"),
        registered_row(3).replace(",210000,", ",999999,"),
        registered_row(4).replace("2026-05-31", "2026-02-30"),
        registered_row(5).replace("居民身份证", "身份证"),
        registered_row(6),
        registered_row(6).replace("人员6", "重复"),
    ]
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    found = {(e.line, e.column) for e in failure.value.errors}
    assert {(2, "gender"), (3, "category"), (4, "body_code"), (5, "valid_until"), (6, "id_type"),
            (8, "certificate_no")} <= found
    assert count(db, Person) == 0


@pytest.mark.parametrize("email", ["a@b", "王@例子", "x@@y.cn"])
def test_a_bad_email_loads_nothing_and_names_the_line(db, email):
    rows = [registered_row(1), registered_row(2, email="ok@example.com"), registered_row(3, email=email),
            registered_row(4)]
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    db.session.rollback()
    assert [str(error) for error in failure.value.errors] == ["第4行 email：电子邮箱格式不正确。"]
    assert count(db, Person) == 0
    assert count(db, Certificate) == 0
    assert count(db, Employer) == 0


@pytest.mark.parametrize("mobile", ["12345", "12912345678", "1391234567", "139l2345678"])
def test_a_bad_mobile_loads_nothing_and_names_the_line(db, mobile):
    rows = [registered_row(1), registered_row(2, mobile=mobile)]
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    db.session.rollback()
    assert [str(error) for error in failure.value.errors] == ["第3行 mobile：请填写11位手机号码。"]
    assert count(db, Person) == 0


def test_a_bad_body_email_is_refused(db):
    data = "code,name,kind,province,address,phone,fax,email\nBM09,水利部,department,,,,,x@@y.cn\n"
    with pytest.raises(ImportFailed) as failure:
        import_csv("bodies", data.encode())
    assert [str(error) for error in failure.value.errors] == ["第2行 email：电子邮箱格式不正确。"]


@pytest.mark.parametrize("mobile", ["139 1234 5678", "139-1234-5678", "１３９１２３４５６７８"])
def test_mobile_and_email_are_stored_as_the_forms_keep_them(app, db, mobile):
    import_csv("registered", csv_bytes([registered_row(1, mobile=mobile, email=" Wang@Example.COM ")]))
    db.session.commit()
    person = db.session.scalar(select(Person))
    assert (person.mobile, person.email) == ("13912345678", "Wang@example.com")
    for form_class, data in ((CompleteProfileForm, {"category": "chemical", "employer_kind": "service"}),
                             (PersonalForm, {"education": "大学本科", "major": "安全工程", "address": "沈阳市"})):
        with app.test_request_context("/", method="POST",
                                      data={**data, "mobile": mobile, "email": " Wang@Example.COM "}):
            form = form_class(meta={"csrf": False})
            assert form.validate(), form.errors
            assert (form.mobile.data, form.email.data) == (person.mobile, person.email)


def test_birth_date_must_agree_with_the_id_number(db):
    row = registered_row(1).replace("1960-01-01", "1961-01-01")
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes([row]))
    assert [(e.line, e.column) for e in failure.value.errors] == [(2, "birth_date")]


def test_missing_header_columns_are_named(db):
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes([], header="name,gender"))
    assert failure.value.errors[0].line == 1
    assert "id_number" in failure.value.errors[0].column


def test_a_file_that_is_not_utf8_is_refused(db):
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", (HEADER + "\n" + registered_row(1)).encode("gb18030"))
    assert "UTF-8" in failure.value.errors[0].message


def test_bodies_import_adds_and_updates(db):
    data = ("code,name,kind,province,address,phone,fax,email\n"
            "210000,辽宁省应急管理厅,province,辽宁省,沈阳市和平区,024-1,024-2,ln@example.gov.cn\n"
            "BM09,水利部,department,,北京市西城区,010-1,010-2,\n")
    result = import_csv("bodies", data.encode())
    db.session.commit()
    assert (result.created, result.updated) == (1, 1)
    liaoning = db.session.scalar(select(Body).where(Body.code == "210000"))
    assert (liaoning.phone, liaoning.fax, liaoning.email) == ("024-1", "024-2", "ln@example.gov.cn")


def test_bodies_import_rejects_an_unknown_kind(db):
    data = "code,name,kind,province,address,phone,fax,email\nX1,某机构,ministry,,,,,\n"
    with pytest.raises(ImportFailed) as failure:
        import_csv("bodies", data.encode())
    assert [(e.line, e.column) for e in failure.value.errors] == [(2, "kind")]


def test_exam_records_import(db):
    number = make_resident_id("110105", date(1990, 5, 20), 9)
    data = ("name,id_type,id_number,exam_year,qualification_no,category\n"
            f"周杰,居民身份证,{number.lower()},2025,KS2025000001,煤矿安全\n")
    import_csv("exam-records", data.encode())
    record = db.session.scalar(select(ExamRecord))
    assert (record.name, record.id_number, record.category) == ("周杰", number.upper(), Category.COAL)


def test_exam_record_year_is_checked(db):
    number = make_resident_id("110105", date(1990, 5, 20), 9)
    data = ("name,id_type,id_number,exam_year,qualification_no,category\n"
            f"周杰,居民身份证,{number},1890,KS1,煤矿安全\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv("exam-records", data.encode())
    assert [(e.line, e.column) for e in failure.value.errors] == [(2, "exam_year")]


def test_validate_only_checks_and_counts_but_writes_nothing(db):
    import_csv("registered", csv_bytes([registered_row(1)]))
    db.session.commit()
    result = import_csv("registered", csv_bytes([registered_row(i) for i in range(1, 4)]), validate_only=True)
    assert (result.created, result.updated, result.rows, result.validated_only) == (2, 1, 3, True)
    db.session.commit()
    assert count(db, Person) == 1
    assert count(db, Certificate) == 1
    assert db.session.scalars(select(AuditLog.action)).all() == ["import.registered"]
    rows = [registered_row(1), registered_row(2).replace(",男,", ",M,")]
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows), validate_only=True)
    assert [str(error) for error in failure.value.errors] == ["第3行 gender：性别应为“男”或“女”"]


def test_a_file_object_is_streamed_with_progress(db, tmp_path):
    path = tmp_path / "registered.csv"
    path.write_bytes(csv_bytes([registered_row(i) for i in range(25_000)], bom=True))
    calls = []
    with path.open("rb") as stream:
        result = import_csv("registered", stream, progress=lambda rows, done, total: calls.append((rows, done, total)))
    db.session.commit()
    assert result.created == 25_000
    assert count(db, Certificate) == 25_000
    size = path.stat().st_size
    assert [rows for rows, _, _ in calls] == [10_000, 20_000, 25_000]
    assert calls[-1] == (25_000, size, size)
    assert 0 < calls[0][1] < calls[1][1] < size


def test_a_certificate_of_someone_else_is_refused_and_nothing_loads(db):
    import_csv("registered", csv_bytes([registered_row(1)]))
    db.session.commit()
    other = registered_row(2).replace("ZA0000000002", "ZA0000000001")
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes([registered_row(3), other]))
    db.session.rollback()
    assert [str(error) for error in failure.value.errors] == ["第3行 certificate_no：该执业证编号已属于另一人员"]
    assert count(db, Person) == 1


def test_one_person_with_two_certificates_in_one_file(db):
    first = registered_row(1)
    second = registered_row(1).replace("ZA0000000001", "ZA0000000099").replace("人员1", "人员一")
    result = import_csv("registered", csv_bytes([first, second]))
    db.session.commit()
    assert (result.created, result.updated) == (1, 1)
    person = db.session.scalar(select(Person))
    assert person.name == "人员一"  # the file's last row for a person wins
    assert sorted(c.number for c in person.certificates) == ["ZA0000000001", "ZA0000000099"]
    assert count(db, Employer) == 1


def test_reimport_keeps_an_email_the_file_leaves_empty_and_updates_the_certificate(db):
    import_csv("registered", csv_bytes([registered_row(5, email="keep@example.com")]))
    db.session.commit()
    import_csv("registered", csv_bytes([registered_row(5).replace("2026-05-31", "2031-05-31")]))
    db.session.commit()
    person = db.session.scalar(select(Person))
    assert person.email == "keep@example.com"
    assert person.certificates[0].valid_until == date(2031, 5, 31)
    assert person.updated_at >= person.created_at


def test_thousands_of_bad_rows_are_counted_and_the_first_ones_kept(db):
    rows = [registered_row(i).replace("化工安全", "乱填") for i in range(3_000)]
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    assert failure.value.total == 3_000
    assert len(failure.value.errors) == 1_000
    assert str(failure.value.errors[0]) == "第2行 category：专业类别不正确"


def test_duplicate_keys_in_bodies_and_exam_records(db):
    data = ("code,name,kind,province,address,phone,fax,email\n"
            "BM09,水利部,department,,,,,\nBM10,某部,department,,,,,\nBM09,水利部二,department,,,,,\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv("bodies", data.encode())
    assert [str(error) for error in failure.value.errors] == ["第4行 code：与第2行重复"]
    number = make_resident_id("110105", date(1990, 5, 20), 9)
    data = ("name,id_type,id_number,exam_year,qualification_no,category\n"
            f"周杰,居民身份证,{number},2025,KS1,煤矿安全\n周杰,居民身份证,{number},2024,KS1,\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv("exam-records", data.encode())
    assert [str(error) for error in failure.value.errors] == ["第3行 qualification_no：与第2行重复"]


def test_exam_records_reimport_updates(db):
    number = make_resident_id("110105", date(1990, 5, 20), 9)
    header = "name,id_type,id_number,exam_year,qualification_no,category\n"
    import_csv("exam-records", f"{header}周杰,居民身份证,{number},2024,KS1,煤矿安全\n".encode())
    result = import_csv("exam-records", f"{header}周杰,居民身份证,{number},2025,KS1,\n".encode())
    db.session.commit()
    assert (result.created, result.updated) == (0, 1)
    record = db.session.scalar(select(ExamRecord))
    assert (record.exam_year, record.category) == (2025, None)


def test_the_byte_position_of_a_bad_encoding_is_named(db):
    good = csv_bytes([registered_row(1)])
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", good + "王".encode("gb18030") + b"\n")
    assert str(failure.value.errors[0]) == f"第1行 -：文件不是UTF-8编码（字节位置{len(good)}）"


def test_a_bad_row_after_merged_chunks_leaves_nothing_after_the_rollback(db, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)
    import_csv("registered", csv_bytes([registered_row(1_000)]))
    db.session.commit()
    rows = [registered_row(i) for i in range(500)]
    rows[448] = registered_row(448).replace(",男,", ",M,")  # line 450, after four chunks were merged
    rows[470] = registered_row(470).replace("ZA0000000470", "ZA0000001000")  # someone else's certificate
    with pytest.raises(ImportFailed) as failure:
        import_csv("registered", csv_bytes(rows))
    db.session.rollback()
    assert [str(error) for error in failure.value.errors] == [
        "第450行 gender：性别应为“男”或“女”", "第472行 certificate_no：该执业证编号已属于另一人员"]
    assert count(db, Person) == 1
    assert count(db, Certificate) == 1
    assert count(db, Employer) == 1


def test_the_terminal_progress_bar_shows_rows_rate_and_time_left(capsys):
    from portal.cli import ProgressBar

    bar = ProgressBar()
    bar(10_000, 50, 100)
    bar(20_000, 100, 100)
    bar.finish()
    shown = capsys.readouterr().err
    assert "50%" in shown and "100%" in shown
    assert "20,000 行" in shown and "行/秒" in shown and "剩余 0:00" in shown
    assert shown.endswith("\n")


def test_exam_records_may_carry_the_qualification_date_that_initial_registration_counts_from(db):
    from portal.services.registration import kinds

    number = make_resident_id("110105", date(1990, 5, 20), 9)
    header = "name,id_type,id_number,exam_year,qualification_no,category,qualified_on\n"
    with pytest.raises(ImportFailed) as failure:
        import_csv("exam-records", f"{header}周杰,居民身份证,{number},2022,KS1,煤矿安全,2023-02-30\n".encode())
    assert [str(error) for error in failure.value.errors] == [
        "第2行 qualified_on：资格证书日期应为 YYYY-MM-DD 格式的有效日期"]
    assert db.session.scalar(select(ExamRecord)) is None  # all or nothing
    import_csv("exam-records", f"{header}周杰,居民身份证,{number},2022,KS1,煤矿安全,2023-03-15\n".encode())
    record = db.session.scalar(select(ExamRecord))
    assert record.qualified_on == date(2023, 3, 15)
    assert kinds.initial_deadline(record, kinds.LifeCycleRules()) == date(2028, 3, 15)
    # a later file without the column keeps the date
    import_csv("exam-records", f"{header.rsplit(',', 1)[0]}\n周杰,居民身份证,{number},2022,KS1,煤矿安全\n".encode())
    db.session.expire_all()
    assert db.session.scalar(select(ExamRecord)).qualified_on == date(2023, 3, 15)
