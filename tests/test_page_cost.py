"""The personal page's cost and the fixed cost of every request, cut (issue 10) without changing what a user gets:
the same applications and notices read in fewer statements, limits still applied wherever one is set."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask
from markupsafe import Markup

from portal.clock import utcnow
from portal.extensions import PortalLimiter
from portal.extensions import db as _db
from portal.models import Application, ApplicationKind, ApplicationStatus, Body, BodyKind, Notice, StaffRole
from portal.services.accounts.personal_notices import RECORDS_WITH_ACCOUNT, personal_records
from portal.services.registration import kinds
from tests.factories import login_as, make_application, make_staff, without_tokens


def _latest(person) -> Application | None:
    return _db.session.scalar(sa.select(Application).where(Application.person_id == person.id)
                             .order_by(Application.created_at.desc(), Application.id.desc()).limit(1))


def _columns(model, record) -> dict | None:
    """``record``'s columns of ``model`` with their types, read from an ORM object or from the personal page's plain
    rows alike (all of them, but the submitted form, which the page does not read)."""
    if record is None:
        return None
    names = [attribute.key for attribute in sa.inspect(model).column_attrs if attribute.key != "snapshot"]
    return {name: (type(getattr(record, name)), getattr(record, name)) for name in names}


def _aged(application: Application, days: int) -> Application:
    application.created_at = utcnow() - timedelta(days=days)
    return application


def _notices(person, count: int, application: Application | None = None) -> None:
    """``count`` stored notices, created a minute apart (two at the same instant, which the id orders)."""
    for index in range(count):
        _db.session.add(Notice(person_id=person.id, kind="returned", message=f"通知{index}",
                               application_id=application.id if application and index % 2 else None,
                               created_at=utcnow() - timedelta(minutes=index // 2)))
    _db.session.flush()


def _stored(person) -> list[Notice]:
    return list(_db.session.scalars(sa.select(Notice).where(Notice.person_id == person.id)
                                    .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(30)))


def _filed_cancellation(person, status: ApplicationStatus, days: int) -> Application:
    """A 注销 filed by the person's registration body."""
    application = Application(person=person, certificate=person.current_certificate, body_id=person.body_id,
                              kind=ApplicationKind.CANCELLATION, status=status, filed_by_id=make_staff().id,
                              created_at=utcnow() - timedelta(days=days), draft={})
    _db.session.add(application)
    _db.session.flush()
    return application


@pytest.mark.parametrize("history", [
    "none", "one draft", "approved then draft", "filed pending beside own", "filed refused after own",
    "only closed", "notices only", "a returned one with notices", "more notices than are shown"])
def test_one_statement_gives_the_latest_and_the_open_applications_and_the_notices_as_before(db, applicant,
                                                                                             history):
    if history == "one draft":
        make_application(applicant, status=ApplicationStatus.DRAFT)
    elif history == "notices only":
        _notices(applicant, 3)
    elif history == "a returned one with notices":
        _notices(applicant, 4, make_application(applicant, status=ApplicationStatus.RETURNED))
    elif history == "more notices than are shown":
        _aged(make_application(applicant, status=ApplicationStatus.APPROVED), 30)
        _notices(applicant, 35, make_application(applicant, status=ApplicationStatus.SUBMITTED))
    elif history == "approved then draft":
        _aged(make_application(applicant, status=ApplicationStatus.APPROVED), 400)
        _aged(make_application(applicant, status=ApplicationStatus.DRAFT), 1)
    elif history == "filed pending beside own":
        _aged(make_application(applicant, status=ApplicationStatus.SUBMITTED), 5)
        _filed_cancellation(applicant, ApplicationStatus.SUBMITTED, 2)
    elif history == "filed refused after own":  # the newest application is a closed one, not an open one
        _aged(make_application(applicant, status=ApplicationStatus.SUBMITTED), 5)
        _filed_cancellation(applicant, ApplicationStatus.REFUSED, 2)
    elif history == "only closed":
        _aged(make_application(applicant, status=ApplicationStatus.REFUSED), 30)
        _aged(make_application(applicant, status=ApplicationStatus.APPROVED), 3)
    db.session.commit()

    ways = [personal_records(applicant)]
    if db.engine.dialect.name == "postgresql":  # as the login check reads them with the account
        read = db.session.scalar(sa.select(RECORDS_WITH_ACCOUNT), {"person": applicant.id})
        ways.append(personal_records(applicant, read=read))
    for found in ways:
        assert _columns(Application, found.latest) == _columns(Application, _latest(applicant))
        assert ([_columns(Application, one) for one in found.open]
                == [_columns(Application, one) for one in kinds.open_applications_of(applicant)])
        assert ([_columns(Notice, one) for one in found.notices]
                == [_columns(Notice, one) for one in _stored(applicant)])
        assert [notice.text for notice in found.notices] == [notice.text for notice in _stored(applicant)]
        assert len(found.notices) == {"notices only": 3, "a returned one with notices": 4,
                                      "more notices than are shown": 30}.get(history, 0)
        if history == "filed refused after own":
            assert (found.latest.status is ApplicationStatus.REFUSED
                    and found.open[0].status is ApplicationStatus.SUBMITTED)


