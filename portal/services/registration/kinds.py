"""Who may apply for which kind of registration today, and why not (RULES.md "Kinds of registration").

``check(kind, person, today, rules)`` answers for one kind with the reason shown when it is refused (as the renewal
window does); ``catalogue`` answers for every kind a person can start from the personal page's 功能目录. The wizard
steps of each kind are in ``SPECS``. 逾期初始注册 is not chosen by the applicant: ``check(INITIAL, …)`` says
``kind=LATE_INITIAL`` once the 初始注册 deadline has passed, and the application is made of that kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    ContinuingEducation,
    ExamRecord,
    Person,
)
from ..infrastructure.dates import add_years, age_on
from ..renewal.window import RenewalRules, birth_date_of, check_eligibility

K = ApplicationKind


# --- the settings ---------------------------------------------------------------------------------------------


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class LifeCycleRules:
    """The settings of RULES.md the kinds depend on (``portal/config.py``)."""

    renewal: RenewalRules = field(default_factory=RenewalRules)
    initial_years: int = 5
    legacy_qualified_before: date = date(2019, 3, 1)
    legacy_deadline: date = date(2024, 3, 1)
    late_initial_ce_hours: int = 48
    reregistration_ce_hours: int = 48
    ce_years: int = 5
    revocation_ban_years: int = 5
    category_change_registered_before: date = date(2019, 3, 1)
    period_years: int = 5

    @classmethod
    def from_config(cls, config) -> LifeCycleRules:
        return cls(renewal=RenewalRules.from_config(config),
                   initial_years=config["INITIAL_REGISTRATION_YEARS"],
                   legacy_qualified_before=_day(config["INITIAL_LEGACY_QUALIFIED_BEFORE"]),
                   legacy_deadline=_day(config["INITIAL_LEGACY_DEADLINE"]),
                   late_initial_ce_hours=config["LATE_INITIAL_CE_HOURS"],
                   reregistration_ce_hours=config["REREGISTRATION_CE_HOURS"],
                   ce_years=config["REREGISTRATION_CE_YEARS"],
                   revocation_ban_years=config["REVOCATION_BAN_YEARS"],
                   category_change_registered_before=_day(config["CATEGORY_CHANGE_REGISTERED_BEFORE"]),
                   period_years=config["REGISTRATION_PERIOD_YEARS"])


# --- the wizard steps of each kind ----------------------------------------------------------------------------

STEP_LABELS = {
    "personal": _l("个人基本信息"),
    "exam": _l("资格信息"),
    "change": _l("变更事项"),
    "cancellation": _l("注销原因"),
    "employer": _l("聘用单位信息"),
    "education": _l("继续教育信息"),
    "work": _l("工作经历"),
    "materials": _l("上传材料"),
    "preview": _l("预览"),
    "submit": _l("上报"),
}


@dataclass(frozen=True)
class KindSpec:
    kind: ApplicationKind
    #: the wizard's steps, in order (the navigator shows these)
    steps: tuple[str, ...]
    #: what the 功能目录 says the kind is for
    summary: object

    @property
    def label(self):
        return self.kind.label

    def step_labels(self) -> dict[str, object]:
        return {step: STEP_LABELS[step] for step in self.steps}


SPECS = {
    K.INITIAL: KindSpec(K.INITIAL, ("personal", "exam", "employer", "work", "materials", "preview", "submit"),
                        _l("考试合格后首次申请注册，取得执业证。")),
    K.LATE_INITIAL: KindSpec(K.LATE_INITIAL, ("personal", "exam", "employer", "education", "work", "materials",
                                              "preview", "submit"),
                             _l("取得资格证书超过规定期限后申请初始注册，需提供继续教育证明。")),
    K.RENEWAL: KindSpec(K.RENEWAL, ("personal", "employer", "education", "work", "preview", "submit"),
                        _l("执业证有效期满前申请延续注册，有效期延续5年。")),
    K.CHANGE: KindSpec(K.CHANGE, ("change", "employer", "materials", "preview", "submit"),
                       _l("变更聘用单位、专业类别，或聘用单位名称变更；执业证编号和有效期不变。")),
    K.REREGISTRATION: KindSpec(K.REREGISTRATION, ("personal", "employer", "education", "work", "materials",
                                                  "preview", "submit"),
                               _l("注册失效（到期未延续、注销等）后重新申请注册。")),
    K.CANCELLATION: KindSpec(K.CANCELLATION, ("cancellation", "materials", "preview", "submit"),
                             _l("退休、离职、不再从事安全生产工作等情形，申请注销注册。")),
}

#: the kinds the 功能目录 offers, in its order (逾期初始注册 is offered as 初始注册)
CATALOGUE = (K.INITIAL, K.RENEWAL, K.CHANGE, K.REREGISTRATION, K.CANCELLATION)

# --- 注销 grounds -----------------------------------------------------------------------------------------------

#: the holder's own reasons for 注销
HOLDER_REASONS = {
    "retired": _l("退休"),
    "left": _l("离职"),
    "not_safety": _l("不再从事安全生产工作"),
    "other": _l("其他"),
}
#: the grounds on which a registration body files a 注销 (RULES.md), Chinese text as stored
BODY_GROUNDS = {
    "death": _l("死亡"),
    "incapacity": _l("丧失民事行为能力"),
    "revoked": _l("注册被撤销"),
    "licence_withdrawn": _l("注册被吊销"),
    "criminal": _l("受到刑事处罚"),
    "employer": _l("聘用单位申请注销"),
    "other": _l("其他"),
}
#: the ground after which no new registration is accepted for ``revocation_ban_years``
BANNING_GROUND = "revoked"


# --- eligibility ----------------------------------------------------------------------------------------------


@dataclass
class Eligibility:
    """Whether ``person`` may start an application of ``kind`` today; ``reason`` says why not (or, when it may,
    what the applicant should know, e.g. that 逾期初始注册 applies)."""

    kind: ApplicationKind
    ok: bool
    reason: str = ""
    certificate: Certificate | None = None
    exam_record: ExamRecord | None = None
    #: 初始注册: the last day of the ordinary 初始注册 (later: 逾期)
    deadline: date | None = None
    #: the 继续教育 学时 the kind requires, counted over [ce_from, today]
    ce_hours: int = 0
    ce_from: date | None = None

    @property
    def message(self) -> str:
        return self.reason


def pending_filed_cancellation(person: Person) -> Application | None:
    """A 注销 a registration body has filed for the person and the center has not yet decided."""
    return db.session.scalar(select(Application).where(Application.person_id == person.id,
                                                       Application.filed_by_id.is_not(None),
                                                       Application.status.in_(OPEN_STATUSES)))


def exam_record_of(person: Person) -> ExamRecord | None:
    """The person's exam pass (the latest, if several): matched on 证件类型 and 证件号码, the source of truth."""
    return db.session.scalars(select(ExamRecord).where(ExamRecord.id_type == person.id_type,
                                                       ExamRecord.id_number == person.id_number)
                              .order_by(ExamRecord.exam_year.desc(), ExamRecord.id.desc()).limit(1)).first()


