"""The 申请表 of every kind of registration: the snapshot's optional parts, and the form printed from them."""

from __future__ import annotations

from portal.services.documents.snapshot import (
    ApplicationSnapshot,
    CancellationPart,
    ChangePart,
    EmployerPart,
    ExamPart,
    MaterialRow,
    PersonPart,
)


def test_the_optional_parts_are_empty_by_default_and_round_trip():
    empty = ApplicationSnapshot.from_json({"kind": "renewal", "person": {"name": "王建国"}})
    assert empty.exam == ExamPart() and empty.change == ChangePart() and empty.cancellation == CancellationPart()
    assert empty.materials == ()
    full = ApplicationSnapshot(
        kind="change", person=PersonPart(name="王建国"), employer=EmployerPart(name="新单位"),
        exam=ExamPart(qualification_no="0012345", exam_year="2019", qualified_on="2020-01-01", category="化工安全"),
        change=ChangePart(types="变更聘用单位、变更专业类别", old_employer_name="旧单位", old_credit_code="91210000X",
                          old_category="化工安全", new_category="其他安全", reason="调动"),
        cancellation=CancellationPart(reason="退休", filed_by="本人"),
        materials=(MaterialRow(item_label="劳动合同或聘用文件", count=1, pages=3),))
    stored = full.to_json()
    assert stored["materials"] == [{"item_label": "劳动合同或聘用文件", "count": 1, "pages": 3}]
    assert stored["change"]["types"] == "变更聘用单位、变更专业类别"
    assert ApplicationSnapshot.from_json(stored) == full


def test_odd_parts_read_as_empty():
    odd = ApplicationSnapshot.from_json({"exam": "junk", "change": [], "cancellation": None,
                                         "materials": ["junk", {"item_label": "资格证书"}], "work": "junk"})
    assert odd.exam == ExamPart() and odd.change == ChangePart() and odd.cancellation == CancellationPart()
    assert odd.materials == (MaterialRow(item_label="资格证书"),) and odd.work == ()
    assert ApplicationSnapshot.from_json({"materials": "junk"}).materials == ()
