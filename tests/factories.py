"""Factories for people, certificates, staff and applications, and ``login_as`` (a pytest plugin module)."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Body,
    Category,
    Certificate,
    EmployerKind,
    ExamRecord,
    IdType,
    Person,
    Staff,
    StaffRole,
)
from portal.services.accounts.sessions import start_session
from portal.services.infrastructure.dates import add_years
from portal.services.infrastructure.passwords import hash_password
from portal.validators import make_resident_id

PASSWORD = "Secret2026"
_serial = itertools.count(1)


def body(code: str) -> Body:
    return db.session.scalar(select(Body).where(Body.code == code))


def new_id_number(birth: date = date(1975, 5, 5), address: str = "211322") -> str:
    return make_resident_id(address, birth, next(_serial) % 999 + 1)


def make_person(*, name: str = "王建国", id_number: str | None = None, id_type: IdType = IdType.RESIDENT_ID,
                birth_date: date = date(1975, 5, 5), body_code: str = "210000", password: str | None = PASSWORD,
                email: str | None = "wang@example.com", category: Category | None = Category.CHEMICAL,
                employer_kind: EmployerKind | None = EmployerKind.PRODUCTION, **values) -> Person:
    """A person of the Liaoning body with a password set (commit before a request needs it)."""
    person = Person(name=name, id_type=id_type, id_number=id_number or new_id_number(birth_date),
                    birth_date=birth_date, gender="男", email=email, category=category,
                    employer_kind=employer_kind, body_id=body(body_code).id,
                    password_hash=hash_password(password) if password else None, **values)
    db.session.add(person)
    db.session.flush()
    return person


def make_certificate(person: Person, *, valid_until: date | None = None, days_left: int = 45,
                     category: Category = Category.CHEMICAL) -> Certificate:
    """A 5-year certificate of ``person`` expiring ``days_left`` days from today (inside the window by default)."""
    valid_until = valid_until or clock.today() + timedelta(days=days_left)
    certificate = Certificate(person=person, number=f"ZA{next(_serial):010d}", category=category,
                              body_id=person.body_id, valid_from=add_years(valid_until, -5),
                              valid_until=valid_until)
    db.session.add(certificate)
    db.session.flush()
    return certificate


def make_exam_record(*, name: str = "周杰", id_number: str | None = None, **values) -> ExamRecord:
    values.setdefault("exam_year", 2025)
    record = ExamRecord(name=name, id_type=IdType.RESIDENT_ID, id_number=id_number or new_id_number(),
                        qualification_no=f"KS{next(_serial):010d}", **values)
    db.session.add(record)
    db.session.flush()
    return record


def make_staff(username: str | None = None, *, role: StaffRole = StaffRole.REVIEWER, body_code: str = "210000",
               password: str = PASSWORD) -> Staff:
    if role is StaffRole.CENTRAL:
        body_code = "000000"
    staff = Staff(username=username or f"staff{next(_serial)}", name=username or "审核员", role=role,
                  body_id=body(body_code).id, password_hash=hash_password(password))
    db.session.add(staff)
    db.session.flush()
    return staff


def make_application(person: Person, *, status: ApplicationStatus = ApplicationStatus.SUBMITTED,
                     body_code: str | None = None) -> Application:
    """A renewal application put directly in ``status`` (for tests of what comes after)."""
    application = Application(person=person, certificate=person.current_certificate, kind=ApplicationKind.RENEWAL,
                              status=status, body_id=body(body_code).id if body_code else person.body_id,
                              draft={"completed": []})
    db.session.add(application)
    db.session.flush()
    if status is not ApplicationStatus.DRAFT:
        application.number = f"YX{clock.today():%Y}{application.id:08d}"
        application.submitted_at = utcnow()
        application.snapshot = {"person": {"name": person.name, "id_number": person.id_number}}
    db.session.flush()
    return application


def without_tokens(html: str) -> str:
    """A page without its CSRF tokens' values (the form fields' and the idle warning's meta tag), which may be
    signed afresh with the time: two renderings of a page compare equal without them (every token field names
    itself before its value: WTForms sorts the attributes, and the templates write them in that order)."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*|(name="csrf-token" content=")[^"]*', r"\1\2", html)


def login_as(client, account) -> None:
    """Log ``account`` (a Person or Staff) in on ``client`` without the login form; commits."""
    start_session(account, utcnow())
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = account.get_id()
        session["_fresh"] = True
        session.permanent = True


@pytest.fixture
def applicant(db):
    """A certificate holder inside the renewal window, password ``PASSWORD``, committed."""
    person = make_person()
    make_certificate(person)
    db.session.commit()
    return person
