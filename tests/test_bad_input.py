"""Odd input on the public and applicant pages never gives an error page of the server: an id no record can have
answers 404, a page number past the end gives the last page, and a control character in a form or the public
search is refused beside the field and never stored. The last tests post generated values (Hypothesis) to every
public and applicant form and GET parameter."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms import StringField
from wtforms.fields.core import UnboundField

from portal.applicant.forms import (
    ChangePasswordForm,
    CompleteProfileForm,
    ForgotPasswordForm,
    IdentityForm,
    LoginForm,
    SetPasswordForm,
    UpdateIdForm,
)
from portal.applicant.kinds_forms import CancellationForm, ChangeForm, ExamForm, RoutedEmployerForm
from portal.applicant.renewal_forms import ActionForm, EducationForm, EmployerForm, PersonalForm, SubmitForm, WorkForm
from portal.clock import utcnow
from portal.models import (
    Announcement,
    Application,
    ContinuingEducation,
    Document,
    DocumentKind,
    IdType,
    WorkHistory,
)
from portal.services.accounts.applicants import request_password_reset
from tests.factories import PASSWORD, login_as, make_certificate, make_person
from tests.test_renewal_support import PERSONAL, ce_data, csrf_token, employer_data, post, text, work_data

#: ids no record can have: past the database's integer, past SQLite's, and zero
IMPOSSIBLE_IDS = ("2147483648", "99999999999999999999", "0")
CONTROL = "不能包含控制字符"
FIRST_GENERATION_ID = "211322640220001"  # 15 digits, born 1964-02-20


def open_renewal(client, applicant) -> str:
    """Log in and fill the wizard up to step 4 with one CE entry and one work row; the session's CSRF token."""
    login_as(client, applicant)
    token = csrf_token(client)
    for url, data in (("/applicant/renewal/start", None), ("/applicant/renewal/personal", PERSONAL),
                      ("/applicant/renewal/employer", employer_data()), ("/applicant/renewal/education", ce_data()),
                      ("/applicant/renewal/education/next", None), ("/applicant/renewal/work", work_data())):
        response = post(client, url, data, token)
        assert response.status_code == 302, (url, text(response))
    return token


# --- ids and page numbers ---------------------------------------------------------------------------------------

def test_ids_no_record_can_have_are_not_found_on_public_pages(client, db):
    for number in IMPOSSIBLE_IDS:
        for url in (f"/announcements/{number}", f"/forms/{number}.pdf", f"/regulations/{number}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "页面不存在" in text(response)


def test_ids_no_record_can_have_are_not_found_for_an_applicant(client, db, applicant):
    token = open_renewal(client, applicant)
    for number in IMPOSSIBLE_IDS:
        for url in (f"/applicant/applications/{number}", f"/applicant/applications/{number}/form.pdf",
                    f"/applicant/applications/{number}/withdraw", f"/applicant/renewal/education/{number}",
                    f"/applicant/renewal/work/{number}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "页面不存在" in text(response)
        for url in (f"/applicant/applications/{number}/withdraw", f"/applicant/renewal/education/{number}/delete",
                    f"/applicant/renewal/work/{number}/delete", f"/applicant/renewal/education/{number}"):
            assert post(client, url, ce_data(), token).status_code == 404, url
    db.session.expire_all()
    assert db.session.scalar(sa.select(Application.status).where(Application.person_id == applicant.id)).value \
        == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContinuingEducation)) == 1


def test_a_body_id_no_record_can_have_is_refused_in_the_wizard(client, db, applicant):
    token = open_renewal(client, applicant)
    for number in IMPOSSIBLE_IDS:
        response = post(client, "/applicant/renewal/employer", employer_data(body_id=number), token)
        assert response.status_code == 200 and "请选择受理初审的注册机构" in text(response), number


def test_a_page_number_past_the_end_gives_the_last_page(client, db):
    db.session.add_all([Announcement(title=f"通知{number:02d}", body="内容", published=True) for number in range(20)])
    db.session.commit()
    for page in ("99999999999999999999", "2147483648", "3"):
        response = client.get(f"/announcements?page={page}")
        assert response.status_code == 200, page
        assert "第2页，共2页" in text(response), page
    for page in ("abc", "-5", "0", "", "1e3"):
        response = client.get(f"/announcements?page={page}")
        assert response.status_code == 200 and "第1页，共2页" in text(response), page


# --- control characters -----------------------------------------------------------------------------------------