def qualified_on(record: ExamRecord) -> date:
    """The 资格证书 date: as imported, else 1 January after the exam year (certificates are issued then)."""
    return record.qualified_on or date(record.exam_year + 1, 1, 1)


def initial_deadline(record: ExamRecord, rules: LifeCycleRules) -> date:
    """The last day of the ordinary 初始注册: ``initial_years`` after the 资格证书 date; 资格证书 from before
    2019-03-01 had until 2024-03-01 (RULES.md)."""
    issued = qualified_on(record)
    ordinary = add_years(issued, rules.initial_years)
    if issued < rules.legacy_qualified_before:
        return max(ordinary, rules.legacy_deadline)
    return ordinary


def ce_hours(person: Person, since: date, until: date) -> int:
    """继续教育 学时 of courses that ended within [since, until]."""
    return sum(db.session.scalars(select(ContinuingEducation.hours).where(
        ContinuingEducation.person_id == person.id, ContinuingEducation.end_date >= since,
        ContinuingEducation.end_date <= until)))


def ban_ends(person: Person, rules: LifeCycleRules) -> date | None:
    """The day a 撤销 registration's ban ends, if the person's registration was 撤销 (a body's filed 注销 on that
    ground, confirmed by the center)."""
    cancellations = db.session.scalars(select(Application).where(
        Application.person_id == person.id, Application.kind == K.CANCELLATION,
        Application.status == ApplicationStatus.APPROVED).order_by(Application.decided_at.desc()))
    for application in cancellations:
        ground = ((application.draft or {}).get("cancellation") or {}).get("ground")
        if ground == BANNING_GROUND and application.decided_at is not None:
            return add_years(application.decided_at.date(), rules.revocation_ban_years)
    return None


def _too_old(person: Person, today: date, rules: LifeCycleRules) -> bool:
    birth = birth_date_of(person)
    return birth is not None and age_on(birth, today) >= rules.renewal.age_limit


def open_applications_of(person: Person) -> tuple[Application | None, Application | None]:
    """The person's own open application and a body's pending filed 注销, in one query."""
    return own_and_filed(db.session.scalars(select(Application).where(Application.person_id == person.id,
                                                                      Application.status.in_(OPEN_STATUSES))))


