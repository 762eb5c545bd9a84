"""The wizards of 初始注册 (and 逾期初始), 变更注册, 重新注册 and 注销注册 through HTTP, on the step engine 延续注册
uses: each kind's own steps in its navigator, the steps only it has (资格信息, 变更事项, 注销原因, 上传材料), the
routed body confirmed on 聘用单位信息, bad input refused beside the field with nothing saved, 上报 re-checking
everything and freezing the kind's snapshot, the application page after 上报, 历史记录, the 功能目录 and 「变更中」.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    ContinuingEducation,
    Employer,
    EmployerKind,
)
from portal.validators import make_credit_code
from tests.clocks import beijing
from tests.factories import body, login_as, make_certificate, make_exam_record, make_person
from tests.test_renewal_support import CREDIT_CODE, PERSONAL, csrf_token, post, text, work_data

K = ApplicationKind
S = ApplicationStatus
TODAY = date(2026, 11, 28)
#: an employer in Jiangsu (credit code characters 3–4: 32) and one in Liaoning (21)
JIANGSU_CODE = make_credit_code("91320100MA1X23456")


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Every test here runs on 2026-11-28, 10:00 Beijing."""
    time_machine.move_to(beijing(2026, 11, 28, 10), tick=False)


@pytest.fixture(params=["filesystem", "database"], ids=["files", "db-files"])
def app_config(request, tmp_path):
    return {"UPLOAD_STORAGE": request.param, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def employer(**values) -> dict:
    return {"name": "辽宁华信化工有限公司", "credit_code": CREDIT_CODE, "kind": "production",
            "address": "辽宁省沈阳市和平区南京北街1号", "contact_person": "赵敏", "contact_phone": "024-23456789",
            "enterprise_body_id": "", **values}


def rows(db, person) -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Application).where(Application.person_id == person.id)
                                   .order_by(Application.id)))


def upload(client, application_id: int, item: str, token: str, back: str):
    return client.post(f"/applicant/applications/{application_id}/materials/{item}/upload",
                       data={"csrf_token": token, "next": back, "file": (io.BytesIO(png()), f"{item}.png")},
                       content_type="multipart/form-data")


def confirm_employer(client, url: str, token: str, data: dict) -> None:
    """聘用单位信息: save, see the routed body, confirm it."""
    response = post(client, url, data, token)
    assert response.status_code == 302, text(response)
    page = client.get(url)
    match = re.search(r'name="confirm_body"[^>]*value="(\d+)"', page.get_data(as_text=True))
    assert match, text(page)
    response = post(client, url, {**data, "confirm_body": match.group(1)}, token)
    assert response.status_code == 302 and url not in response.headers["Location"], text(client.get(url))


def menu_html(client) -> str:
    """The 功能目录's kinds on the personal page."""
    html = client.get("/applicant/").get_data(as_text=True)
    return re.search(r'<ul class="kc-list".*?</ul>', html, re.S).group(0)


def menu(client) -> str:
    return text_of(menu_html(client))


