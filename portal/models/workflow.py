"""The application state machine, declared once (PRODUCT.md "Application states").

Each ``Transition`` says from which statuses it leads to which, who may take it, whether a reason is required, the
personal notice it leaves and whether the applicant is mailed. Everything else reads this table: the service
functions that carry the transitions out (``portal/services/review/transitions.py``), the console's decision buttons,
the applicant's allowed actions, the demo data, the tests, and the status sets below (open, editable, withdrawable,
and the SQL of the one-open-application index). A new transition — or a new kind of application's step — is one
entry here plus its service function.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from ..i18n import lazy_gettext as _l

#: ApplicationStatus's labels, made once (not on every ``label``; issue 10)
_APPLICATION_STATUS_LABELS = {
    "draft": _l("填写中"),
    "submitted": _l("已上报"),
    "returned": _l("退回修改"),
    "initial_rejected": _l("初审不通过"),
    "initial_passed": _l("初审通过"),
    "approved": _l("准予注册"),
    "refused": _l("不予注册"),
    "withdrawn": _l("已撤回"),
    "closed": _l("已终止"),
}


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    INITIAL_REJECTED = "initial_rejected"
    INITIAL_PASSED = "initial_passed"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"

    @property
    def label(self):
        return _APPLICATION_STATUS_LABELS[self.value]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


class Actor(enum.StrEnum):
    """Who takes a transition."""

    APPLICANT = "applicant"  #: the person the application belongs to
    REVIEWER = "reviewer"  #: an active reviewer of the registration body the application was submitted to (初审)
    CENTRAL = "central"  #: active staff of the registration management center (审批)


S = ApplicationStatus
N_ = str  # marks a notice msgid for extraction; notices are translated when shown (services/infrastructure/notices.py)


@dataclass(frozen=True)
class Transition:
    #: the history event's action, the audit action (``application.<name>``) and the console URL's decision
    name: str
    sources: frozenset[ApplicationStatus]
    target: ApplicationStatus
    actor: Actor
    #: the button, and the history entry
    label: object
    reason_required: bool = False
    #: the personal notice it leaves (msgid with %(number)s, and %(reason)s / %(body)s / %(until)s where used)
    notice: str | None = None
    #: whether the applicant is mailed (template ``mail/application_<name>.txt``, through the outbox, by ``_take``)
    mail: bool = False
    #: what the console says after it is done
    done: object = None
    #: the label of the reason field, where there is one
    reason_label: object = None
    #: Bootstrap colour of the console button
    style: str = "primary"
    #: the confirmation page's button, where 「确认」 + the label would not read well
    confirm: object = None
    #: the kinds of application (``ApplicationKind`` values) it applies to; None: every kind
    kinds: frozenset[str] | None = None
    #: offered as a button or action; False: only carried out as the effect of another decision
    offered: bool = True
    #: kind value → {"label": …, "notice": …, "done": …} replacing the defaults above for that kind;
    #: ``"*"`` applies to every kind not named (延续注册 keeps the defaults)
    wording: dict = field(default=None, hash=False, compare=False)

    @property
    def is_decision(self) -> bool:
        """A decision of a registration body or the center (recorded with the staff member, audited)."""
        return self.actor is not Actor.APPLICANT

    def applies_to(self, kind) -> bool:
        return self.kinds is None or str(kind) in self.kinds

    def for_kind(self, kind) -> Transition:
        """This transition worded for an application of ``kind`` (its button, notice and console message)."""
        words = self.wording or {}
        own = words.get(str(kind))
        if own is None and str(kind) != "renewal":
            own = words.get("*")
        return replace(self, **own) if own else self


_SUBMITTED = N_("您的延续注册申请（申请编号 %(number)s）已上报。请导出并打印延续注册申请表，"
                "加盖聘用单位公章后，与其他申请材料一并报送%(body)s进行初审。")

_SUBMITTED_UPLOAD = N_("您的%(kind)s申请（申请编号 %(number)s）已上报%(body)s。请在“历史记录”中导出申请表，签字并加盖"
                      "聘用单位公章后扫描或拍照上传（也可将纸质申请表报送%(body)s）。")

#: the other kinds' wording where it differs from 延续注册's (notices keep ``%(kind)s`` as a code, translated
#: when shown)
_ANY = {
    "submit": {"*": {"notice": _SUBMITTED_UPLOAD}},
    "withdraw": {"*": {"notice": N_("您已撤回%(kind)s申请（申请编号 %(number)s）。")}},
    "initial_pass": {"*": {"notice": N_("您的%(kind)s申请（申请编号 %(number)s）已通过初审，"
                                        "正在等待注册管理中心审批。")}},
    "return": {"*": {"notice": N_("您的%(kind)s申请（申请编号 %(number)s）被退回修改，原因：%(reason)s"
                                  "请登录系统修改后重新上报。")}},
    "initial_reject": {"*": {"notice": N_("您的%(kind)s申请（申请编号 %(number)s）初审不通过，原因：%(reason)s")}},
    "approve": {
        "initial": {"label": _l("准予初始注册"), "done": _l("已准予初始注册，执业证已签发。"),
                    "notice": N_("您的%(kind)s申请（申请编号 %(number)s）已准予注册，执业证编号 %(certificate)s，"
                                 "有效期至 %(until)s。")},
        "late_initial": {"label": _l("准予初始注册"), "done": _l("已准予初始注册，执业证已签发。"),
                         "notice": N_("您的%(kind)s申请（申请编号 %(number)s）已准予注册，执业证编号 %(certificate)s，"
                                      "有效期至 %(until)s。")},
        "reregistration": {"label": _l("准予重新注册"), "done": _l("已准予重新注册，执业证已签发。"),
                           "notice": N_("您的%(kind)s申请（申请编号 %(number)s）已准予注册，执业证编号 "
                                        "%(certificate)s，有效期至 %(until)s。")},
        "change": {"label": _l("准予变更注册"), "done": _l("已准予变更注册，执业证信息已变更。"),
                   "notice": N_("您的%(kind)s申请（申请编号 %(number)s）已准予变更，执业证编号和有效期不变。")},
        "cancellation": {"label": _l("确认注销"), "confirm": _l("确认注销"), "done": _l("已确认注销，执业证已注销。"),
                         "notice": N_("您的执业证（编号 %(certificate)s）已注销（申请编号 %(number)s）。")},
    },
    "refuse": {
        "*": {"notice": N_("您的%(kind)s申请（申请编号 %(number)s）不予注册，原因：%(reason)s")},
        "cancellation": {"label": _l("不予注销"), "done": _l("已作出不予注销的决定。"),
                         "reason_label": _l("不予注销的理由"),
                         "notice": N_("注销注册申请（申请编号 %(number)s）未获确认，原因：%(reason)s")},
    },
}

TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, Actor.APPLICANT, _l("上报"), notice=_SUBMITTED,
               mail=True, wording=_ANY["submit"]),
    Transition("resubmit", frozenset({S.RETURNED}), S.SUBMITTED, Actor.APPLICANT, _l("重新上报"), notice=_SUBMITTED,
               mail=True, wording=_ANY["submit"]),
    Transition(
        "withdraw", frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED}), S.WITHDRAWN, Actor.APPLICANT, _l("撤回"),
        notice=N_("您已撤回延续注册申请（申请编号 %(number)s）。"), mail=True, wording=_ANY["withdraw"]),
    Transition(
        # a registration body files a 注销 for a person of its own (death and the other grounds): 初审 is the
        # body's own, the center confirms
        "file_cancellation", frozenset({S.DRAFT}), S.INITIAL_PASSED, Actor.REVIEWER, _l("报注册管理中心确认注销"),
        kinds=frozenset({"cancellation"}), offered=False, done=_l("已办理注销，报注册管理中心确认。"),
        notice=N_("%(body)s已为您报请注销注册（申请编号 %(number)s），注销情形：%(ground)s，"
                  "待注册管理中心确认。")),
    Transition(
        "initial_pass", frozenset({S.SUBMITTED}), S.INITIAL_PASSED, Actor.REVIEWER, _l("初审通过"),
        notice=N_("您的延续注册申请（申请编号 %(number)s）已通过初审，正在等待注册管理中心审批。"), mail=True,
        done=_l("已初审通过，申请已转注册管理中心审批。"), style="success", wording=_ANY["initial_pass"]),
    Transition(
        "return", frozenset({S.SUBMITTED}), S.RETURNED, Actor.REVIEWER, _l("退回修改"), reason_required=True,
        notice=N_("您的延续注册申请（申请编号 %(number)s）被退回修改，原因：%(reason)s请登录系统修改后重新上报。"),
        mail=True, done=_l("已退回申请人修改，退回原因已显示在申请人的个人页面。"),
        reason_label=_l("退回原因（需要补正的全部内容）"), style="warning", wording=_ANY["return"]),
    Transition(
        "initial_reject", frozenset({S.SUBMITTED}), S.INITIAL_REJECTED, Actor.REVIEWER, _l("初审不通过"),
        reason_required=True, notice=N_("您的延续注册申请（申请编号 %(number)s）初审不通过，原因：%(reason)s"),
        mail=True, done=_l("已作出初审不通过的决定。"), reason_label=_l("初审不通过的理由"), style="danger",
        wording=_ANY["initial_reject"]),
    Transition(
        "approve", frozenset({S.INITIAL_PASSED}), S.APPROVED, Actor.CENTRAL, _l("准予延续注册"),
        notice=N_("您的延续注册申请（申请编号 %(number)s）已准予延续注册，执业证有效期延续至 %(until)s。"), mail=True,
        done=_l("已准予延续注册，执业证有效期已延续。"), style="success", wording=_ANY["approve"]),
    Transition(
        "refuse", frozenset({S.INITIAL_PASSED}), S.REFUSED, Actor.CENTRAL, _l("不予注册"), reason_required=True,
        notice=N_("您的延续注册申请（申请编号 %(number)s）不予注册，原因：%(reason)s"), mail=True,
        done=_l("已作出不予注册的决定。"), reason_label=_l("不予注册的理由"), style="danger", wording=_ANY["refuse"]),
    Transition(
        # the approved 注销 of a registration ends the person's other open applications
        "close", frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.INITIAL_PASSED}), S.CLOSED, Actor.CENTRAL,
        _l("终止办理"), offered=False, mail=True,
        notice=N_("因您的注册已注销，您的%(kind)s申请（申请编号 %(number)s）已终止办理。")),
)

TRANSITIONS_BY_NAME = {transition.name: transition for transition in TRANSITIONS}


def transitions_from(status: ApplicationStatus, kind=None) -> list[Transition]:
    """The transitions that leave ``status`` (for an application of ``kind``, worded for it), in table order."""
    if kind is None:
        return [t for t in TRANSITIONS if status in t.sources]
    return [t.for_kind(kind) for t in TRANSITIONS if status in t.sources and t.applies_to(kind)]


def _sources(*names: str) -> frozenset[ApplicationStatus]:
    return frozenset().union(*(TRANSITIONS_BY_NAME[name].sources for name in names))


#: statuses of the one application a person may have open at a time: every status some transition leaves
OPEN_STATUSES = frozenset().union(*(t.sources for t in TRANSITIONS))
#: statuses from which nothing leads on
FINAL_STATUSES = frozenset(S) - OPEN_STATUSES
#: statuses in which the applicant edits the application in the wizard (those 上报 / 重新上报 start from)
EDITABLE_STATUSES = _sources("submit", "resubmit")
#: statuses the applicant may still withdraw (撤回): no reviewer has decided on them
WITHDRAWABLE_STATUSES = _sources("withdraw")


def status_in_sql(statuses: frozenset[ApplicationStatus], column: str = "status") -> sa.TextClause:
    """``status IN (...)`` for a partial index, in the enum's order (stable, so migrations compare equal)."""
    values = ", ".join(f"'{status.value}'" for status in S if status in statuses)
    return sa.text(f"{column} IN ({values})")


def path_to(status: ApplicationStatus, start: ApplicationStatus = S.DRAFT) -> list[Transition]:
    """The shortest way from ``start`` to ``status`` through the table (the demo data walk it)."""
    paths: dict[ApplicationStatus, list[Transition]] = {start: []}
    frontier = [start]
    while frontier and status not in paths:
        current = frontier.pop(0)
        for transition in (t for t in transitions_from(current) if t.offered and t.kinds is None):
            if transition.target not in paths:
                paths[transition.target] = [*paths[current], transition]
                frontier.append(transition.target)
    return paths[status]
