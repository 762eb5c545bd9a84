"""The one transition table (portal/models/workflow.py): the status sets derived from it, the decisions the console
offers for each status and role, the actions the applicant is offered, and that a new transition is one entry plus
its function."""

from __future__ import annotations

import re

import pytest

from portal.clock import utcnow
from portal.models import Application, ApplicationEvent, ApplicationStatus, workflow
from portal.models.workflow import Actor, Transition
from portal.services.review import transitions
from tests.factories import login_as, make_application, make_certificate, make_person
from tests.test_reviewer_helpers import post, world

S = ApplicationStatus

#: what the console must offer: status → role → decision buttons, in order
CONSOLE = {
    S.SUBMITTED: {"reviewer": ["initial_pass", "return", "initial_reject"], "other_reviewer": [], "central": []},
    S.INITIAL_PASSED: {"reviewer": [], "other_reviewer": [], "central": ["approve", "refuse"]},
    **{status: {"reviewer": [], "other_reviewer": [], "central": []}
       for status in (S.RETURNED, S.INITIAL_REJECTED, S.APPROVED, S.REFUSED, S.WITHDRAWN)},
}
#: what the applicant is offered: status → transition names
APPLICANT = {
    S.DRAFT: {"submit", "withdraw"},
    S.SUBMITTED: {"withdraw"},
    S.RETURNED: {"resubmit", "withdraw"},
    S.INITIAL_PASSED: set(),
    S.INITIAL_REJECTED: set(),
    S.APPROVED: set(),
    S.REFUSED: set(),
    S.WITHDRAWN: set(),
}


def test_every_transition_has_its_function_and_nothing_else_does():
    assert set(transitions.FUNCTIONS) == set(workflow.TRANSITIONS_BY_NAME)


def test_status_sets_are_derived_from_the_table():
    assert {S.DRAFT, S.SUBMITTED, S.RETURNED, S.INITIAL_PASSED} == workflow.OPEN_STATUSES
    assert {S.INITIAL_REJECTED, S.APPROVED, S.REFUSED, S.WITHDRAWN, S.CLOSED} == workflow.FINAL_STATUSES
    assert {S.DRAFT, S.RETURNED} == workflow.EDITABLE_STATUSES
    assert {S.DRAFT, S.SUBMITTED, S.RETURNED} == workflow.WITHDRAWABLE_STATUSES
    assert str(workflow.status_in_sql(workflow.OPEN_STATUSES)) == (
        "status IN ('draft', 'submitted', 'returned', 'initial_passed')")
    # the one-open-application index is built from the same set
    index = next(ix for ix in Application.__table__.indexes if ix.name == "uq_applications_open_person")
    assert str(index.dialect_options["postgresql"]["where"]) == (
        f"{workflow.status_in_sql(workflow.OPEN_STATUSES)} AND filed_by_id IS NULL")


def test_reasons_are_required_exactly_where_the_table_says():
    assert {t.name for t in workflow.TRANSITIONS if t.reason_required} == {"return", "initial_reject", "refuse"}


@pytest.mark.parametrize("status", list(CONSOLE))
def test_console_offers_the_decisions_of_the_table(client, db, status):
    w = world(db)
    application = db.session.get(Application, w.application_a.id)
    application.status = status
    db.session.commit()
    for role, staff in (("reviewer", w.reviewer_a), ("other_reviewer", w.reviewer_b), ("central", w.central)):
        login_as(client, staff)
        response = client.get(f"/reviewer/applications/details/?id={application.id}")
        if role == "other_reviewer":
            assert response.status_code == 404  # another body's application does not exist for them
            continue
        page = response.get_data(as_text=True)
        offered = re.findall(r'data-decision="([a-z_]+)"', page)
        assert offered == CONSOLE[status][role], (status, role)
        expected = [t.name for t in transitions.available(application, staff=staff)]
        assert offered == expected
        client.delete_cookie("session")  # the next role in a session of its own


