"""The typed application snapshot shared by 上报 (which freezes it) and the 申请表 (which prints it)."""

from __future__ import annotations

from portal.services.documents.application_form import form_context
from portal.services.documents.snapshot import (
    ApplicationSnapshot,
    Education,
    EducationEntry,
    EmployerPart,
    PersonPart,
    WorkRow,
)

SNAPSHOT = ApplicationSnapshot(
    kind="renewal", date="2027-01-01",
    person=PersonPart(name="王建国", id_type="居民身份证", id_number="211322197505050879", mobile="13912345678"),
    employer=EmployerPart(name="辽宁华信化工有限公司", kind="生产经营单位"),
    education=Education(entries=(EducationEntry(course="危险化学品安全", organiser="辽宁省安全培训中心",
                                                 start_date="2026-03-01", end_date="2026-03-06", hours=48),),
                        total=48, required=48, period_from="2022-01-12", period_to="2027-01-01"),
    work=(WorkRow(start_date="2020-01-01", employer_name="辽宁华信化工有限公司", position="安全主管"),),
)


def test_the_stored_json_reads_back_as_the_same_snapshot():
    stored = SNAPSHOT.to_json()
    assert stored["person"]["name"] == "王建国" and stored["work"][0]["end_date"] == ""
    assert ApplicationSnapshot.from_json(stored) == SNAPSHOT


def test_a_partial_or_odd_snapshot_still_prints():
    for data in (None, {}, {"person": {"name": "李四"}}, {"person": "junk", "work": ["junk"], "education": []}):
        context = form_context(data, "YX202700000001")
        assert context["number"] == "YX202700000001"
        assert context["person"]["id_number"] == ""
        assert context["work_blank_rows"] == 2
    assert form_context({"person": {"name": "李四"}}, None)["person"]["name"] == "李四"


def test_the_form_prints_what_the_snapshot_holds():
    context = form_context(SNAPSHOT, "YX202700000001")
    assert context["date"] == "2027年01月01日"
    assert context["education"]["entries"][0]["period"] == "2026.03.01—2026.03.06"
    assert context["education"]["period"] == "2022年01月12日 至 2027年01月01日"
    assert context["work"][0]["period"] == "2020.01.01—至今"
    assert context["employer"]["kind"] == "生产经营单位"
