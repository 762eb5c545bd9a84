"""Every console URL and action, for anonymous visitors, an applicant, a reviewer of body A, a reviewer of body B
and central staff. The URL list comes from the app's url_map, so a new console view cannot be forgotten: an
endpoint this file does not know how to call fails the test.

Expected: anonymous visitors and applicants are sent to the console login; reviewers get 403 on central-only
pages and actions; a reviewer's request for another body's record answers 404, changes nothing and leaves an
``access.denied`` audit row; switched-off Flask-Admin routes answer 404 for everyone; everything else works.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask import url_for
from pypdf import PdfWriter
from sqlalchemy import func, select

from portal import clock
from portal.models import (
    Announcement,
    Application,
    ApplicationStatus,
    AuditLog,
    Body,
    CalendarDay,
    CorrectionStatus,
    Document,
    DocumentKind,
    IdentityCorrection,
    OutboxState,
    Person,
    ReturnChecklistItem,
)
from portal.services.corrections import Scan, file_correction
from portal.services.infrastructure.outbox import queue_mail
from portal.services.registration import materials
from tests.factories import login_as, make_application, make_certificate, make_person
from tests.test_reviewer_helpers import BODY_A, BODY_B, audit_rows, csrf, post, text, world

#: endpoints whose request names one record (query ``id``, a form ``id`` or a prefixed one)
QUERY_ID = {"details_view", "edit_view", "pdf_view", "scan_view", "cancel_view"}
FORM_ID = {"delete_view", "reset_password", "unlock", "apply", "refuse", "claim", "release", "retry_view",
           "paper_received"}
#: endpoints naming an application (``id``) and one of its uploaded files (``m``): the materials' file and viewer
MATERIAL_ID = {"material_file_view", "material_viewer_view"}
#: actions reserved to central staff inside views reviewers may use
CENTRAL_ACTIONS = {"reviewer_corrections.apply", "reviewer_corrections.refuse"}
#: console endpoints tested elsewhere (the way in and out): tests/test_reviewer_login.py
AUTH_ENDPOINTS = {"reviewer_auth.login", "reviewer_auth.logout", "reviewer_auth.password"}
PDF = b"%PDF-1.4\n%fake scan\n"


def _one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF_PAGE = _one_page_pdf()  # an uploaded signed 申请表 of each application


def console_routes(app):
    """(endpoint, method) of every console route, from the url_map."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/reviewer") or rule.endpoint.endswith(".static") \
                or rule.endpoint in AUTH_ENDPOINTS:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append((rule.endpoint, method))
    # deletions last (delete_view, then the bulk delete action on the already deleted record)
    return sorted(routes, key=lambda route: (route[0].endswith((".delete_view", ".action_view")),
                                             route[0].endswith(".action_view"), route))


@pytest.fixture
def app_config():
    """The uploaded materials of the two applications in the database (nothing written to the instance folder)."""
    return {"UPLOAD_STORAGE": "database"}


@pytest.fixture
def setup(app, db):
    w = world(db)
    for person, staff in ((w.person_a, w.reviewer_a), (w.person_b, w.reviewer_b)):
        file_correction(person, staff, {"name": person.name + "某"}, reason="姓名录入错误", fax_date=clock.today(),
                        fax_pages=2, scan=Scan("fax.pdf", PDF), max_scan_bytes=10_000, now=w.central.created_at,
                        today=clock.today())
    db.session.add_all([Announcement(title="通知", body="内容"),
                        Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定", body="正文"),
                        CalendarDay(day=date(2027, 1, 1), is_workday=False, name="元旦"),
                        ReturnChecklistItem(text="申请表未加盖聘用单位公章")])
    failed_mail = queue_mail("wang@example.com", "password_changed", {"name": "王建国"})
    failed_mail.state, failed_mail.last_error = OutboxState.FAILED.value, "550 mailbox unavailable"
    db.session.commit()
    corrections = {c.person_id: c.id for c in db.session.scalars(select(IdentityCorrection))}
    body = {b.code: b.id for b in db.session.scalars(select(Body).where(Body.code.in_([BODY_A, BODY_B])))}
    w.targets = {  # view endpoint → (record of body A, record of body B)
        "reviewer_applications": (w.application_a.id, w.application_b.id),
        "reviewer_people": (w.person_a.id, w.person_b.id),
        "reviewer_corrections": (corrections[w.person_a.id], corrections[w.person_b.id]),
        "reviewer_bodies": (body[BODY_A], body[BODY_B]),
        "reviewer_announcements": (db.session.scalar(select(Announcement.id)),) * 2,
        "reviewer_documents": (db.session.scalar(select(Document.id)),) * 2,
        "reviewer_staff": (w.reviewer_a.id, w.reviewer_b.id),
        "reviewer_audit": (db.session.scalar(select(func.min(AuditLog.id))),) * 2,
        "reviewer_calendar": (db.session.scalar(select(CalendarDay.id)),) * 2,
        "reviewer_checklist": (db.session.scalar(select(ReturnChecklistItem.id)),) * 2,
        "reviewer_desk": (w.application_a.id, w.application_b.id),
        "reviewer_outbox": (failed_mail.id,) * 2,
    }
    w.versions = {w.application_a.id: w.application_a.version, w.application_b.id: w.application_b.version}
    w.people = (w.person_a.id, w.person_b.id)
    w.materials = {application.id: materials.upload(application, application.person, "signed_form", [PDF_PAGE],
                                                    application.submitted_at)[0].id
                   for application in (w.application_a, w.application_b)}
    db.session.commit()
    return w


