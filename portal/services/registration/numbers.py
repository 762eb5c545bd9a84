"""执业证编号 (RULES.md, *setting*): ``CERTIFICATE_NUMBER_PREFIX`` (ZA) + the 4-digit year of approval + the
2-digit province + a 6-digit sequence per year and province, e.g. ``ZA202621000001``.

The sequence is a row per prefix taken with one UPDATE … RETURNING (the row lock makes two approvals at once wait
for each other instead of sharing a number); a number already held by an imported certificate is skipped.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Body, BodyKind, Certificate, CertificateSequence
from .routing import province_code


def province_digits(credit_code: str | None, body: Body | None) -> str:
    """The two digits of the province: the employer's (from its credit code), else a provincial body's, else 00."""
    code = province_code(credit_code)
    if code is None and body is not None and body.kind is BodyKind.PROVINCE:
        code = body.code
    return code[:2] if code else "00"


def _take(prefix: str) -> int:
    taken = db.session.execute(update(CertificateSequence).where(CertificateSequence.prefix == prefix)
                               .values(last=CertificateSequence.last + 1)
                               .returning(CertificateSequence.last)).scalar()
    if taken is not None:
        return taken
    try:
        with db.session.begin_nested():
            db.session.add(CertificateSequence(prefix=prefix, last=1))
        return 1
    except IntegrityError:  # another approval created the row first
        return _take(prefix)


def next_certificate_number(year: int, province: str) -> str:
    """A new 执业证编号 for an approval in ``year`` in ``province`` (two digits)."""
    prefix = f"{current_app.config['CERTIFICATE_NUMBER_PREFIX']}{year:04d}{province}"
    while True:
        number = f"{prefix}{_take(prefix):06d}"
        if db.session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