def test_a_control_character_in_the_body_search_is_refused(client, db):
    for query in ("q=%00", "q=%E8%BE%BD%01", "province=%1F", "body=2100%7F"):
        response = client.get(f"/bodies?{query}")
        page = text(response)
        assert response.status_code == 200, query
        assert CONTROL in page, query
    assert "辽宁省应急管理厅" in text(client.get("/bodies?q=%E8%BE%BD%E5%AE%81"))  # 辽宁 still finds Liaoning


def test_control_characters_in_the_wizard_are_refused_and_never_stored(client, db, applicant):
    token = open_renewal(client, applicant)
    for url, data, field in (
            ("/applicant/renewal/education", ce_data(course="危险化学品\x00安全"), "course"),
            ("/applicant/renewal/education", ce_data(organiser="\x1b[31m培训中心"), "organiser"),
            ("/applicant/renewal/education", ce_data(hours="24\x00"), "hours"),
            ("/applicant/renewal/work", work_data("1990-01-01", "1995-12-31", duties="管理\x7f"), "duties"),
            ("/applicant/renewal/work", work_data("1990-01-01", "1995-12-31\x00"), "end_date"),
            ("/applicant/renewal/personal", {**PERSONAL, "major": "安全\x00工程"}, "major")):
        response = post(client, url, data, token)
        assert response.status_code == 200, (url, field, response.status_code)
        assert CONTROL in text(response), (url, field)
    db.session.expire_all()
    assert [entry.course for entry in db.session.scalars(sa.select(ContinuingEducation))] == ["危险化学品安全管理"]
    assert [row.duties for row in db.session.scalars(sa.select(WorkHistory))] == ["企业安全生产管理"]
    draft = db.session.scalar(sa.select(Application.draft).where(Application.person_id == applicant.id))
    assert draft["personal"]["major"] == PERSONAL["major"]


def test_tabs_and_line_breaks_are_ordinary_text(client, db, applicant):
    token = open_renewal(client, applicant)
    response = post(client, "/applicant/renewal/work",
                    work_data("1990-01-01", "1995-12-31", duties="安全检查\r\n隐患排查\t整改"), token)
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    assert db.session.scalar(sa.select(WorkHistory.duties).where(WorkHistory.end_date.is_not(None))) \
        == "安全检查\r\n隐患排查\t整改"



# --- generated input on every form and GET parameter ------------------------------------------------------------

CONTROL_CHARACTERS = "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f"
#: what a person, a script or a fuzzer may send: text with a control character (first: the simplest example is a
#: NUL), any unicode, huge and negative numbers, very long strings, and a few known troublemakers
ODD_TEXT = st.one_of(
    st.builds("{}{}{}".format, st.text(max_size=8), st.sampled_from(CONTROL_CHARACTERS), st.text(max_size=8)),
    st.text(max_size=30),
    st.text(st.sampled_from(CONTROL_CHARACTERS + "\t\r\n 0a测"), max_size=12),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(["2147483648", "-2147483649", "9223372036854775808", "99999999999999999999", "1" + "0" * 400]),
    st.builds(operator.mul, st.sampled_from(["x", "测", "😀", "9"]), st.integers(min_value=100, max_value=5000)),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "0000-00-00",
                     "9999-12-31", "2020-02-30", "１３９１２３４５６７８", "\u202e", "\ufeff", "a\u0301", "\U0010ffff",
                     "%_\\", "' OR 1=1 --", "<script>x</script>"]),
)
#: a record id in a URL: the test's own records (small ids), the edges of the database's integer, and worse
ID_TEXT = st.one_of(st.integers(min_value=-2, max_value=8).map(str),
                    st.integers(min_value=2**31 - 2, max_value=2**31 + 1).map(str),
                    st.integers(min_value=2**63 - 1, max_value=10**30).map(str), ODD_TEXT)
#: fast and the same on every run (CI), with the fixtures' setup shared by a test's examples
GENERATED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class IdleLogoutDraft(PersonalForm):
    """What the idle warning's logout posts: the step being typed (kept as a draft) and its fields."""

    draft_step = StringField()


class MaterialFields(ActionForm):
    """What the materials' upload and remove forms post besides the file: where to go back to, the file replaced."""

    next = StringField()
    replace = StringField()


@dataclass(frozen=True)
class Target:
    """One route of the public or applicant side and what it takes from the visitor besides its path arguments."""

    endpoint: str
    methods: tuple[str, ...] = ("GET",)
    form: type | None = None  #: posted with every field generated: a value that passes, or odd text
    args: tuple[str, ...] = ()  #: the GET parameters the view reads

    def __str__(self) -> str:
        return self.endpoint


