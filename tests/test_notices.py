"""Stored personal notices are translated when shown: the 公告信息 panel follows the reader's language."""

from __future__ import annotations

from portal.clock import utcnow
from portal.models import ApplicationStatus, Notice
from portal.services.review import transitions as applications
from tests.factories import login_as, make_application, make_staff


def test_a_returned_notice_reads_in_chinese_and_in_english(client, db, applicant):
    application = make_application(applicant, status=ApplicationStatus.SUBMITTED)
    reviewer = make_staff("reviewer_ln", body_code="210000")
    applications.return_for_changes(application, reviewer, "缺少继续教育证明", utcnow())
    db.session.commit()
    stored = db.session.query(Notice).filter_by(kind="returned").one()
    assert stored.params == {"number": application.number, "reason": "缺少继续教育证明。"}

    login_as(client, applicant)
    chinese = client.get("/applicant/").get_data(as_text=True)
    assert f"您的延续注册申请（申请编号 {application.number}）被退回修改，原因：缺少继续教育证明。" in chinese
    client.get("/lang/en")
    english = client.get("/applicant/").get_data(as_text=True)
    assert f"Your continuation registration application (no. {application.number}) was returned for changes" in english
    assert "Reason: 缺少继续教育证明。" in english  # what the reviewer wrote stays as written


def test_a_notice_stored_as_finished_text_is_shown_as_it_is(client, db, applicant):
    db.session.add(Notice(person_id=applicant.id, kind="legacy", message="旧系统迁移的提醒。", params=None))
    db.session.commit()
    login_as(client, applicant)
    client.get("/lang/en")
    assert "旧系统迁移的提醒。" in client.get("/applicant/").get_data(as_text=True)
