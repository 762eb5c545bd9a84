"""The 申请表 of every kind of registration: the snapshot's optional parts, and the form printed from them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from portal.services.documents.application_form import form_context, render_form_html, render_form_pdf
from portal.services.documents.snapshot import (
    ApplicationSnapshot,
    BodyPart,
    CancellationPart,
    CertificatePart,
    ChangePart,
    Education,
    EducationEntry,
    EmployerPart,
    ExamPart,
    MaterialRow,
    PersonPart,
    WorkRow,
)
from tests.test_renewal_support import pdf_text


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


# --- the forms of every kind, printed ------------------------------------------------------------------------

NUMBER = "YX202700000031"
PERSON = PersonPart(name="李安全", gender="女", birth_date="1985-06-01", id_type="居民身份证",
                    id_number="210102198506010027", education="大学本科", major="安全工程", title="工程师",
                    mobile="13800000031", email="li@example.com", address="辽宁省沈阳市和平区1号", postcode="110001")
EMPLOYER = EmployerPart(name="辽宁新能化工有限公司", credit_code="91210100MA0Y765432", kind="生产经营单位",
                        contact_person="周明", contact_phone="024-88888888")
EXAM = ExamPart(qualification_no="1921000054321", exam_year="2019", qualified_on="2020-01-01", category="化工安全")
CERTIFICATE = CertificatePart(number="ZA202021000123", category="化工安全", valid_from="2021-05-10",
                              valid_until="2026-05-10")
EDUCATION = Education(entries=(EducationEntry(course="危险化学品重大危险源管理", organiser="辽宁省安全培训中心",
                                              start_date="2026-03-01", end_date="2026-03-06", hours=48),),
                      total=48, required=48, period_from="2022-01-01", period_to="2027-01-01")
WORK = (WorkRow(start_date="2020-03-01", employer_name="辽宁新能化工有限公司", position="安全主管"),)


def kind_snapshot(kind: str, **parts) -> ApplicationSnapshot:
    return ApplicationSnapshot(kind=kind, date="2027-01-01", person=PERSON, employer=EMPLOYER,
                               body=BodyPart(name="辽宁省应急管理厅"), **parts)


def pdf_words(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page as pdftotext lays it out (row by row), without white space."""
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-layout", str(source), "-"], check=True,
                          capture_output=True, text=True).stdout
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


def assert_common(pages: list[str], title: str) -> str:
    """Title, number, person, employer, 附件清单 and the boxes of every form; the whole text is returned."""
    text = "".join(pages)
    assert pages[0].startswith(title)
    for expected in ("申请编号：" + NUMBER, "李安全", "210102198506010027", "辽宁新能化工有限公司",
                     "91210100MA0Y765432", "辽宁省应急管理厅", "附件清单", "材料名称", "聘用单位意见",
                     "（聘用单位公章）", "注册机构初审意见", "注册管理中心审批意见", "（注册管理中心盖章）"):
        assert expected in text, expected
    for index, page in enumerate(pages, start=1):
        assert f"第{index}页，共{len(pages)}页" in page
    return text


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def test_initial_form(ctx, tmp_path):
    snapshot = kind_snapshot("initial", exam=EXAM, work=WORK,
                             materials=(MaterialRow("资格证书", 1, 1), MaterialRow("劳动合同或聘用文件", 1, 4)))
    pages = pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path)
    text = assert_common(pages, "注册安全工程师初始注册申请表")
    assert len(pages) == 1
    assert "申请类型：■初始注册□逾期初始注册" in text
    assert "资格证书管理号1921000054321" in text and "2020年01月01日" in text and "申请注册专业类别化工安全" in text
    assert "1资格证书11" in text and "2劳动合同或聘用文件14" in text
    assert "继续教育" not in text and "执业证编号" not in text
    assert "申请人签名" in text and "2020.03.01—至今" in text


def test_late_initial_form_is_the_initial_form_marked_late_with_its_education(ctx, tmp_path):
    snapshot = kind_snapshot("late_initial", exam=EXAM, education=EDUCATION, work=WORK,
                             materials=(MaterialRow("继续教育证明", 2, 2),))
    text = assert_common(pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path), "注册安全工程师初始注册申请表")
    assert "申请类型：□初始注册■逾期初始注册" in text
    assert "四、继续教育情况（逾期初始注册）" in text and "危险化学品重大危险源管理" in text
    assert "继续教育学时合计（要求不少于48学时）48" in text
    assert "七、申请人承诺及签章" in text