def test_the_personal_page_reads_the_database_in_one_statement_on_postgresql_two_on_sqlite(app, client, db,
                                                                                            applicant):
    make_application(applicant, status=ApplicationStatus.SUBMITTED)
    login_as(client, applicant)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    client.get("/applicant/")  # the process reads the bodies' names (kept_bodies)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/applicant/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200 and "已上报，等待注册机构初审" in page.get_data(as_text=True)
    # the account with its certificates (not its body); the applications and the notices, without the submitted
    # form: on PostgreSQL read with the account by the login check, on SQLite by a statement of the page's own
    assert "bodies" not in statements[0]
    separate = db.engine.dialect.name != "postgresql"
    assert [statement.split()[0].upper() for statement in statements] == ["SELECT"] * (2 if separate else 1)
    assert ("json_build_array" in statements[0]) is not separate
    read = statements[-1] if separate else statements[0].split("json_build_array", 1)[1]
    assert "snapshot" not in re.split(r"\sFROM\s", read)[0] and "draft" in read  # the columns the page gets


def _facts(html: str, term: str) -> list[str]:
    """The values of the page's ``<dt>term</dt><dd>…</dd>`` facts."""
    return re.findall(rf"<dt>{term}</dt><dd>([^<]*)</dd>", html)


def test_the_applicant_pages_show_body_names_as_the_process_keeps_them(app, client, db, applicant):
    """The personal page and 历史记录 show the person's, the certificate's and each application's body by the name
    the process keeps (``kept_bodies``): another process's rename shows once ``BODY_CHOICES_SECONDS`` passed, and a
    body too new to be kept is read at once."""
    make_application(applicant, status=ApplicationStatus.SUBMITTED)
    db.session.commit()
    app.config["BODY_CHOICES_SECONDS"] = 3600
    login_as(client, applicant)
    body = applicant.body
    named = body.name
    home = _page(client, "/applicant/")
    assert _facts(home, "注册机构") == [named, named]  # the person's; the certificate's
    history = _page(client, "/applicant/history")
    assert _facts(history, "注册机构") == [named] and f'<td data-label="受理注册机构">{named}</td>' in history

    body.name = "辽宁省注册机构（改名）"  # renamed by another process (the db fixture's app)
    new = Body(code="990001", name="新设注册机构", kind=BodyKind.ENTERPRISE, sort_order=999)
    db.session.add(new)
    db.session.flush()
    applicant.current_certificate.body_id = new.id  # a body this process has not kept yet
    db.session.commit()
    assert _facts(_page(client, "/applicant/"), "注册机构") == [named, "新设注册机构"]
    app.config["BODY_CHOICES_SECONDS"] = 0  # as when the seconds have passed
    assert _facts(_page(client, "/applicant/"), "注册机构") == ["辽宁省注册机构（改名）", "新设注册机构"]
    assert '<td data-label="受理注册机构">辽宁省注册机构（改名）</td>' in _page(client, "/applicant/history")


def test_the_login_check_leaves_the_body_out_and_person_body_still_loads_it(app, client, db, applicant):
    """The login check loads the account with its certificates, not its body; ``person.body`` still loads it where
    a page uses the ``Body`` itself (the contacts on the 结束其他登录 page, the correction procedure)."""
    from portal.auth import load_user

    login_as(client, applicant)
    with app.test_request_context():
        person = load_user(applicant.get_id())
        loaded = sa.inspect(person).dict
        assert "certificates" in loaded and "body" not in loaded
        assert person.body.code == "210000" and person.current_certificate.id == applicant.current_certificate.id


@pytest.mark.parametrize("role", [StaffRole.REVIEWER, StaffRole.CENTRAL])
def test_the_console_names_the_staff_members_body_without_loading_it(app, client, db, role):
    """The staff login check leaves the body out too; the console's header names it from ``kept_bodies``."""
    from portal.auth import load_user

    staff = make_staff("header_check", role=role)
    db.session.commit()
    login_as(client, staff)
    page = client.get("/reviewer/applications/").get_data(as_text=True)
    assert f'<span class="who">header_check · {staff.body.name}</span>' in page
    staff_id = staff.get_id()
    db.session.expunge_all()  # the login check's own object, not the one this test made
    with app.test_request_context():
        account = load_user(staff_id)  # (held: the session keeps its objects only while they are referenced)
        loaded = sa.inspect(account).dict
        assert "body" not in loaded and loaded["username"] == "header_check"


def _limited_app(**limiter_options) -> tuple[Flask, PortalLimiter, Blueprint]:
    """An app with a page in a blueprint, a page without limits and one with its own (Flask-Limiter knows views
    by their qualified names: each needs its own function)."""
    app = Flask(__name__)
    app.config.update(RATELIMIT_STORAGE_URI="memory://")
    limiter = PortalLimiter(key_func=lambda: "one-client", **limiter_options)

    def area():
        return "area"

    def plain():
        return "plain"

    def own():
        return "own"

    bp = Blueprint("area", __name__)
    bp.add_url_rule("/area", "page", area)
    app.add_url_rule("/plain", "plain", plain)
    app.add_url_rule("/own", "own", limiter.limit("1 per minute")(own))
    return app, limiter, bp


