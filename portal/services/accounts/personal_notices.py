"""The 公告信息 panel of the personal page (guide 三): reminders computed from the person's records, then the
stored notices (portal.models.Notice), newest first.

Computed: a temporary password to change, an incomplete profile, the certificate's expiry and whether the renewal
window (``window_months`` before expiry) is open or when it opens, 重新注册 once expired, the state of the latest
application when nothing was stored for it. The renewal window is the one renewal.py applies.

``certificate_standing`` is the certificate's 状态 the personal page shows (有效 / 即将到期 / 已过期 / 已注销),
decided from the expiry date and today's date; the expiry reminder follows the same rule.

``personal_records`` reads, in one statement, what the personal page needs of the person's records: the latest
application (for this panel), the open ones (for the 功能目录) and the stored notices.
"""

from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Enum, Integer, String, Text, bindparam, cast, false, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.expression import ScalarSelect

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import OPEN_STATUSES, Application, ApplicationStatus, Certificate, CertificateStatus, Notice, Person
from ...models.accounts import notice_text
from ...models.base import UTCDateTime
from ...models.certificates import CertificateStanding
from ..registration import kinds
from ..renewal.window import renewal_window_opens

#: How a stored notice's kind is shown (colour of the bar beside it).
LEVELS = {
    "returned": "warning", "temporary_password": "warning", "profile_incomplete": "warning",
    "initial_rejected": "error", "refused": "error",
    "approved": "success", "initial_passed": "success", "identity_corrected": "success", "id_upgraded": "success",
}
#: Applications whose reason the applicant must read.
WITH_REASON = {ApplicationStatus.RETURNED, ApplicationStatus.INITIAL_REJECTED, ApplicationStatus.REFUSED}
MAX_STORED = 30


def _columns(model, fields: tuple[str, ...]) -> list:
    """The table columns of ``model``'s mapped attributes ``fields``: a statement of them is plain SQL to
    SQLAlchemy (of the attributes themselves, the ORM's, which loads each row through its own machinery)."""
    attributes = sa_inspect(model).column_attrs
    return [attributes[name].columns[0] for name in fields]


def _record_of(model, name: str, *, without: tuple[str, ...] = (), **members) -> type:
    """A named tuple of ``model``'s mapped columns (but ``without``), in the mapper's order: a row the personal page
    reads as it would read the model's object. ``members``: properties of the model it keeps."""
    fields = tuple(attribute.key for attribute in sa_inspect(model).column_attrs if attribute.key not in without)
    doc = f"A {model.__name__} read as a plain row: {', '.join(fields)}."
    return type(name, (namedtuple(name, fields),), {"__slots__": (), "__doc__": doc, **members})


#: The personal page's records as plain rows, not ORM objects: building the ORM's objects (their state, the
#: identity map) cost as much CPU as running the statement (~0.2 ms, ~6 % of the page; issue 10). An application
#: without its submitted form (``snapshot``, kilobytes of JSON the page never reads; its ``draft`` tells 继续办理
#: which step to open); a notice with its ``text``, as ``Notice.text`` gives it.
ApplicationRecord = _record_of(Application, "ApplicationRecord", without=("snapshot",))
NoticeRecord = _record_of(Notice, "NoticeRecord",
                          text=property(lambda notice: notice_text(notice.message, notice.params),
                                        doc="The notice in the reader's language."))


@dataclass(frozen=True)
class PersonalRecords:
    """The person's records the personal page reads (``personal_records``)."""

    #: the newest application, whatever its state (the panel shows its current state)
    latest: ApplicationRecord | None
    #: as ``kinds.open_applications_of`` gives them: the person's own open application, a body's pending filed 注销
    open: tuple[ApplicationRecord | None, ApplicationRecord | None]
    #: the stored notices, newest first (at most ``MAX_STORED``)
    notices: list[NoticeRecord]
    #: the applications read, by id
    applications: dict[int, ApplicationRecord]

    def application(self, application_id: int):
        """An application a notice is about: one read with the records, else the ORM's (an older, closed one)."""
        found = self.applications.get(application_id)
        return found if found is not None else db.session.get(Application, application_id)


#: The personal page's statement, built once: building a statement and its cache key again for every page took
#: as much CPU as running it (~0.3 ms of the page; issue 10). ``:person`` is the person's id.
_APPLICATIONS, _NOTICES = Application.__table__.c, Notice.__table__.c
_NEWEST_FIRST = (_APPLICATIONS.created_at.desc(), _APPLICATIONS.id.desc())
_LATEST_ID = (select(_APPLICATIONS.id).where(_APPLICATIONS.person_id == bindparam("person"))
              .order_by(*_NEWEST_FIRST).limit(1).scalar_subquery())