def own_and_filed(applications) -> tuple[Application | None, Application | None]:
    """Of a person's applications, the first open one of their own and the first open 注销 a body filed."""
    open_rows = [application for application in applications if application.status in OPEN_STATUSES]
    return (next((a for a in open_rows if a.filed_by_id is None), None),
            next((a for a in open_rows if a.filed_by_id is not None), None))


def _busy(kind: ApplicationKind, current: Application | None, filed: Application | None) -> str | None:
    """One open application per person, whatever the kind."""
    if filed is not None:
        return str(_l("注册机构已为您办理注销注册（申请编号 %(number)s），正在等待注册管理中心确认，"
                      "暂不能申请其他注册。", number=filed.number))
    if current is not None:
        if current.kind is kind or (kind is K.INITIAL and current.kind is K.LATE_INITIAL):
            return None  # the same kind: the wizard resumes it
        return str(_l("您有一份正在办理的%(kind)s申请，办结或撤回后才能申请%(other)s。",
                      kind=current.kind.label, other=kind.label))
    return None


def check(kind: ApplicationKind, person: Person, today: date, rules: LifeCycleRules, *,
          open_applications: tuple[Application | None, Application | None] | None = None) -> Eligibility:
    """Whether ``person`` may start (or go on with) an application of ``kind`` on ``today``
    (``open_applications``: ``open_applications_of(person)`` when the caller has it already)."""
    kind = K(kind)
    busy = _busy(kind, *(open_applications or open_applications_of(person)))
    if busy:
        return Eligibility(kind, False, busy)
    return _CHECKS[K.INITIAL if kind is K.LATE_INITIAL else kind](person, today, rules)


def _check_initial(person: Person, today: date, rules: LifeCycleRules) -> Eligibility:
    if person.certificates:
        return Eligibility(K.INITIAL, False, str(_l("您已取得执业证，不能再申请初始注册。执业证失效的，"
                                                    "请申请重新注册。")), certificate=person.current_certificate)
    record = exam_record_of(person)
    if record is None:
        return Eligibility(K.INITIAL, False, str(_l(
            "没有您的考试合格信息，不能申请初始注册。请核对登录所用证件是否与报考时一致，或联系注册机构。")))
    if _too_old(person, today, rules):
        return Eligibility(K.INITIAL, False, str(_l("您已年满%(limit)d周岁，按规定不能申请注册。",
                                                    limit=rules.renewal.age_limit)), exam_record=record)
    deadline = initial_deadline(record, rules)
    if today <= deadline:
        return Eligibility(K.INITIAL, True, str(_l("请在%(date)s前申请初始注册。", date=deadline.isoformat())),
                           exam_record=record, deadline=deadline)
    since = add_years(today, -rules.ce_years)
    return Eligibility(K.LATE_INITIAL, True, str(_l(
        "您取得资格证书已超过初始注册期限（%(date)s），需申请逾期初始注册，并提供近%(years)d年内不少于%(hours)d学时的"
        "继续教育证明。", date=deadline.isoformat(), years=rules.ce_years, hours=rules.late_initial_ce_hours)),
        exam_record=record, deadline=deadline, ce_hours=rules.late_initial_ce_hours, ce_from=since)


def _check_renewal(person: Person, today: date, rules: LifeCycleRules) -> Eligibility:
    renewal = check_eligibility(person, today, rules.renewal)
    reason = renewal.message if not renewal.ok else str(_l(
        "延续注册开放至%(date)s。", date=renewal.closes_on.isoformat()))
    return Eligibility(K.RENEWAL, renewal.ok, str(reason), certificate=renewal.certificate)


def _valid_certificate(person: Person, today: date, kind: ApplicationKind) -> tuple[Certificate | None, str]:
    certificate = person.current_certificate
    if certificate is None:
        return None, str(_l("没有您的执业证注册信息，不能申请%(kind)s。", kind=kind.label))
    if certificate.status is CertificateStatus.REVOKED:
        return certificate, str(_l("您的执业证已注销，不能申请%(kind)s；如需执业，请申请重新注册。", kind=kind.label))
    if certificate.status is CertificateStatus.EXPIRED or certificate.is_expired(today):
        return certificate, str(_l("您的执业证已于%(date)s到期，不能申请%(kind)s；如需执业，请申请重新注册。",
                                   date=certificate.valid_until.isoformat(), kind=kind.label))
    return certificate, ""


def _check_change(person: Person, today: date, rules: LifeCycleRules) -> Eligibility:
    certificate, problem = _valid_certificate(person, today, K.CHANGE)
    if problem:
        return Eligibility(K.CHANGE, False, problem, certificate=certificate)
    return Eligibility(K.CHANGE, True, str(_l("变更期间执业证显示为“变更中”，准予变更后恢复。")),
                       certificate=certificate)