def test_a_page_without_limits_is_not_checked_and_keeps_no_limiter_state(app, client, applicant):
    from flask.globals import request_ctx

    app.config["RATELIMIT_ENABLED"] = True
    login_as(client, applicant)
    with client:
        assert client.get("/applicant/").status_code == 200
        assert not hasattr(request_ctx._get_current_object(), "_limiter_request_context")


@pytest.mark.parametrize("where", ["default", "application", "blueprint"])
def test_limits_checked_before_the_view_still_apply(where):
    options = {"default": {"default_limits": ["2 per minute"]},
               "application": {"application_limits": ["2 per minute"]}}.get(where, {})
    app, limiter, bp = _limited_app(**options)
    if where == "blueprint":
        limiter.limit("2 per minute")(bp)
    app.register_blueprint(bp)
    limiter.init_app(app)
    client = app.test_client()
    page = "/area" if where == "blueprint" else "/plain"
    assert [client.get(page).status_code for _ in range(3)] == [200, 200, 429]


def test_a_routes_own_limit_still_applies_without_other_limits():
    app, limiter, bp = _limited_app()
    app.register_blueprint(bp)
    limiter.init_app(app)
    client = app.test_client()
    assert [client.get("/own").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/plain").status_code for _ in range(3)] == [200, 200, 200]


def _page(client, path: str, **kwargs) -> str:
    """The page as the browser gets it, its CSRF tokens (signed with the time) left out."""
    response = client.get(path, **kwargs)
    assert response.status_code in (200, 404)
    return without_tokens(response.get_data(as_text=True))


def test_the_kept_parts_of_the_frame_give_the_pages_they_gave_before(app, client, applicant, time_machine):
    time_machine.move_to(utcnow(), tick=False)  # the idle warning's seconds left are the same in every rendering
    pages = ["/", "/bodies", "/no-such-page", "/applicant/"]
    seen = {}
    login_as(client, applicant)
    for language in ("zh", "en", "zh"):
        client.get(f"/lang/{language}")
        for path in pages:
            seen[language, path, "kept"] = _page(client, path)
    app.jinja_env.globals["kept"] = lambda name, caller: Markup(caller())  # noqa: S704 - rendered every time
    for language in ("zh", "en"):
        client.get(f"/lang/{language}")
        for path in pages:
            assert seen[language, path, "kept"] == _page(client, path), (language, path)
    assert "注册人员查询" in seen["zh", "/", "kept"] and "注册人员查询" not in seen["en", "/", "kept"]
    assert 'data-idle-continue' in seen["en", "/applicant/", "kept"]  # the applicant's frame has the idle warning
    assert 'data-idle-continue' not in seen["en", "/", "kept"]  # a public page has none


def test_the_kept_parts_follow_where_the_portal_is_mounted(client):
    assert '<a href="/bodies">' in _page(client, "/")
    mounted = _page(client, "/", base_url="http://localhost/portal")
    assert '<a href="/portal/bodies">' in mounted and '<a href="/bodies">' not in mounted
    assert '/portal/static/js/portal.js' in mounted


def test_kept_urls_are_the_ones_flask_builds_at_every_mount_point(app):
    fixed = sorted(rule.endpoint for rule in app.url_map.iter_rules() if not rule.arguments)
    assert "applicant.history" in fixed and "public.bodies" in fixed
    for root in ("", "/portal"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for _ in range(2):  # built, then kept
                for endpoint in fixed:
                    assert app.url_for(endpoint) == Flask.url_for(app, endpoint), endpoint
                assert app.url_for("static", filename="js/portal.js") == f"{root}/static/js/portal.js"
            assert app.url_for("applicant.history").startswith(f"{root}/applicant/")


def test_urls_with_arguments_anchors_or_hosts_are_built_every_time(app):
    with app.test_request_context("/applicant/history"):
        assert app.url_for("public.bodies", body="210000") == "/bodies?body=210000"
        assert app.url_for("public.bodies", body="110000") == "/bodies?body=110000"
        assert app.url_for(".history") == "/applicant/history"
        assert app.url_for("public.bodies", _anchor="list") == "/bodies#list"
        assert app.url_for("public.bodies", _external=True) == "http://localhost/bodies"
    with app.test_request_context("/", base_url="https://portal.example.cn/"):
        assert app.url_for("public.bodies", _external=True) == "https://portal.example.cn/bodies"
        assert app.url_for("public.bodies") == "/bodies"


def test_the_personal_pages_records_are_plain_rows_the_orm_does_not_track(db, applicant):
    """Read without the ORM's objects (issue 10): nothing enters the session, and the rows are not ORM-enabled."""
    _notices(applicant, 2, make_application(applicant, status=ApplicationStatus.RETURNED))
    db.session.commit()
    person = db.session.get(type(applicant), applicant.id)
    db.session.expunge_all()

    found = personal_records(person)

    assert found.latest is not None and len(found.notices) == 2
    assert not db.session.identity_map
    assert not any(isinstance(record, (Application, Notice)) for record in (found.latest, *found.notices))