ANONYMOUS = [
    Target("public.index", args=("next",)),
    Target("public.announcements", args=("page",)),
    Target("public.announcement"),
    Target("public.bodies", args=("q", "province", "body")),
    Target("public.form_pdf"),
    Target("public.regulation"),
    Target("public.register", args=("name", "number", "employer")),
    Target("public.verify", args=("serial",)),
    Target("public.verify_token"),
    Target("applicant.login", ("GET", "POST"), LoginForm, args=("next",)),
    Target("applicant.set_password", ("POST",), IdentityForm),
    Target("applicant.set_password_new", ("POST",), SetPasswordForm),
    Target("applicant.forgot_password", ("POST",), ForgotPasswordForm),
    Target("applicant.reset_password", ("GET", "POST"), SetPasswordForm),
]
APPLICANT = [
    Target("applicant.application_detail", args=("submitted",)),
    Target("applicant.application_pdf", args=("download",)),
    Target("applicant.application_withdraw", ("GET", "POST"), ActionForm),
    Target("applicant.change_password", ("POST",), ChangePasswordForm),
    Target("applicant.complete_profile", ("POST",), CompleteProfileForm),
    Target("applicant.update_id", ("POST",), UpdateIdForm),
    Target("applicant.renewal_personal", ("POST",), PersonalForm),
    Target("applicant.renewal_employer", ("POST",), EmployerForm),
    Target("applicant.renewal_education", ("POST",), EducationForm),
    Target("applicant.renewal_education_edit", ("GET", "POST"), EducationForm),
    Target("applicant.renewal_education_delete", ("POST",), ActionForm),
    Target("applicant.renewal_work", ("POST",), WorkForm),
    Target("applicant.renewal_work_edit", ("GET", "POST"), WorkForm),
    Target("applicant.renewal_work_delete", ("POST",), ActionForm),
    Target("applicant.renewal_submit", ("POST",), SubmitForm),
    Target("applicant.session_idle_logout", ("POST",), IdleLogoutDraft),
    # the other kinds' wizards (/applicant/apply/<kind>/…): the same step forms, and their own steps
    Target("applicant.apply_index"),
    Target("applicant.apply_start", ("POST",), ActionForm),
    Target("applicant.apply_personal", ("POST",), PersonalForm),
    Target("applicant.apply_exam", ("POST",), ExamForm),
    Target("applicant.apply_change", ("POST",), ChangeForm),
    Target("applicant.apply_cancellation", ("POST",), CancellationForm),
    Target("applicant.apply_employer", ("POST",), RoutedEmployerForm),
    Target("applicant.apply_education", ("POST",), EducationForm),
    Target("applicant.apply_education_edit", ("GET", "POST"), EducationForm),
    Target("applicant.apply_education_delete", ("POST",), ActionForm),
    Target("applicant.apply_education_next", ("POST",), ActionForm),
    Target("applicant.apply_work", ("POST",), WorkForm),
    Target("applicant.apply_work_edit", ("GET", "POST"), WorkForm),
    Target("applicant.apply_work_delete", ("POST",), ActionForm),
    Target("applicant.apply_work_next", ("POST",), ActionForm),
    Target("applicant.apply_materials"),
    Target("applicant.apply_materials_next", ("POST",), ActionForm),
    Target("applicant.apply_preview"),
    Target("applicant.apply_submit", ("POST",), SubmitForm),
    # 申请材料 (portal/applicant/materials.py): the files of the person's own application
    Target("applicant.materials"),
    Target("applicant.material_upload", ("POST",), MaterialFields),
    Target("applicant.material_remove", ("POST",), MaterialFields),
    Target("applicant.material_file", args=("thumbnail", "page", "download")),
]
#: routes that take nothing from the visitor but the session and its CSRF token
WITHOUT_INPUT = {"applicant.take_over", "applicant.session_keep_alive", "applicant.certificate_download",
                 "public.forms", "public.regulations", "applicant.home", "applicant.history",
                 "applicant.forgot_password_sent", "applicant.logout", "applicant.renewal_index",
                 "applicant.renewal_start", "applicant.renewal_education_next", "applicant.renewal_work_next",
                 "applicant.renewal_preview"}


def test_every_route_with_input_gets_generated_input(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith(("public.",
                                                                                             "applicant."))}
    assert routes - WITHOUT_INPUT == {target.endpoint for target in ANONYMOUS + APPLICANT}, \
        "a route was added or removed: list it in ANONYMOUS, APPLICANT or WITHOUT_INPUT"