def _check_reregistration(person: Person, today: date, rules: LifeCycleRules) -> Eligibility:
    certificate = person.current_certificate
    if certificate is None:
        return Eligibility(K.REREGISTRATION, False, str(_l(
            "没有您以往的注册信息，不能申请重新注册。考试合格后首次注册，请申请初始注册。")))
    if certificate.status is CertificateStatus.VALID and not certificate.is_expired(today):
        return Eligibility(K.REREGISTRATION, False, str(_l(
            "您的执业证仍在有效期内（至%(date)s），无需重新注册；可申请延续注册或变更注册。",
            date=certificate.valid_until.isoformat())), certificate=certificate)
    ban = ban_ends(person, rules)
    if ban is not None and today < ban:
        return Eligibility(K.REREGISTRATION, False, str(_l(
            "您的注册已被撤销，%(date)s前不能重新申请注册。", date=ban.isoformat())), certificate=certificate)
    if _too_old(person, today, rules):
        return Eligibility(K.REREGISTRATION, False, str(_l("您已年满%(limit)d周岁，按规定不能申请注册。",
                                                           limit=rules.renewal.age_limit)), certificate=certificate)
    since = add_years(today, -rules.ce_years)
    return Eligibility(K.REREGISTRATION, True, str(_l(
        "需提供近%(years)d年内不少于%(hours)d学时的继续教育证明。", years=rules.ce_years,
        hours=rules.reregistration_ce_hours)), certificate=certificate, exam_record=exam_record_of(person),
        ce_hours=rules.reregistration_ce_hours, ce_from=since)


def _check_cancellation(person: Person, today: date, rules: LifeCycleRules) -> Eligibility:
    certificate = person.current_certificate
    if certificate is None:
        return Eligibility(K.CANCELLATION, False, str(_l("没有您的执业证注册信息，无需注销。")))
    if certificate.status is CertificateStatus.REVOKED:
        return Eligibility(K.CANCELLATION, False, str(_l("您的执业证已注销。")), certificate=certificate)
    if certificate.status is CertificateStatus.EXPIRED or certificate.is_expired(today):
        return Eligibility(K.CANCELLATION, False, str(_l("您的执业证已于%(date)s到期，注册已失效，无需注销。",
                                                         date=certificate.valid_until.isoformat())),
                           certificate=certificate)
    return Eligibility(K.CANCELLATION, True, str(_l("注销经注册管理中心确认后，执业证不再有效。")),
                       certificate=certificate)


_CHECKS = {
    K.INITIAL: _check_initial,
    K.RENEWAL: _check_renewal,
    K.CHANGE: _check_change,
    K.REREGISTRATION: _check_reregistration,
    K.CANCELLATION: _check_cancellation,
}


def catalogue(person: Person, today: date, rules: LifeCycleRules, *,
              open_applications: tuple[Application | None, Application | None] | None = None) -> list[Eligibility]:
    """功能目录: every kind a person can start from the personal page, in order, each with whether it is open to
    this person today and why (not). 初始注册 turns into 逾期初始注册 after its deadline. (``open_applications``:
    ``open_applications_of(person)`` when the caller has it already.)"""
    open_applications = open_applications or open_applications_of(person)
    return [check(kind, person, today, rules, open_applications=open_applications) for kind in CATALOGUE]


def may_change_category(person: Person, certificate: Certificate, rules: LifeCycleRules) -> str | None:
    """变更专业类别 is for holders first registered before 2019-03-01, once (RULES.md); the reason when not.

    The first registration day is not stored (imported registrations carry only the current period), so a holder
    counts as registered before the cutoff when this system has never granted them a 初始/重新注册 and their
    current period began less than one registration period after the cutoff (it may be a renewal of an earlier
    registration)."""
    granted = db.session.scalar(select(Application.id).where(
        Application.person_id == person.id, Application.status == ApplicationStatus.APPROVED,
        Application.kind.in_((K.INITIAL, K.LATE_INITIAL, K.REREGISTRATION))).limit(1))
    cutoff = rules.category_change_registered_before
    if granted is not None or certificate.valid_from >= add_years(cutoff, rules.period_years):
        return str(_l("专业类别变更仅适用于%(date)s前取得注册的人员。", date=cutoff.isoformat()))
    earlier = db.session.scalars(select(Application).where(
        Application.person_id == person.id, Application.kind == K.CHANGE,
        Application.status == ApplicationStatus.APPROVED))
    if any("category" in (((a.draft or {}).get("change") or {}).get("types") or []) for a in earlier):
        return str(_l("专业类别只能变更一次，您已变更过。"))
    return None