@pytest.mark.parametrize("status", list(APPLICANT))
def test_applicant_is_offered_the_actions_of_the_table(client, db, status):
    person = make_person(body_code="210000")
    make_certificate(person)
    application = make_application(person, status=status)
    db.session.commit()
    assert {t.name for t in transitions.available(application, person=person)} == APPLICANT[status]
    stranger = make_person(name="李四")
    assert transitions.available(application, person=stranger) == []
    login_as(client, person)
    page = client.get("/applicant/history").get_data(as_text=True)
    withdraw_link = f"/applicant/applications/{application.id}/withdraw"
    assert (withdraw_link in page) == ("withdraw" in APPLICANT[status])
    detail = client.get(f"/applicant/applications/{application.id}").get_data(as_text=True)
    assert ("修改并重新上报" in detail) == (status is S.RETURNED)


def test_a_new_transition_is_one_entry_and_its_function(client, db, monkeypatch):
    """重新审核 (a made-up transition): central staff reopen an application rejected at 初审. Declared in the table
    and given its function, it appears in the console and works, with history, audit row and notice."""
    reopen = Transition("reopen", frozenset({S.INITIAL_REJECTED}), S.SUBMITTED, Actor.CENTRAL, "重新审核",
                        notice="您的申请（申请编号 %(number)s）已重新进入初审。", mail=False, done="已重新审核。")
    monkeypatch.setattr(workflow, "TRANSITIONS", (*workflow.TRANSITIONS, reopen))
    monkeypatch.setitem(workflow.TRANSITIONS_BY_NAME, "reopen", reopen)

    def reopen_application(application, staff, now):
        return transitions._take("reopen", application, now, staff=staff)

    monkeypatch.setitem(transitions.FUNCTIONS, "reopen", reopen_application)

    w = world(db)
    transitions.initial_reject(db.session.get(Application, w.application_a.id), w.reviewer_a, "材料不全", utcnow())
    db.session.commit()
    login_as(client, w.central)
    page = client.get(f"/reviewer/applications/details/?id={w.application_a.id}").get_data(as_text=True)
    assert re.findall(r'data-decision="([a-z_]+)"', page) == ["reopen"]
    response = post(client, "/reviewer/applications/decide/reopen/",
                    {"reopen-id": w.application_a.id, "reopen-version": 3, "reopen-reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, w.application_a.id)
    assert application.status is S.SUBMITTED and application.last_reason is None
    assert [e.action for e in db.session.query(ApplicationEvent).filter_by(application_id=application.id)
            .order_by(ApplicationEvent.id)] == ["initial_reject", "reopen"]
    page = client.get(f"/reviewer/applications/details/?id={w.application_a.id}").get_data(as_text=True)
    assert "已重新审核。" in page


def test_the_current_reason_replaces_the_old_one(client, db):
    """退回 → 重新上报 → 初审通过: the detail page and the export show no stale return reason; the history keeps it."""
    w = world(db)
    application = db.session.get(Application, w.application_a.id)
    transitions.return_for_changes(application, w.reviewer_a, "请补充继续教育证明", utcnow())
    assert application.last_reason == "请补充继续教育证明"
    transitions.submit(application, application.person, {"person": {"name": "王建国"}}, utcnow())
    assert application.last_reason is None
    transitions.initial_pass(application, w.reviewer_a, utcnow())
    db.session.commit()
    login_as(client, w.reviewer_a)
    page = client.get(f"/reviewer/applications/details/?id={application.id}").get_data(as_text=True)
    kv = page.split('<table class="table table-sm table-bordered kv')[1].split("</table>")[0]
    assert "请补充继续教育证明" not in kv  # not as the current 理由
    history = page.split("审核记录")[1]
    assert "请补充继续教育证明" in history  # but in the record of decisions
    export = client.get("/reviewer/applications/export/csv/").get_data(as_text=True)
    assert "请补充继续教育证明" not in export