#: open: one comparison per open state (``status IN (…)`` of a list is expanded into the SQL at every execution)
_OPEN = tuple(_APPLICATIONS.status == status for status in sorted(OPEN_STATUSES))
_LATEST_AND_OPEN = (select(*_columns(Application, ApplicationRecord._fields))
                    .where(_APPLICATIONS.person_id == bindparam("person"),
                           or_(*_OPEN, _APPLICATIONS.id == _LATEST_ID))
                    .order_by(*_NEWEST_FIRST)).subquery("application")
_STORED_NOTICES = (select(*_columns(Notice, NoticeRecord._fields)).where(_NOTICES.person_id == bindparam("person"))
                   .order_by(_NOTICES.created_at.desc(), _NOTICES.id.desc()).limit(MAX_STORED)).subquery("notice")
#: The latest and open applications and the stored notices in one statement, side by side: a full join on false
#: gives each application a row without a notice and each notice a row without an application (each statement
#: costs the worker ~0.3 ms of CPU, whatever it reads; issue 10). Each side is ordered as its own query orders it.
_RECORDS = (select(*_LATEST_AND_OPEN.c, *_STORED_NOTICES.c)
            .select_from(_LATEST_AND_OPEN.join(_STORED_NOTICES, false(), full=True))
            .order_by(_LATEST_AND_OPEN.c.created_at.desc(), _LATEST_AND_OPEN.c.id.desc(),
                      _STORED_NOTICES.c.created_at.desc(), _STORED_NOTICES.c.id.desc()))
_SPLIT = len(ApplicationRecord._fields)


def personal_records(person: Person, read=None) -> PersonalRecords:
    """The person's latest application, their open ones and their stored notices, in one statement (two fewer
    than the panel's, the 功能目录's and the notices' own: issue 10). ``read``: the same records as the login check
    read them with the account (``RECORDS_WITH_ACCOUNT``), when it did: no statement then."""
    if read is not None:
        read_applications, read_notices = json.loads(read)
        applications = [ApplicationRecord._make(_converted(row, _APPLICATION_TYPES)) for row in read_applications or ()]
        notices = [NoticeRecord._make(_converted(row, _NOTICE_TYPES)) for row in read_notices or ()]
    else:
        applications, notices = [], []
        for row in db.session.execute(_RECORDS, {"person": person.id}):
            if row[0] is not None:
                applications.append(ApplicationRecord._make(row[:_SPLIT]))
            if row[_SPLIT] is not None:
                notices.append(NoticeRecord._make(row[_SPLIT:]))
    return PersonalRecords(latest=applications[0] if applications else None,
                           open=kinds.own_and_filed(applications), notices=notices,
                           applications={application.id: application for application in applications})


def _as_json(records, *order) -> ScalarSelect:
    """``records``' rows as one JSON array of arrays, in ``order`` (NULL when there is none)."""
    return select(func.json_agg(aggregate_order_by(func.json_build_array(*records.c), *order))).scalar_subquery()


#: The personal page's records as one value, for the login check to read with the account on PostgreSQL
#: (``auth.read_with_account``): the page then runs one statement, not two (each costs the worker ~0.15 ms of CPU
#: beside what it reads, and the database its own round trip; issue 10). ``[applications, notices]``, each row an
#: array of ``ApplicationRecord``'s or ``NoticeRecord``'s fields, ordered as ``_RECORDS`` orders them; the values
#: as JSON gives them (``_converted`` makes them the row's types). As text: the login check's rows are told apart
#: by their values, and a parsed document is not hashable. ``:person`` is the person's id.
RECORDS_WITH_ACCOUNT = cast(func.json_build_array(
    _as_json(_LATEST_AND_OPEN, _LATEST_AND_OPEN.c.created_at.desc(), _LATEST_AND_OPEN.c.id.desc()),
    _as_json(_STORED_NOTICES, _STORED_NOTICES.c.created_at.desc(), _STORED_NOTICES.c.id.desc())), Text)


