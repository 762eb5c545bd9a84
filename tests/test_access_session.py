"""The session pieces behind 「结束其他登录并继续」 and the idle warning, without a browser: why a session ended, the
policy's warning and touch interval, 继续, the idle logout (and its draft), a template rendered outside a request."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template_string

from portal.clock import utcnow
from portal.models import Application, AuditLog
from portal.services.accounts.logins import take_over_session, was_taken_over
from portal.services.accounts.sessions import SessionPolicy, end_session, ended_because, resume_session, start_session
from tests.factories import login_as
from tests.test_renewal_support import PERSONAL, csrf_token, fill_wizard, post, text

POLICY = SessionPolicy(idle_timeout=timedelta(minutes=30), warning=timedelta(minutes=5))


def test_why_a_session_ended(db, applicant):
    now = utcnow()
    token = start_session(applicant, now)
    assert ended_because(applicant, token, now, POLICY) is None
    assert ended_because(applicant, "another", now, POLICY) == "replaced"
    later = now + timedelta(minutes=31)
    assert ended_because(applicant, token, later, POLICY) == "idle"
    assert resume_session(applicant, token, later, POLICY) is False
    assert ended_because(applicant, token, later, POLICY) == "idle"  # still idle once the token is cleared
    end_session(applicant)  # 安全退出
    assert ended_because(applicant, token, later, POLICY) == "ended"


def test_the_policy_reads_its_settings_and_scales_to_short_timeouts():
    policy = SessionPolicy.from_config({"IDLE_TIMEOUT_MINUTES": 30, "IDLE_WARNING_MINUTES": 5})
    assert policy.warning == timedelta(minutes=5) and policy.touch_interval == timedelta(seconds=60)
    short = SessionPolicy.from_config({"IDLE_TIMEOUT_MINUTES": 0.2, "IDLE_WARNING_MINUTES": 5})
    assert short.warning == timedelta(seconds=6) and short.touch_interval == timedelta(seconds=1.2)


def test_taking_over_names_the_ended_session_by_a_digest(db, applicant):
    old = start_session(applicant, utcnow())
    new = take_over_session(applicant, utcnow(), ip="10.0.0.1")
    db.session.flush()
    assert new != old and applicant.session_token == new
    assert was_taken_over(applicant, old) and not was_taken_over(applicant, new)
    row = db.session.query(AuditLog).filter_by(action="account.session_taken_over").one()
    assert old not in str(row.data) and row.ip == "10.0.0.1"


def test_the_take_over_needs_a_fresh_ticket(client, db, applicant):
    assert "操作已过期" in text(client.post("/applicant/login/take-over", data={"csrf_token": csrf_token(client, "/")},
                                       follow_redirects=True))


def test_continue_extends_the_session_and_the_idle_logout_keeps_the_draft(app, client, db, applicant):
    login_as(client, applicant)
    fill_wizard(client)
    token = csrf_token(client, "/applicant/renewal/personal")

    db.session.refresh(applicant)
    applicant.last_seen_at = utcnow() - timedelta(minutes=27)
    db.session.commit()
    answer = client.post("/applicant/session/keep-alive", headers={"X-CSRFToken": token}).get_json()
    assert answer["remaining"] > 29 * 60  # 继续

    # another tab was active: the countdown's logout does not end the session
    answer = post(client, "/applicant/session/idle-logout", {"draft_step": "personal"}, token).get_json()
    assert answer["remaining"] > 29 * 60
    db.session.refresh(applicant)
    assert applicant.session_token is not None

    applicant.last_seen_at = utcnow() - timedelta(minutes=29, seconds=57)
    db.session.commit()
    typed = {**PERSONAL, "title": "正高级工程师", "major": "安全\x07工程"}
    answer = post(client, "/applicant/session/idle-logout", {**typed, "draft_step": "personal"}, token).get_json()
    assert answer == {"redirect": "/"}
    assert "您已因30分钟未操作自动退出，请重新登录。" in text(client.get("/"))
    db.session.expire_all()
    application = db.session.query(Application).one()
    assert application.draft["unsaved"]["personal"]["title"] == "正高级工程师"
    assert application.draft["unsaved"]["personal"]["major"] == "安全工程"  # control characters dropped
    assert application.draft["personal"]["title"] == "高级工程师"  # the saved step is unchanged
    db.session.refresh(applicant)
    assert applicant.session_token is None

    login_as(client, applicant)
    response = client.get("/applicant/renewal/personal")
    assert "已恢复您因长时间未操作自动退出前填写但未保存的内容" in text(response)
    assert 'value="正高级工程师"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(Application).one().draft["unsaved"] == {}  # shown once, then it is in the form


def test_templates_render_outside_a_request(app):
    """Mail and PDFs are rendered by workers and commands: the idle warning's context stays out of their way."""
    with app.app_context():
        assert render_template_string("{{ idle_session }}") == "None"