def navigator(page: str) -> list[str]:
    html = re.search(r'<ol class="steps".*?</ol>', page, re.S).group(0)
    return [re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", item)) for item in re.findall(r"<li.*?</li>", html, re.S)]


# --- people -----------------------------------------------------------------------------------------------------


@pytest.fixture
def passer(db):
    """An exam passer of 2025 (资格证书 2026-01-01, 初始注册 until 2031-01-01) with a password, no certificate."""
    person = make_person(name="周杰", employer_kind=EmployerKind.PRODUCTION)
    make_exam_record(name=person.name, id_number=person.id_number, category=Category.CHEMICAL)
    db.session.commit()
    return person


@pytest.fixture
def holder(db):
    """A holder valid until 2028 (not in the renewal window), employed by a Liaoning firm."""
    person = make_person(name="李明")
    firm = Employer(name="辽宁华信化工有限公司", credit_code=CREDIT_CODE, kind=EmployerKind.PRODUCTION)
    db.session.add(firm)
    person.employer = firm
    make_certificate(person, valid_until=date(2028, 6, 30))
    db.session.commit()
    return person


# --- 初始注册 ----------------------------------------------------------------------------------------------------


def test_initial_registration_walks_its_own_steps_and_submits(client, db, passer):
    login_as(client, passer)
    assert 'href="/applicant/apply/initial/"' in menu_html(client) and "继续办理" not in menu(client)
    page = text(client.get("/applicant/apply/initial/"))
    assert "开始初始注册" in page and "请在2031-01-01前申请初始注册" in page
    token = csrf_token(client, "/applicant/apply/initial/")
    response = post(client, "/applicant/apply/initial/start", token=token)
    assert response.headers["Location"].endswith("/applicant/apply/initial/personal")
    [application] = rows(db, passer)
    assert application.kind is K.INITIAL and application.exam_record_id is not None

    html = client.get("/applicant/apply/initial/personal").get_data(as_text=True)
    assert navigator(html) == ["个人基本信息", "资格信息", "聘用单位信息", "工作经历", "上传材料", "预览", "上报"]
    assert "初始注册流程" in text(client.get("/applicant/apply/initial/personal"))
    assert post(client, "/applicant/apply/initial/personal", PERSONAL, token).status_code == 302

    page = text(client.get("/applicant/apply/initial/exam"))
    assert "资格证书编号" in page and "2025" in page and "化工安全" in page
    response = post(client, "/applicant/apply/initial/exam", {"category": "chemical"}, token)
    assert "请核对资格信息后勾选确认" in text(response)
    assert rows(db, passer)[0].draft["completed"] == ["personal"]
    assert post(client, "/applicant/apply/initial/exam", {"category": "chemical", "confirm": "y"},
                token).status_code == 302

    page = text(client.get("/applicant/apply/initial/employer"))
    assert "受理初审的注册机构" in page and "受理注册机构" not in page.split("受理初审的注册机构")[0][-200:]
    confirm_employer(client, "/applicant/apply/initial/employer", token, employer())
    assert rows(db, passer)[0].body_id == body("210000").id

    assert post(client, "/applicant/apply/initial/work", work_data(), token).status_code == 302
    assert post(client, "/applicant/apply/initial/work/next", token=token).status_code == 302

    page = text(client.get("/applicant/apply/initial/materials"))
    assert "资格证书" in page and "劳动合同或聘用文件" in page and "身份证件" in page
    back = "/applicant/apply/initial/materials"
    for item in ("qualification", "contract", "id_card"):
        assert upload(client, application.id, item, token, back).status_code == 302
    assert post(client, "/applicant/apply/initial/materials/next", token=token).status_code == 302

    preview = text(client.get("/applicant/apply/initial/preview"))
    assert "注册安全工程师初始注册申请表" in preview and "以下问题解决后才能上报" not in preview
    response = post(client, "/applicant/apply/initial/submit", {"confirm": "y"}, token)
    assert response.status_code == 302, text(response)
    [application] = rows(db, passer)
    assert application.status is S.SUBMITTED and application.number
    snapshot = application.snapshot
    assert snapshot["kind"] == "initial"
    assert snapshot["exam"]["exam_year"] == "2025" and snapshot["exam"]["category"] == "化工安全"
    assert snapshot["employer"]["credit_code"] == CREDIT_CODE
    assert {row["item_label"] for row in snapshot["materials"]} == {"资格证书", "劳动合同或聘用文件", "身份证件"}

    page = text(client.get(f"/applicant/applications/{application.id}?submitted=1"))
    assert "您的初始注册申请已上报" in page and "签字盖章的申请表" in page and "也可以将纸质申请表报送" in page
    history = text(client.get("/applicant/history"))
    assert "初始注册" in history and application.number in history
    pdf = client.get(f"/applicant/applications/{application.id}/form.pdf?download=1")
    assert pdf.mimetype == "application/pdf" and "初始注册申请表" in pdf.headers["Content-Disposition"] or \
        "%E5%88%9D%E5%A7%8B" in pdf.headers["Content-Disposition"]


def test_submit_is_refused_while_materials_are_missing(client, db, passer):
    login_as(client, passer)
    token = csrf_token(client, "/applicant/apply/initial/")
    post(client, "/applicant/apply/initial/start", token=token)
    post(client, "/applicant/apply/initial/personal", PERSONAL, token)
    post(client, "/applicant/apply/initial/exam", {"category": "chemical", "confirm": "y"}, token)
    confirm_employer(client, "/applicant/apply/initial/employer", token, employer())
    post(client, "/applicant/apply/initial/work", work_data(), token)
    post(client, "/applicant/apply/initial/work/next", token=token)
    post(client, "/applicant/apply/initial/materials/next", token=token)
    page = client.get("/applicant/apply/initial/preview").get_data(as_text=True)
    assert "还有3项材料未上传或需更换" in text_of(page)
    response = post(client, "/applicant/apply/initial/submit", {"confirm": "y"}, token)
    assert "请上传「资格证书」" in text(response)
    [application] = rows(db, passer)
    assert application.status is S.DRAFT and application.number is None


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_holder_cannot_start_an_initial_registration(client, db, holder):
    login_as(client, holder)
    page = text(client.get("/applicant/apply/initial/"))
    assert "您已取得执业证，不能再申请初始注册" in page and "开始初始注册" not in page
    response = post(client, "/applicant/apply/initial/start", token=csrf_token(client, "/applicant/apply/change/"),
                    follow_redirects=True)
    assert "不能再申请初始注册" in text(response)
    assert rows(db, holder) == []


def test_late_initial_after_the_deadline_asks_for_continuing_education(client, db):
    person = make_person(name="孙丽")
    make_exam_record(name=person.name, id_number=person.id_number, exam_year=2019, category=Category.COAL)
    db.session.commit()  # 资格证书 2020-01-01: 初始注册 until 2025-01-01
    login_as(client, person)
    page = text(client.get("/applicant/apply/initial/"))
    assert "逾期初始注册" in page and "继续教育" in page
    token = csrf_token(client, "/applicant/apply/initial/")
    response = post(client, "/applicant/apply/initial/start", token=token)
    assert response.headers["Location"].endswith("/applicant/apply/late_initial/personal")
    [application] = rows(db, person)
    assert application.kind is K.LATE_INITIAL
    html = client.get("/applicant/apply/late_initial/personal").get_data(as_text=True)
    assert "继续教育信息" in navigator(html)
    # the 初始 URL leads to the same application
    assert client.get("/applicant/apply/initial/personal").headers["Location"].endswith(
        "/applicant/apply/late_initial/personal")


# --- 变更注册 ----------------------------------------------------------------------------------------------------


def start_change(client, db, person, types, **values):
    login_as(client, person)
    token = csrf_token(client, "/applicant/apply/change/")
    response = post(client, "/applicant/apply/change/start", token=token)
    assert response.headers["Location"].endswith("/applicant/apply/change/change"), text(client.get("/applicant/"))
    data = {"types": types, "reason": "工作调动", **values}
    response = post(client, "/applicant/apply/change/change", data, token)
    return token, response


def test_change_to_the_same_employer_is_refused_beside_the_field(client, db, holder):
    token, response = start_change(client, db, holder, ["employer"])
    assert response.status_code == 302
    response = post(client, "/applicant/apply/change/employer", employer(), token)
    page = text(response)
    assert "您填写的是现聘用单位" in page
    [application] = rows(db, holder)
    assert "employer" not in application.draft and application.body_id is None


def test_change_of_employer_routes_to_the_new_province_and_shows_changing(client, db, holder):
    token, _ = start_change(client, db, holder, ["employer"])
    html = client.get("/applicant/apply/change/change").get_data(as_text=True)
    assert navigator(html) == ["变更事项", "聘用单位信息", "上传材料", "预览", "上报"]
    new = employer(name="江苏苏化集团有限公司", credit_code=JIANGSU_CODE, address="江苏省南京市")
    confirm_employer(client, "/applicant/apply/change/employer", token, new)
    [application] = rows(db, holder)
    assert application.body_id == body("320000").id
    page = text(client.get("/applicant/apply/change/materials"))
    assert "原聘用单位解聘证明或劳动合同终止证明" in page
    for item in ("practice_cert", "release", "contract"):
        assert upload(client, application.id, item, token, "/applicant/apply/change/materials").status_code == 302
    post(client, "/applicant/apply/change/materials/next", token=token)
    client.get("/applicant/apply/change/preview")
    response = post(client, "/applicant/apply/change/submit", {"confirm": "y"}, token)
    assert response.status_code == 302, text(response)
    [application] = rows(db, holder)
    change = application.snapshot["change"]
    assert application.status is S.SUBMITTED
    assert change["types"] == "变更聘用单位" and change["old_employer_name"] == "辽宁华信化工有限公司"
    assert application.snapshot["employer"]["name"] == "江苏苏化集团有限公司"
    assert application.snapshot["work"] == [] and application.snapshot["education"]["entries"] == []
    assert "变更中" in text(client.get("/applicant/")) and "继续办理" in menu(client)


def test_rename_keeps_the_credit_code(client, db, holder):
    token, _ = start_change(client, db, holder, ["rename"])
    form = client.get("/applicant/apply/change/employer").get_data(as_text=True)
    assert f'value="{CREDIT_CODE}"' in form and 'value="辽宁华信化工有限公司"' in form  # starts from the current one
    assert '<option selected value="production">' in form
    response = post(client, "/applicant/apply/change/employer", employer(credit_code=JIANGSU_CODE), token)
    assert "统一社会信用代码不变" in text(response)
    response = post(client, "/applicant/apply/change/employer", employer(), token)
    assert "请填写聘用单位变更后的名称" in text(response)
    response = post(client, "/applicant/apply/change/employer", employer(name="辽宁华信新材料有限公司"), token)
    assert response.status_code == 302
    assert rows(db, holder)[0].draft["employer"]["name"] == "辽宁华信新材料有限公司"


def test_change_types_are_checked(client, db, holder):
    token, response = start_change(client, db, holder, [])
    assert "请选择变更事项" in text(response)
    response = post(client, "/applicant/apply/change/change", {"types": ["employer", "rename"], "reason": "x"}, token)
    assert "只能选择其一" in text(response)
    response = post(client, "/applicant/apply/change/change", {"types": ["employer"], "reason": ""}, token)
    assert "请填写变更原因" in text(response)
    assert "change" not in rows(db, holder)[0].draft


def test_category_change_only_for_early_registrations(client, db, holder):
    # the holder's period began 2023-06-30 (perhaps renewing an earlier registration): may change, to another one
    token, response = start_change(client, db, holder, ["category"], new_category="chemical")
    assert "变更后的专业类别与现专业类别相同" in text(response)
    response = post(client, "/applicant/apply/change/change", {"types": ["category"], "new_category": "coal",
                                                               "reason": "岗位调整"}, token)
    assert response.status_code == 302
    assert rows(db, holder)[0].draft["change"] == {"types": ["category"], "category": "coal", "reason": "岗位调整"}
    # a registration first granted in 2025 may not
    late = make_person(name="钱程")
    make_certificate(late, valid_until=date(2030, 5, 31))
    db.session.commit()
    _, response = start_change(client, db, late, ["category"], new_category="coal")
    assert "专业类别变更仅适用于2019-03-01前取得注册的人员" in text(response)


# --- 重新注册, 注销注册 ----------------------------------------------------------------------------------------


def test_expired_holder_applies_for_reregistration(client, db):
    person = make_person(name="赵强")
    make_certificate(person, valid_until=date(2025, 3, 31))
    db.session.add(ContinuingEducation(person_id=person.id, course="安全管理", organiser="培训中心",
                                       start_date=date(2025, 5, 1), end_date=date(2025, 5, 5), hours=48))
    db.session.commit()
    login_as(client, person)
    assert 'href="/applicant/apply/reregistration/"' in menu_html(client)
    renewal = text(client.get("/applicant/renewal/"))
    assert "申请重新注册" in renewal
    token = csrf_token(client, "/applicant/apply/reregistration/")
    assert post(client, "/applicant/apply/reregistration/start", token=token).status_code == 302
    html = client.get("/applicant/apply/reregistration/personal").get_data(as_text=True)
    assert navigator(html) == ["个人基本信息", "聘用单位信息", "继续教育信息", "工作经历", "上传材料", "预览", "上报"]
    post(client, "/applicant/apply/reregistration/personal", PERSONAL, token)
    confirm_employer(client, "/applicant/apply/reregistration/employer", token, employer())
    page = text(client.get("/applicant/apply/reregistration/education"))
    assert "近5年" in page and "48 / 48" in page


def test_holder_cancels_with_a_reason(client, db, holder):
    login_as(client, holder)
    token = csrf_token(client, "/applicant/apply/cancellation/")
    response = post(client, "/applicant/apply/cancellation/start", token=token)
    assert response.headers["Location"].endswith("/applicant/apply/cancellation/cancellation")
    response = post(client, "/applicant/apply/cancellation/cancellation", {"reason": "other", "note": ""}, token)
    assert "请说明注销原因" in text(response)
    assert "cancellation" not in rows(db, holder)[0].draft
    assert post(client, "/applicant/apply/cancellation/cancellation", {"reason": "retired"}, token).status_code == 302
    post(client, "/applicant/apply/cancellation/materials/next", token=token)
    client.get("/applicant/apply/cancellation/preview")
    response = post(client, "/applicant/apply/cancellation/submit", {"confirm": "y"}, token)
    assert response.status_code == 302, text(response)
    [application] = rows(db, holder)
    assert application.status is S.SUBMITTED and application.body_id == body("210000").id
    assert application.snapshot["cancellation"] == {"reason": "退休", "ground": "", "filed_by": "本人"}


# --- one open application, other people's --------------------------------------------------------------------


def test_a_second_kind_while_one_is_open_is_refused(client, db, holder):
    start_change(client, db, holder, ["employer"])
    assert "为什么不能申请？" in menu(client) and "您有一份正在办理的变更注册申请" in menu(client)
    token = csrf_token(client, "/applicant/apply/change/change")
    response = post(client, "/applicant/apply/cancellation/start", token=token, follow_redirects=True)
    assert "您有一份正在办理的变更注册申请" in text(response)
    assert [a.kind for a in rows(db, holder)] == [K.CHANGE]
    # another kind's step URL leads back to the open application
    response = client.get("/applicant/apply/cancellation/cancellation")
    assert response.headers["Location"].endswith("/applicant/apply/change/change")  # where the applicant was


def test_another_persons_application_answers_404(client, db, holder, passer):
    login_as(client, holder)
    start_change(client, db, holder, ["employer"])
    [theirs] = rows(db, holder)
    login_as(client, passer)
    assert client.get(f"/applicant/applications/{theirs.id}").status_code == 404
    assert client.get(f"/applicant/applications/{theirs.id}/withdraw").status_code == 404
    assert client.get("/applicant/apply/nonsense/").status_code == 404
    assert client.get("/applicant/apply/renewal/personal").status_code == 404


# --- 退回: replace the marked document, submit again ----------------------------------------------------------


def test_a_returned_initial_registration_shows_the_marked_document_and_goes_again(client, db, passer):
    from portal.clock import utcnow
    from portal.services.registration import materials
    from portal.services.review import transitions
    from tests.factories import make_staff

    login_as(client, passer)
    token = csrf_token(client, "/applicant/apply/initial/")
    post(client, "/applicant/apply/initial/start", token=token)
    post(client, "/applicant/apply/initial/personal", PERSONAL, token)
    post(client, "/applicant/apply/initial/exam", {"category": "chemical", "confirm": "y"}, token)
    confirm_employer(client, "/applicant/apply/initial/employer", token, employer())
    post(client, "/applicant/apply/initial/work", work_data(), token)
    post(client, "/applicant/apply/initial/work/next", token=token)
    [application] = rows(db, passer)
    for item in ("qualification", "contract", "id_card"):
        upload(client, application.id, item, token, "/applicant/apply/initial/materials")
    post(client, "/applicant/apply/initial/materials/next", token=token)
    client.get("/applicant/apply/initial/preview")
    assert post(client, "/applicant/apply/initial/submit", {"confirm": "y"}, token).status_code == 302

    reviewer = make_staff()
    [application] = rows(db, passer)
    contract = next(m for m in application.materials if m.item == "contract")
    materials.mark_for_replacement(application, reviewer, {contract.id: "合同未盖章"}, utcnow())
    transitions.return_for_changes(application, reviewer, "劳动合同须加盖单位公章。", utcnow())
    db.session.commit()

    page = text(client.get(f"/applicant/applications/{application.id}"))
    assert "注册机构要求更换以下材料" in page and "劳动合同或聘用文件：合同未盖章" in page
    response = client.get("/applicant/apply/initial/")
    assert response.headers["Location"].endswith("/applicant/apply/initial/preview")  # the whole form first
    preview = text(client.get("/applicant/apply/initial/preview"))
    assert "请更换「劳动合同或聘用文件」" in preview
    assert "请更换「劳动合同或聘用文件」" in text(post(client, "/applicant/apply/initial/submit", {"confirm": "y"},
                                                     token))
    page = client.get("/applicant/apply/initial/materials").get_data(as_text=True)
    assert "合同未盖章" in page
    response = client.post(f"/applicant/applications/{application.id}/materials/contract/upload",
                           data={"csrf_token": token, "next": "/applicant/apply/initial/materials",
                                 "replace": str(contract.id), "file": (io.BytesIO(png()), "contract.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    response = post(client, "/applicant/apply/initial/submit", {"confirm": "y"}, token)
    assert response.status_code == 302, text(response)
    [application] = rows(db, passer)
    assert application.status is S.SUBMITTED


def test_a_submitted_renewal_keeps_its_paper_route_and_offers_uploads(client, db, applicant):
    from tests.test_renewal_support import fill_wizard, submit

    login_as(client, applicant)
    fill_wizard(client)
    assert submit(client).status_code == 302
    [application] = rows(db, applicant)
    page = text(client.get(f"/applicant/applications/{application.id}"))
    assert "请导出并打印申请表" in page and "不是必须" in page and "签字盖章的申请表" in page
    token = csrf_token(client, f"/applicant/applications/{application.id}")
    back = f"/applicant/applications/{application.id}"
    assert upload(client, application.id, "signed_form", token, back).status_code == 302
    assert [m.item for m in rows(db, applicant)[0].materials] == ["signed_form"]