def _from_json(column):
    """How a JSON value of ``column`` becomes what the column reads as: a timestamp from its ISO text, an enum's
    member from its code; numbers, text, booleans and JSON documents as they are."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return kind.enum_class
    if isinstance(kind, (Integer, String, Boolean, JSON)):
        return None
    raise TypeError(f"no JSON reading of {column} ({kind!r})")  # a new column: say how it reads


def _converted(values: list, types: tuple) -> list:
    """A JSON row's values as its columns read (``types``: each column's ``_from_json``)."""
    return [value if value is None or convert is None else convert(value)
            for value, convert in zip(values, types, strict=True)]


_APPLICATION_TYPES = tuple(_from_json(column) for column in _columns(Application, ApplicationRecord._fields))
_NOTICE_TYPES = tuple(_from_json(column) for column in _columns(Notice, NoticeRecord._fields))


@dataclass(frozen=True)
class PersonalNotice:
    """One line of the panel. ``link`` is an endpoint name the template links to when it exists."""

    kind: str
    level: str
    message: str
    at: datetime | None = None
    reason: str | None = None
    link: str | None = None
    link_text: str | None = None
    #: about a state the application has left (「请修改后重新上报」 after 准予注册), or an older notice of the same
    #: state: shown folded under 历史通知, not among the current ones
    superseded: bool = False


def certificate_standing(certificate: Certificate, today: date, window_months: int) -> CertificateStanding:
    """The certificate's 状态 as the applicant is shown it on ``today`` (a day in the registry's time zone):
    a stored status other than 有效 (已注销 …) as it is; otherwise 已过期 after the expiry day, 即将到期 from the
    day the renewal window opens (``window_months`` before expiry) up to and including the expiry day, else 有效."""
    if certificate.status is not CertificateStatus.VALID:
        return CertificateStanding(certificate.status.value)
    if certificate.is_expired(today):
        return CertificateStanding.EXPIRED
    if today >= renewal_window_opens(certificate.valid_until, window_months):
        return CertificateStanding.EXPIRING
    return CertificateStanding.VALID


def certificate_notice(person: Person, today: date, window_months: int) -> PersonalNotice | None:
    """Expiry of the current certificate: window not yet open (when it opens), open, or expired (重新注册); the
    same rule as the 状态 shown beside it (``certificate_standing``)."""
    certificate = person.current_certificate
    if certificate is None:
        return None
    until = certificate.valid_until.isoformat()  # yyyy-MM-dd in every language
    standing = certificate_standing(certificate, today, window_months)
    if standing is CertificateStanding.REVOKED:
        return PersonalNotice("certificate_revoked", "error",
                              str(_l("您的执业证（编号 %(number)s）已注销。", number=certificate.number)))
    if standing is CertificateStanding.EXPIRED:
        return PersonalNotice("certificate_expired", "error",
                              str(_l("您的执业证（编号 %(number)s）已于 %(date)s 过期，不能再申请延续注册，"
                                     "需要申请重新注册。请与您的注册机构联系。",
                                     number=certificate.number, date=until)))
    opens = renewal_window_opens(certificate.valid_until, window_months)
    if standing is CertificateStanding.VALID:
        return PersonalNotice("renewal_not_open", "info",
                              str(_l("您的执业证（编号 %(number)s）有效期至 %(date)s。"
                                     "延续注册须在有效期满前%(months)d个月内申请，将于 %(opens)s 开放。",
                                     number=certificate.number, date=until,
                                     months=window_months, opens=opens.isoformat())))
    days = (certificate.valid_until - today).days
    return PersonalNotice("renewal_open", "warning",
                          str(_l("您的执业证（编号 %(number)s）将于 %(date)s 到期（还剩%(days)d天），"
                                 "现已可以申请延续注册，请在到期前完成。",
                                 number=certificate.number, date=until, days=days)),
                          link="applicant.renewal_index", link_text=str(_l("延续注册")))


#: The latest application's state as the panel words it (``what``: the kind, ``number``: its number); a message is
#: made only for the state shown (making all seven for every page cost more than the panel's query; issue 10).
_STATE_MESSAGES = {
    ApplicationStatus.DRAFT: lambda what, number: _l(
        "您有一份尚未上报的%(what)s申请（填写中），请继续填写并上报。", what=what),
    ApplicationStatus.SUBMITTED: lambda what, number: _l(
        "您的%(what)s申请（编号 %(number)s）已上报，等待注册机构初审。", what=what, number=number),
    ApplicationStatus.INITIAL_PASSED: lambda what, number: _l(
        "您的%(what)s申请（编号 %(number)s）已通过初审，等待注册管理中心审批。", what=what, number=number),
    ApplicationStatus.RETURNED: lambda what, number: _l(
        "您的%(what)s申请（编号 %(number)s）已被退回修改，请按退回原因修改后重新上报。", what=what, number=number),
    ApplicationStatus.INITIAL_REJECTED: lambda what, number: _l("您的%(what)s申请（编号 %(number)s）初审不通过。",
                                                                what=what, number=number),
    ApplicationStatus.APPROVED: lambda what, number: _l("您的%(what)s申请（编号 %(number)s）已准予注册。",
                                                        what=what, number=number),
    ApplicationStatus.REFUSED: lambda what, number: _l("您的%(what)s申请（编号 %(number)s）不予注册。",
                                                       what=what, number=number),
}


def _application_notice(application: ApplicationRecord, stored: set[tuple[int | None, str]]) -> PersonalNotice | None:
    """The latest application's state, unless a notice about that state was stored already."""
    status = application.status
    message = _STATE_MESSAGES.get(status)
    if message is None or (application.id, status.value) in stored:
        return None
    level = LEVELS.get(status.value, "info")
    editable = status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
    return PersonalNotice(f"application_{status.value}", level,
                          str(message(application.kind.label, application.number or "")),
                          at=application.decided_at or application.submitted_at or application.updated_at,
                          reason=application.last_reason if status in WITH_REASON else None,
                          link="applicant.renewal_index" if editable else "applicant.history",
                          link_text=str(_l("继续填写") if editable else _l("历史记录")))