def build_request(app, endpoint: str, method: str, record_id, person_id, w, central: bool):
    """The URL and form data that exercise ``endpoint`` on one record; fails for an endpoint it does not know."""
    view, name = endpoint.split(".") if "." in endpoint else (endpoint, "")
    args, data = {}, {}
    if name in QUERY_ID:
        args["id"] = record_id
    elif name in MATERIAL_ID:
        args.update(id=record_id, m=w.materials[record_id])
    elif name in FORM_ID:
        data = {"id": record_id, "reason": "核对不符"}
    elif name == "create_view":
        if view == "reviewer_corrections":
            args["person_id"] = person_id
            data = {"name": "新名字", "gender": "男", "birth_date": "1975-05-05", "id_type": "resident_id",
                    "id_number": "", "reason": "x", "fax_date": clock.today().isoformat(), "fax_pages": "1"}
    elif name == "decide":
        args["decision"] = "approve" if central else "initial_pass"
        data = {f"{args['decision']}-id": record_id, f"{args['decision']}-version": w.versions.get(record_id, 1)}
    elif name == "export":
        args["export_type"] = "csv"
    elif name in ("check", "run") and view == "reviewer_imports":
        data = {"kind": "bodies", "token": "0" * 32}  # no file uploaded: the form again, or 「已失效」
    elif name in ("confirm", "run") and view == "reviewer_desk":
        args["decision"] = "approve" if central else "initial_pass"
        data = {"ids": record_id, "confirmed": "1"}
    elif name == "action_view":
        data = {"action": "delete", "rowid": record_id}
    elif name == "ajax_lookup":
        args.update(name="body", query="x")
    elif name == "ajax_update":
        data = {"list_form_pk": record_id, "name": "x"}
    elif name not in ("index_view", "index", "data", "next_view", "summary"):
        pytest.fail(f"new console endpoint {endpoint}: add it to the authorization matrix")
    with app.test_request_context():
        url = url_for(endpoint, **args)
    return url, (data if method == "POST" else None)


def takes_record(name: str, view: str) -> bool:
    return name in QUERY_ID | FORM_ID | MATERIAL_ID | {"decide"} \
        or (name == "create_view" and view == "reviewer_corrections") \
        or (view == "reviewer_desk" and name in ("confirm", "run"))


def call(client, method, url, data, token):
    """The request, its body read to the end (a streamed export runs its query while it is read)."""
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token, **data})
    response.get_data()
    return response


def views_by_endpoint(app):
    return {view.endpoint: view for view in app.extensions["reviewer_console"]._views}


def denied_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "access.denied"))


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
def test_outsiders_are_sent_to_the_console_login(app, client, db, setup, who):
    if who == "applicant":
        login_as(client, make_person(name="张三"))
    token = csrf(client)
    routes = console_routes(app)
    assert len(routes) > 60
    for endpoint, method in routes:
        view = endpoint.split(".")[0]
        own = setup.targets.get(view, (None, None))[0]
        url, data = build_request(app, endpoint, method, own, setup.people[0], setup, central=False)
        response = call(client, method, url, data, token)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/reviewer/account/"), (method, url)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(IdentityCorrection)
                             .where(IdentityCorrection.status != CorrectionStatus.PENDING)) == 0