def test_change_form(ctx, tmp_path):
    change = ChangePart(types="变更聘用单位、变更专业类别", old_employer_name="沈阳旧化工厂",
                        old_credit_code="91210100MA0Y000001", old_category="化工安全",
                        new_category="其他安全（不包括消防安全）", reason="调入新单位")
    snapshot = kind_snapshot("change", certificate=CERTIFICATE, change=change,
                             materials=(MaterialRow("原聘用单位解聘证明或劳动合同终止证明", 1, 1),))
    pages = pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path)
    text = assert_common(pages, "注册安全工程师变更注册申请表")
    assert len(pages) == 1
    assert "变更事项■变更聘用单位■变更专业类别□聘用单位名称变更" in text
    assert "聘用单位名称沈阳旧化工厂辽宁新能化工有限公司" in text
    assert "统一社会信用代码91210100MA0Y00000191210100MA0Y765432" in text
    assert "专业类别化工安全其他安全（不包括消防安全）" in text and "变更原因调入新单位" in text
    assert "执业证编号ZA202021000123" in text and "2021年05月10日至2026年05月10日" in text
    name_only = kind_snapshot("change", change=ChangePart(types="聘用单位名称变更"))
    assert "□变更聘用单位□变更专业类别■聘用单位名称变更" in "".join(
        pdf_words(render_form_pdf(name_only, NUMBER), tmp_path))


def test_reregistration_form(ctx, tmp_path):
    snapshot = kind_snapshot("reregistration", certificate=CERTIFICATE, exam=EXAM, education=EDUCATION, work=WORK)
    text = assert_common(pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path), "注册安全工程师重新注册申请表")
    assert "原执业证编号ZA202021000123" in text and "原有效期2021年05月10日至2026年05月10日" in text
    assert "资格证书管理号1921000054321" in text and "危险化学品重大危险源管理" in text


def test_cancellation_form_by_the_holder(ctx, tmp_path):
    snapshot = kind_snapshot("cancellation", certificate=CERTIFICATE,
                             cancellation=CancellationPart(reason="其他（出国定居）", filed_by="本人"))
    pages = pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path)
    text = assert_common(pages, "注册安全工程师注销注册申请表")
    assert len(pages) == 1
    assert "提出方■本人申请□注册机构提出" in text
    assert "□退休□离职□不再从事安全生产工作■其他" in text and "情况说明其他（出国定居）" in text
    assert "□死亡□丧失民事行为能力□注册被撤销□注册被吊销" in text and "■" not in text.split("■其他")[1]
    assert "申请人签名" in text


def test_cancellation_form_filed_by_a_body(ctx, tmp_path):
    snapshot = kind_snapshot("cancellation", certificate=CERTIFICATE, cancellation=CancellationPart(
        ground="死亡", reason="2026年12月5日病故，有死亡证明", filed_by="辽宁省应急管理厅"))
    text = assert_common(pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path), "注册安全工程师注销注册申请表")
    assert "□本人申请■注册机构提出（辽宁省应急管理厅）" in text
    assert "■死亡□丧失民事行为能力" in text and "2026年12月5日病故" in text
    assert "提出机构经办人签名" in text and "申请人签名" not in text
    assert "□退休□离职□不再从事安全生产工作□其他" in text


def test_preview_is_the_partial_of_the_kind_in_chinese(app):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        for kind, title in (("initial", "初始注册申请表"), ("late_initial", "■逾期初始注册"),
                            ("change", "变更注册申请表"),
                            ("reregistration", "重新注册申请表"), ("cancellation", "注销注册申请表"),
                            ("renewal", "延续注册申请表"), ("", "延续注册申请表"), ("odd", "延续注册申请表")):
            html = str(render_form_html(kind_snapshot(kind), None))
            assert title in html and "（上报后生成）" in html and "注册管理中心审批意见" in html, kind
            assert form_context(kind_snapshot(kind), None)["title"] in html


def test_a_partial_snapshot_of_every_kind_prints(ctx):
    for kind in ("initial", "late_initial", "change", "reregistration", "cancellation"):
        assert "张三" in pdf_text(render_form_pdf({"kind": kind, "person": {"name": "张三"}}, None)), kind
    assert form_context({"kind": "change"}, None)["materials_blank_rows"] == 2


