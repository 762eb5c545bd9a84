"""Synthetic persons with certificates for benchmarks (``flask --app wsgi synth --persons N``).

Bulk inserts through the Core (COPY on PostgreSQL), never one ORM object at a time: a million persons with their
certificates load in minutes. The numbers are valid resident IDs that no demo or test person uses (birth years
1950-1959 are reserved for synthetic data).
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select, text

from ... import clock
from ...clock import utcnow
from ...extensions import db
from ...models import Application, AuditLog, Body, BodyKind, Category, Certificate, Person
from ...validators import gender_from_id, make_resident_id
from ..infrastructure.dates import add_years

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文辉力斌宇浩凯鹏飞"
CATEGORIES = list(Category)
BATCH = 20_000


def synth_persons(count: int, seed: int = 2026) -> int:
    """Insert ``count`` persons, each with one certificate; returns the first person id used."""
    rng = random.Random(seed)
    query = select(Body.id, Body.code).where(Body.kind == BodyKind.PROVINCE)
    bodies = [(row.id, row.code) for row in db.session.execute(query)]
    first_id = (db.session.scalar(select(func.max(Person.id))) or 0) + 1
    first_cert = (db.session.scalar(select(func.max(Certificate.id))) or 0) + 1
    now = utcnow()
    today = clock.local_date(now)
    for start in range(0, count, BATCH):
        people, certificates = [], []
        for offset in range(start, min(start + BATCH, count)):
            pid = first_id + offset  # also the serial that makes the ID number unique
            body_id, code = bodies[offset % len(bodies)]
            number = _id_number(code, pid)
            until = today + timedelta(days=rng.randint(-400, 1800))
            category = CATEGORIES[offset % len(CATEGORIES)]
            people.append(dict(id=pid, name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                               gender=gender_from_id(number), birth_date=_birth(pid),
                               id_type="resident_id", id_number=number, category=category.value,
                               employer_kind="production", body_id=body_id, must_change_password=False,
                               failed_logins=0, created_at=now, updated_at=now))
            certificates.append(dict(id=first_cert + offset, person_id=pid, number=f"SY{pid:011d}",
                                     category=category.value, body_id=body_id, valid_from=add_years(until, -5),
                                     valid_until=until, status="valid", created_at=now, updated_at=now))
        _bulk_insert(Person.__table__, people)
        _bulk_insert(Certificate.__table__, certificates)
    _fix_sequences()
    return first_id


def synth_applications(submitted: int, initial_passed: int, seed: int = 2026) -> int:
    """One 延续注册 application for each of the first ``submitted + initial_passed`` persons holding a certificate
    and no application: ``submitted`` 已上报 then ``initial_passed`` 初审通过, 上报 over the last 90 days. Returns
    how many were added."""
    rng = random.Random(seed)
    now = utcnow()
    first_id = (db.session.scalar(select(func.max(Application.id))) or 0) + 1
    query = (select(Person.id, Person.body_id, Certificate.id.label("certificate_id"))
             .join(Certificate, Certificate.person_id == Person.id)
             .where(~select(Application.id).where(Application.person_id == Person.id).exists())
             .order_by(Person.id).limit(submitted + initial_passed))
    rows, added = [], 0
    for offset, found in enumerate(db.session.execute(query).all()):
        application_id = first_id + offset
        at = now - timedelta(seconds=rng.randint(0, 90 * 86400))
        status = "submitted" if offset < submitted else "initial_passed"
        rows.append(dict(id=application_id, number=f"YX{clock.local_date(at):%Y}{application_id:08d}",
                         person_id=found.id, certificate_id=found.certificate_id, kind="renewal", status=status,
                         body_id=found.body_id, draft={}, snapshot={}, submitted_at=at, version=1,
                         decided_at=None if status == "submitted" else at + timedelta(days=rng.randint(1, 20)),
                         created_at=at, updated_at=at))
        if len(rows) == BATCH:
            _bulk_insert(Application.__table__, rows)
            added, rows = added + len(rows), []
    if rows:
        _bulk_insert(Application.__table__, rows)
        added += len(rows)
    _fix_sequences(("applications",))
    return added


AUDIT_ACTIONS = ["login", "application.view", "application.export", "person.view", "review.pass", "review.return"]


def synth_audit(count: int, seed: int = 2026) -> None:
    """``count`` audit rows by a synthetic reviewer of each provincial body, spread over the last two years."""
    rng = random.Random(seed)
    bodies = list(db.session.scalars(select(Body.id).where(Body.kind == BodyKind.PROVINCE)))
    first_id = (db.session.scalar(select(func.max(AuditLog.id))) or 0) + 1
    now = utcnow()
    for start in range(0, count, BATCH):
        rows = []
        for offset in range(start, min(start + BATCH, count)):
            action = AUDIT_ACTIONS[offset % len(AUDIT_ACTIONS)]
            rows.append(dict(id=first_id + offset, created_at=now - timedelta(seconds=rng.randint(0, 730 * 86400)),
                             actor_kind="staff", actor_label=f"synth{offset % 97}", action=action,
                             target_type="Application", target_id=offset, body_id=bodies[offset % len(bodies)],
                             summary=f"合成审计记录 {action} #{offset}"))
        _bulk_insert(AuditLog.__table__, rows)
    _fix_sequences(("audit_log",))


def _birth(serial: int) -> date:
    return date(1950, 1, 1) + timedelta(days=(serial // 999) % 3650)


def _id_number(province_code: str, serial: int) -> str:
    prefix = "65" if province_code.startswith("66") else province_code[:2]  # 兵团 people hold Xinjiang IDs
    return make_resident_id(prefix + "0101", _birth(serial), serial % 999 + 1)


def _bulk_insert(table, rows: list[dict]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        connection.execute(insert(table), rows)


def _copy(connection, table, rows: list[dict]) -> None:
    """PostgreSQL COPY through psycopg 3: an order of magnitude faster than INSERTs."""
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(row[column]) for column in columns) + "\n")
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _fix_sequences(tables: tuple[str, ...] = ("people", "certificates")) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                    f"(SELECT max(id) FROM {table}))"))