def passing_values(person) -> dict[str, str]:
    """Values that pass, so that a generated value in one field is not always stopped by another."""
    return {**PERSONAL, **employer_data(), **ce_data(), **work_data("1990-01-01", "1995-12-31"), "kind": "holder",
            "name": person.name, "id_type": "resident_id", "id_number": person.id_number, "password": PASSWORD,
            "current_password": PASSWORD, "confirm": "y", "email": person.email or "", "category": "chemical",
            "employer_kind": "production"}


def field_names(form_class) -> list[str]:
    return sorted(name for name in dir(form_class) if isinstance(getattr(form_class, name), UnboundField))


def send_generated(app, client, target: Target, data, passing: dict[str, str], token: str,
                   known: dict[str, str] | None = None) -> None:
    """One request to ``target`` with generated path arguments (or the ``known`` real ones), GET parameters and
    form fields: never a server error."""
    [rule] = app.url_map.iter_rules(target.endpoint)

    def path_value(match) -> str:
        generated = ID_TEXT if match.group(1) == "id" else ODD_TEXT
        if match.group(2) in (known or {}):
            generated = st.one_of(st.just(known[match.group(2)]), generated)
        return quote(data.draw(generated, label=match.group(2)), safe="")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", path_value, rule.rule)
    method = data.draw(st.sampled_from(target.methods), label="method")
    query = {name: data.draw(ODD_TEXT, label=name) for name in target.args}
    if method == "GET":
        response = client.get(path, query_string=query)
    else:  # one or two fields get odd text, the others a value that passes (else the first field's rule is all
        # that is ever reached)
        fields = field_names(target.form)
        odd = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True),
                        label="odd fields") if fields else []
        form = {name: data.draw(ODD_TEXT, label=name) if name in odd else passing.get(name, "") for name in fields}
        response = client.post(path, query_string=query, data={**form, "csrf_token": token})
    assert response.status_code < 500, (method, path, response.status_code)


@pytest.fixture
def visitor(client, db):
    """Published content, a reset link, and this session at 设置密码 step 2 (a person without a password has been
    verified); the session's CSRF token, values that pass and the reset link's token."""
    db.session.add_all([Announcement(title="通知", body="内容"),
                        Document(kind=DocumentKind.FORM, title="延续注册申请表", template="renewal_blank.html"),
                        Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定", body="正文")])
    newcomer = make_person(name="周杰", password=None)
    make_certificate(newcomer)
    holder = make_person(name="李明")
    _person, reset_token = request_password_reset(holder.name, IdType.RESIDENT_ID, holder.id_number, holder.email,
                                                  utcnow(), timedelta(hours=1))
    db.session.commit()
    token = csrf_token(client, "/")
    response = post(client, "/applicant/set-password", {"kind": "holder", "name": newcomer.name,
                                                        "id_type": "resident_id", "id_number": newcomer.id_number},
                    token)
    assert response.headers["Location"].endswith("/applicant/set-password/password"), text(response)
    return token, passing_values(holder), reset_token


@pytest.mark.parametrize("target", ANONYMOUS, ids=str)
@GENERATED
@given(data=st.data())
def test_generated_input_never_fails_for_visitors(app, client, visitor, target, data):
    token, passing, reset_token = visitor
    send_generated(app, client, target, data, passing, token, known={"token": reset_token})


@pytest.fixture
def renewing(client, db):
    """An applicant with an open renewal filled up to step 4 (one CE entry, one work row). The ID number is a
    first-generation one, so that 更新身份证号 takes input too. The session's CSRF token and values that pass."""
    person = make_person(name="刘芳", id_number=FIRST_GENERATION_ID, birth_date=date(1964, 2, 20))
    make_certificate(person)
    db.session.commit()
    return open_renewal(client, person), passing_values(person)


@pytest.mark.parametrize("target", APPLICANT, ids=str)
@GENERATED
@given(data=st.data())
def test_generated_input_never_fails_for_an_applicant(app, client, renewing, target, data):
    token, passing = renewing
    send_generated(app, client, target, data, passing, token)



@pytest.mark.parametrize("next_path", ["/%0a", "/applicant/%0d%0aSet-Cookie:x=1", "/%00", "/%7f"])
def test_a_control_character_in_next_is_not_followed(client, next_path):
    """The language switch (and the login form's next) go to the home page instead of failing on the header."""
    response = client.get(f"/lang/en?next={next_path}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
