"""延续注册: the renewal window and who may renew (guide 一.3): the rules' settings, the window's dates, eligibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ...i18n import lazy_gettext as _l
from ...models import (
    Certificate,
    CertificateStatus,
    IdType,
    Person,
)
from ...validators import (
    IdNumberError,
    birth_date_from_id,
)
from ..infrastructure.dates import add_months, age_on


@dataclass(frozen=True)
class RenewalRules:
    """The settings the rules depend on (PRODUCT.md "Rules")."""

    window_months: int = 3
    ce_hours_required: int = 48
    age_limit: int = 70

    @classmethod
    def from_config(cls, config) -> RenewalRules:
        return cls(window_months=config["RENEWAL_WINDOW_MONTHS"], ce_hours_required=config["CE_HOURS_REQUIRED"],
                   age_limit=config["AGE_LIMIT"])


# --- window and eligibility ------------------------------------------------------------------------------


@dataclass
class Eligibility:
    """Whether the person may submit a renewal today, and what the page tells them otherwise."""

    certificate: Certificate | None
    opens_on: date | None = None
    closes_on: date | None = None
    #: None when eligible; otherwise no_certificate, revoked, not_open, expired or age
    problem: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


def renewal_window_opens(valid_until: date, window_months: int) -> date:
    """The first day 延续注册 may be applied for: ``window_months`` before the certificate expires."""
    return add_months(valid_until, -window_months)


def renewal_window(certificate: Certificate, rules: RenewalRules) -> tuple[date, date]:
    """The first and last day on which a renewal may be submitted: the last months before expiry."""
    return renewal_window_opens(certificate.valid_until, rules.window_months), certificate.valid_until


def birth_date_of(person: Person) -> date | None:
    """The birth date on file, or the one in a resident ID number."""
    if person.birth_date:
        return person.birth_date
    if person.id_type is IdType.RESIDENT_ID:
        try:
            return birth_date_from_id(person.id_number)
        except IdNumberError:
            return None
    return None


def check_eligibility(person: Person, today: date, rules: RenewalRules) -> Eligibility:
    """延续注册 is open in the last ``window_months`` before the certificate expires, up to its expiry day, to a
    person who has not reached ``age_limit`` on the application date."""
    certificate = person.current_certificate
    if certificate is None:
        return Eligibility(None, problem="no_certificate",
                           message=_l("没有您的执业证注册信息，不能申请延续注册。"))
    opens_on, closes_on = renewal_window(certificate, rules)
    result = Eligibility(certificate, opens_on, closes_on)
    birth = birth_date_of(person)
    if certificate.status is CertificateStatus.REVOKED:
        result.problem, result.message = "revoked", _l("您的执业证已注销，不能申请延续注册。")
    elif birth is not None and age_on(birth, today) >= rules.age_limit:
        result.problem = "age"
        result.message = _l("您已年满%(limit)d周岁，按规定不能申请延续注册。", limit=rules.age_limit)
    elif today > closes_on:
        result.problem = "expired"
        result.message = _l("您的执业证已于%(date)s到期，不能再申请延续注册，需申请重新注册。",
                            date=closes_on.isoformat())
    elif today < opens_on:
        result.problem = "not_open"
        result.message = _l("延续注册只能在执业证有效期满前%(months)d个月内申请。您的执业证%(until)s到期，"
                            "延续注册将于%(opens)s开放。", months=rules.window_months,
                            until=closes_on.isoformat(), opens=opens_on.isoformat())
    return result