def personal_notices(person: Person, today: date, window_months: int, *,
                     records: PersonalRecords | None = None) -> list[PersonalNotice]:
    """Everything the 公告信息 panel shows for ``person`` on ``today``, current first: what must be done before
    anything else (a temporary password, an incomplete profile), the latest application's current state, the
    certificate's expiry, the other stored notices that still hold; then, marked ``superseded``, the stored notices
    about states an application has left (newest first). (``records``: ``personal_records(person)`` when
    the caller has it already.)"""
    notices: list[PersonalNotice] = []
    if person.must_change_password:
        notices.append(PersonalNotice("temporary_password", "warning",
                                      str(_l("您正在使用注册机构设置的临时密码，请立即修改密码。")),
                                      link="applicant.change_password", link_text=str(_l("修改密码"))))
    if person.profile_incomplete:
        notices.append(PersonalNotice("profile_incomplete", "warning",
                                      str(_l("您的注册类别或单位属性信息不全，请补全信息。")),
                                      link="applicant.complete_profile", link_text=str(_l("补全信息"))))

    records = records or personal_records(person)
    latest, stored = records.latest, records.notices
    reasons = _reasons_of(stored, records)
    state, current, history, seen = None, [], [], set()
    for notice in stored:  # newest first
        superseded = _superseded(notice, seen, records)
        shown = PersonalNotice(notice.kind, LEVELS.get(notice.kind, "info"), notice.text, at=notice.created_at,
                               reason=reasons.get(notice.id), superseded=superseded)
        if superseded:
            history.append(shown)
        elif latest is not None and notice.application_id == latest.id:
            state = shown  # the latest application's current state: first
        else:
            current.append(shown)
    if state is None and latest is not None:
        state = _application_notice(latest, {(notice.application_id, notice.kind) for notice in stored})
    if state is not None:
        notices.append(state)
    certificate = certificate_notice(person, today, window_months)
    if certificate is not None and not (latest is not None and latest.status in OPEN_STATUSES
                                        and certificate.kind == "renewal_open"):
        notices.append(certificate)
    return notices + current + history


def _superseded(notice: NoticeRecord, seen: set[tuple[int, str]], records: PersonalRecords) -> bool:
    """A stored notice about an application is superseded once the application has left the state it announced,
    or by a newer notice of the same state (``seen`` collects those, newest first)."""
    if notice.application_id is None:
        return False
    application = records.application(notice.application_id)
    key = (notice.application_id, notice.kind)
    if application is None or application.status.value != notice.kind or key in seen:
        return True
    seen.add(key)
    return False


def _reasons_of(stored: list[NoticeRecord], records: PersonalRecords) -> dict[int, str]:
    """The application's latest reason, beside the newest returned/rejected/refused notice of that application
    (older ones were about earlier decisions), unless the message already quotes it."""
    reasons: dict[int, str] = {}
    seen: set[int] = set()
    kinds = {status.value for status in WITH_REASON}
    for notice in stored:  # newest first
        if notice.application_id is None or notice.kind not in kinds or notice.application_id in seen:
            continue
        seen.add(notice.application_id)
        application = records.application(notice.application_id)
        if (application is not None and application.status.value == notice.kind and application.last_reason
                and application.last_reason.rstrip("。.") not in notice.text):
            reasons[notice.id] = application.last_reason
    return reasons
