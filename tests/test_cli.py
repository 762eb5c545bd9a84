"""The flask commands of PRODUCT.md's interface: import, create-staff, demo-data, synth."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    AuditLog,
    Certificate,
    ExamRecord,
    Person,
    Staff,
    StaffRole,
)
from portal.services.infrastructure.passwords import verify_password
from tests.test_imports import csv_bytes, registered_row


def test_import_command_loads_a_file(app, db, tmp_path):
    path = tmp_path / "registered.csv"
    path.write_bytes(csv_bytes([registered_row(1), registered_row(2)], bom=True))
    result = app.test_cli_runner().invoke(args=["import", "registered", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 2 条" in result.output
    assert db.session.scalar(select(func.count(Person.id))) == 2
    assert db.session.scalar(select(AuditLog.action)) == "import.registered"


def test_import_command_reports_bad_rows_and_loads_nothing(app, db, tmp_path):
    path = tmp_path / "registered.csv"
    path.write_bytes(csv_bytes([registered_row(1), registered_row(2).replace("化工安全", "乱填")]))
    result = app.test_cli_runner().invoke(args=["import", "registered", str(path)])
    assert result.exit_code == 1
    assert "第3行 category：专业类别不正确" in result.output
    assert "文件中的数据均未导入" in result.output
    assert db.session.scalar(select(func.count(Person.id))) == 0


def test_create_staff_reads_the_password_from_standard_input(app, db):
    result = app.test_cli_runner().invoke(args=["create-staff", "shenhe", "--role", "reviewer", "--body", "210000"],
                                          input="Strong2026pw\n")
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(select(Staff).where(Staff.username == "shenhe"))
    assert staff.role is StaffRole.REVIEWER and staff.body.code == "210000"
    assert staff.password_hash.startswith("$argon2id$")
    assert verify_password(staff.password_hash, "Strong2026pw")
    assert "Strong2026pw" not in result.output


def test_create_staff_refuses_a_weak_password_and_an_unknown_body(app, db):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-staff", "a", "--role", "reviewer", "--body", "210000"], input="short\n")
    unknown = runner.invoke(args=["create-staff", "b", "--role", "reviewer", "--body", "999"], input="Strong2026pw\n")
    central = runner.invoke(args=["create-staff", "c", "--role", "central"], input="Strong2026pw\n")
    assert weak.exit_code == 1 and "创建失败" in weak.output
    assert unknown.exit_code == 1 and "注册机构代码不存在" in unknown.output
    assert central.exit_code == 0
    assert db.session.scalars(select(Staff.username)).all() == ["c"]


@pytest.mark.parametrize("app_config", [{"UPLOAD_STORAGE": "database"}])  # the demo's scans: no files
def test_demo_data_covers_every_case_and_prints_logins(app, db):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "211322196402200016" in result.output  # the guide's sample number is the in-window engineer
    assert "shenhe_ln" in result.output and "zhongxin" in result.output
    statuses = set(db.session.scalars(select(Application.status)))
    assert statuses == set(ApplicationStatus)
    # an exam passer yet to set a password, and those of the 初始/逾期初始/重新注册 applicants
    assert db.session.scalar(select(func.count(ExamRecord.id))) == 1 + 3 * 6
    stages = {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED,
              ApplicationStatus.INITIAL_PASSED, ApplicationStatus.APPROVED, ApplicationStatus.REFUSED}
    for kind in ApplicationKind:  # one applicant at each stage of each kind (tests/test_console_kinds.py)
        held = set(db.session.scalars(select(Application.status).where(Application.kind == kind)))
        assert stages <= held, (kind, stages - held)
    assert db.session.scalar(select(func.count(Person.id)).where(func.length(Person.id_number) == 15)) == 1
    assert db.session.scalar(select(func.count(Person.id)).where(Person.email.is_(None))) >= 1
    again = app.test_cli_runner().invoke(args=["demo-data", "--if-empty"])
    assert "未加载演示数据" in again.output


def test_synth_inserts_persons_with_certificates(app, db):
    result = app.test_cli_runner().invoke(args=["synth", "--persons", "2500"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Person.id))) == 2500
    assert db.session.scalar(select(func.count(Certificate.id))) == 2500
    ids = db.session.scalars(select(Person.id_number)).all()
    assert len(set(ids)) == 2500