@pytest.mark.parametrize(("template", "words"), [
    ("initial_blank.html", ("注册安全工程师初始注册申请表", "申请类型：□初始注册□逾期初始注册", "资格证书管理号",
                            "仅逾期初始注册填写", "继续教育证明（逾期初始注册）")),
    ("change_blank.html", ("注册安全工程师变更注册申请表", "□变更聘用单位□变更专业类别□聘用单位名称变更",
                           "变更前变更后", "原聘用单位解聘证明或劳动合同终止证明", "聘用单位意见（变更后）")),
    ("reregistration_blank.html", ("注册安全工程师重新注册申请表", "原执业证编号", "原有效期", "资格证书管理号",
                                   "继续教育证明")),
    ("cancellation_blank.html", ("注册安全工程师注销注册申请表", "□本人申请□聘用单位申请□注册机构提出",
                                 "□退休□离职□不再从事安全生产工作□其他", "□死亡□丧失民事行为能力", "注销理由证明材料")),
])
def test_the_blank_form_of_each_kind(ctx, tmp_path, template, words):
    from portal.services.documents.pdf import render_pdf

    pages = pdf_words(render_pdf(f"pdf/forms/{template}", title="空白表格"), tmp_path)
    text = "".join(pages)
    for expected in (*words, "附件清单", "聘用单位公章", "注册机构初审意见", "注册管理中心审批意见",
                     "注册管理中心（盖章）"):
        assert expected in text, expected
    assert len(pages) == 2 and pages[1].endswith("第2页，共2页")


# --- 「第N页，共M页」 in one layout pass -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "rows"), [("renewal", 2), ("renewal", 30), ("initial", 2), ("late_initial", 2),
                                            ("reregistration", 25), ("change", 0), ("cancellation", 0)])
def test_the_form_is_laid_out_once_with_the_total_on_every_page(ctx, tmp_path, monkeypatch, kind, rows):
    from portal.services.documents import form_pdf

    entries = tuple(EducationEntry(course=f"危险化学品重大危险源管理第{i}期", organiser="辽宁省安全培训中心",
                                   start_date="2026-03-01", end_date="2026-03-06", hours=2) for i in range(rows))
    work = tuple(WorkRow(start_date=f"{1990 + i}-01-01", employer_name="辽宁新能化工有限公司", position="安全员",
                         duties="车间安全检查、隐患排查治理") for i in range(rows))
    snapshot = kind_snapshot(kind, certificate=CERTIFICATE, exam=EXAM, work=work,
                             education=Education(entries=entries, total=2 * rows, required=48))
    laid_out = []
    build = form_pdf.BaseDocTemplate.build

    def spy(document, *args, **kwargs):
        laid_out.append(document)
        return build(document, *args, **kwargs)

    monkeypatch.setattr(form_pdf.BaseDocTemplate, "build", spy)
    pages = pdf_words(render_form_pdf(snapshot, NUMBER), tmp_path)
    assert len(laid_out) == 1  # no pass only to count the pages
    for index, page in enumerate(pages, start=1):
        assert page.endswith(f"第{index}页，共{len(pages)}页")
    assert (len(pages) > 1) == (rows > 20 or kind == "late_initial")


def test_a_wrong_guess_is_laid_out_again_with_the_right_count(ctx, tmp_path, monkeypatch):
    """A template of ``render_pdf`` printing {{ page_count }} (a blank form) is laid out with the count it came out
    with last time, and again only when that was wrong."""
    from portal.services.documents import pdf

    made = []
    render_once = pdf._render_once

    def spy(template_name, page_count, context):
        document, printed = render_once(template_name, page_count, context)
        made.append((page_count, pdf.page_count_of(document)))
        return document, printed

    monkeypatch.setattr(pdf, "_render_once", spy)
    monkeypatch.setitem(pdf._last_page_counts, "pdf/forms/initial_blank.html", 3)
    document = pdf.render_pdf("pdf/forms/initial_blank.html", title="空白表格")
    assert made == [(3, 2), (2, 2)]
    assert pdf_words(document, tmp_path)[-1].endswith("第2页，共2页")
    made.clear()
    pdf.render_pdf("pdf/forms/initial_blank.html", title="空白表格")
    assert made == [(2, 2)]
    made.clear()
    # a template that prints no page count is never laid out twice
    monkeypatch.setitem(pdf._last_page_counts, "pdf/_test_sample.html", 3)
    pdf.render_pdf("pdf/_test_sample.html", title="样例", rows=[], paragraph="")
    assert len(made) == 1