@pytest.mark.parametrize("who", ["reviewer_a", "reviewer_b", "central"])
def test_staff_matrix(app, client, db, setup, who):
    staff = getattr(setup, who)
    login_as(client, staff)
    token = csrf(client)
    views = views_by_endpoint(app)
    central = who == "central"
    own_index = {"reviewer_a": 0, "reviewer_b": 1, "central": 0}[who]
    problems = []
    for endpoint, method in console_routes(app):
        view_name, name = endpoint.split(".")
        view = views[view_name]
        targets = setup.targets.get(view_name, (None, None))
        cases = [(targets[own_index], setup.people[own_index], True)]
        if takes_record(name, view_name) and not central:
            cases.append((targets[1 - own_index], setup.people[1 - own_index], False))
        for record_id, person_id, own in cases:
            url, data = build_request(app, endpoint, method, record_id, person_id, setup, central)
            before = denied_count(db)
            response = call(client, method, url, data, token)
            status = response.status_code
            location = response.headers.get("Location", "")
            disabled = name in view.disabled_views()
            if not central and (getattr(view, "central_only", False) or (own and endpoint in CENTRAL_ACTIONS)):
                expected = 403
            elif disabled or not own:
                expected = 404
            else:
                expected = "ok"
            if expected == "ok":
                if status >= 400 or location.startswith("/reviewer/account/"):
                    problems.append(f"{method} {url}: {status} {location}, expected to work")
            elif status != expected:
                problems.append(f"{method} {url}: {status}, expected {expected}")
            elif not disabled and denied_count(db) != before + 1:
                problems.append(f"{method} {url}: no access.denied audit row")
    assert not problems, "\n".join(problems)

    # Nothing of the other body changed (central may act everywhere, and did).
    if not central:
        db.session.expire_all()
        other_app = setup.application_b if who == "reviewer_a" else setup.application_a
        other_person = setup.person_b if who == "reviewer_a" else setup.person_a
        db.session.refresh(other_app)
        db.session.refresh(other_person)
        assert other_app.status is ApplicationStatus.SUBMITTED
        assert not other_person.must_change_password
        pending = db.session.scalar(select(IdentityCorrection).where(IdentityCorrection.person_id == other_person.id))
        assert pending.status is CorrectionStatus.PENDING
        assert db.session.scalar(select(func.count()).select_from(IdentityCorrection)
                                 .where(IdentityCorrection.person_id == other_person.id)) == 1


def test_lists_exports_and_counts_show_only_the_reviewers_own_body(app, client, db, setup):
    login_as(client, setup.reviewer_a)
    own, other = setup.application_a, setup.application_b
    for url in ("/reviewer/applications/", "/reviewer/applications/export/csv/", "/reviewer/people/",
                "/reviewer/corrections/", f"/reviewer/applications/?search={setup.person_b.name}",
                f"/reviewer/people/?search={setup.person_b.id_number}"):
        page = client.get(url).get_data(as_text=True)
        assert other.number not in page and f">{setup.person_b.name}<" not in page, url
        assert setup.person_b.id_number[-4:] + "<" not in page and setup.person_b.id_number[-4:] + "\r" not in page
        if "search=" in url:
            assert "没有符合条件的记录" in page
    assert own.number in client.get("/reviewer/applications/").get_data(as_text=True)
    home = client.get("/reviewer/").get_data(as_text=True)
    assert 'data-count="submitted">1<' in home and 'data-count="corrections_pending">1<' in home

    login_as(client, setup.central)
    page = client.get("/reviewer/applications/").get_data(as_text=True)
    assert own.number in page and other.number in page
    assert Person  # noqa: B018 - imported for readers: persons are scoped by Person.body_id


@pytest.mark.parametrize("who", ["reviewer_a", "central"])
def test_a_draft_is_the_applicants_alone(client, db, who):
    """A draft (never submitted) opened by URL in the console: no detail, no PDF, no decision, not in the export —
    for a reviewer of the applicant's body and for central staff alike."""
    w = world(db)
    person = make_person(name="李明", body_code=BODY_A)
    make_certificate(person)
    draft = make_application(person, status=ApplicationStatus.DRAFT)
    db.session.commit()
    staff = getattr(w, who)
    login_as(client, staff)
    decision = "approve" if who == "central" else "initial_pass"
    fields = {f"{decision}-id": draft.id, f"{decision}-version": draft.version, f"{decision}-reason": "x"}
    for response in (client.get(f"/reviewer/applications/details/?id={draft.id}"),
                     client.get(f"/reviewer/applications/pdf/?id={draft.id}"),
                     post(client, f"/reviewer/applications/decide/{decision}/", fields)):
        page = text(response)
        assert response.status_code == 404, response.request.path
        assert "页面不存在" in page and person.id_number not in page and "申请详情" not in page
    export = client.get("/reviewer/applications/export/csv/").get_data(as_text=True)
    assert person.name not in export and w.person_a.name in export
    db.session.expire_all()
    assert db.session.get(Application, draft.id).status is ApplicationStatus.DRAFT
    assert not audit_rows(db, "application.view") and not audit_rows(db, "application.pdf")
