"""Demonstration data of the registration kinds beyond 延续注册: for 初始, 逾期初始, 变更, 重新 and 注销注册, one
applicant at each stage (填写中, 已上报, 退回修改 with a document marked for replacement, 初审通过, 准予注册, 不予注册),
each brought there through the same services the pages use (``registration.wizard`` steps, ``materials.upload``,
``registration.submission.submit``, the transition table); plus a 注销 a registration body filed (waiting for the
center) and one the center confirmed, which closed the person's own renewal (已终止).

The scans are small generated images (a titled page), re-encoded by the upload checks like any photo.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from flask import current_app

from ...clock import utcnow
from ...extensions import db
from ...models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Category,
    ContinuingEducation,
    Employer,
    EmployerKind,
    ExamRecord,
    IdType,
    Person,
    WorkHistory,
)
from ...validators import make_credit_code
from ..infrastructure.dates import add_years
from ..registration import cancellation, materials
from ..registration import submission as registration_submission
from ..registration import wizard as steps
from ..registration.kinds import LifeCycleRules
from ..renewal import wizard as engine
from ..review import transitions

K, S = ApplicationKind, ApplicationStatus
#: the stages each kind is shown at, in order
STAGES = (S.DRAFT, S.SUBMITTED, S.RETURNED, S.INITIAL_PASSED, S.APPROVED, S.REFUSED)
#: the document each kind's 退回 marks for replacement, and why
FLAGGED = {
    K.INITIAL: ("id_card", "身份证件照片模糊，请重新拍摄正反面。"),
    K.LATE_INITIAL: ("ce_proof", "继续教育证明缺少培训机构盖章。"),
    K.CHANGE: ("release", "解聘证明未加盖原聘用单位公章。"),
    K.REREGISTRATION: ("contract", "劳动合同缺少签字页。"),
    K.CANCELLATION: ("cancel_proof", "退休证明复印件不清晰。"),
}
RETURN_REASON = "请按要求更换标出的材料后重新上报。"
REFUSE_REASON = "经核查，申请人提交的工作经历与聘用单位出具的证明不符。"
NEW_EMPLOYER = {"name": "辽宁新港安全咨询有限公司", "credit_code": make_credit_code("91210200MA0XY7890"),
                "kind": EmployerKind.SERVICE.value, "address": "辽宁省大连市中山区港湾街8号",
                "contact_person": "孙雯", "contact_phone": "0411-82345678"}
_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@dataclass
class DemoKinds:
    """What the demo's loader hands over: its person factory, today, the staff by body code (None: the center),
    and the employers by body code."""

    person: Callable[..., Person]
    today: date
    staff: dict
    employers: dict


def load(demo: DemoKinds) -> None:
    rules = LifeCycleRules.from_config(current_app.config)
    seq = 400
    for kind in (K.INITIAL, K.LATE_INITIAL, K.CHANGE, K.REREGISTRATION, K.CANCELLATION):
        for status in STAGES:
            seq += 2
            applicant = _applicant(demo, kind, status, seq)
            db.session.flush()
            _bring_to(demo, rules, applicant, kind, status)
    _filed_cancellations(demo, rules, seq)


# --- the applicants -------------------------------------------------------------------------------------------


def _applicant(demo: DemoKinds, kind: ApplicationKind, status: ApplicationStatus, seq: int) -> Person:
    today = demo.today
    label = f"{kind.text}：{status.label}"
    birth = date(1975, 1, 1) + timedelta(days=seq * 7)  # born 1982–1984: worked since 2008
    name = _SURNAMES[seq // 2 % len(_SURNAMES)] + _GIVEN[STAGES.index(status)]
    if kind in (K.INITIAL, K.LATE_INITIAL):
        person = demo.person(label, name, birth, seq, until=None)
    elif kind is K.REREGISTRATION:
        person = demo.person(label, name, birth, seq, until=today - timedelta(days=200))
    else:
        person = demo.person(label, name, birth, seq, until=today + timedelta(days=700))
    if kind in (K.INITIAL, K.LATE_INITIAL, K.REREGISTRATION):  # the exam pass (资格证书) it rests on
        year = {K.INITIAL: today.year - 2, K.LATE_INITIAL: today.year - 11, K.REREGISTRATION: 2012}[kind]
        db.session.add(ExamRecord(name=person.name, id_type=IdType.RESIDENT_ID, id_number=person.id_number,
                                  exam_year=year, qualification_no=f"KS{year}{seq:06d}", category=Category.CHEMICAL,
                                  qualified_on=date(year + 1, 3, 1) if kind is K.INITIAL else None))
    employer = person.employer
    db.session.add(WorkHistory(person=person, start_date=date(2008, 7, 1), end_date=None,
                               employer_name=employer.name, position="安全工程师", duties="安全生产管理与隐患排查"))
    if kind in (K.LATE_INITIAL, K.REREGISTRATION):
        start = add_years(today, -4)
        for year in range(4):
            begins = add_years(start, year)
            db.session.add(ContinuingEducation(person=person, course=f"注册安全工程师继续教育（{begins.year}年度）",
                                               organiser="辽宁省安全生产培训中心", start_date=begins,
                                               end_date=begins + timedelta(days=2), hours=12))
    return person


_SURNAMES = "柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤"
_GIVEN = ("思远", "晓峰", "雨桐", "振华", "佳琪", "明轩")


# --- through the wizard's steps and the table ------------------------------------------------------------------


def _fill(application: Application, person: Person, rules: LifeCycleRules, today: date, now: datetime,
          *, upload: bool = True) -> None:
    """Every step of the kind's wizard, saved as the pages save them, and its materials uploaded."""
    for step in engine.steps_of(application):
        if step in ("preview", "submit"):
            continue
        if step == "exam":
            steps.save_exam(application, person, {"category": Category.CHEMICAL.value, "confirm": "1"})
        elif step == "change":
            steps.save_change(application, person, {"types": ["employer"], "reason": "调入新单位从事安全咨询工作。"},
                              rules)
        elif step == "cancellation":
            steps.save_cancellation(application, person, {"reason": "retired", "note": ""})
        elif step == "employer":
            data = NEW_EMPLOYER if application.kind is K.CHANGE else _employer_fields(person.employer)
            _values, body = steps.clean_routed_employer(application, person, dict(data))
            steps.save_routed_employer(application, person, {**data, "confirm_body": str(body.id)})
        elif step == "materials":
            if upload:
                for spec in materials.specs(application):
                    if spec.stage == materials.BEFORE_SUBMIT and (spec.required or spec.code == "cancel_proof"):
                        materials.upload(application, person, spec.code, _scan(spec.code), now)
            steps.finish_materials(application, person)
        else:  # personal, education, work: the profile's data as the wizard shows it
            engine.complete_step(application, step)


def _employer_fields(employer: Employer) -> dict:
    return {"name": employer.name, "credit_code": employer.credit_code, "kind": employer.kind.value,
            "address": employer.address, "contact_person": employer.contact_person,
            "contact_phone": employer.contact_phone}


def _bring_to(demo: DemoKinds, rules: LifeCycleRules, person: Person, kind: ApplicationKind,
              status: ApplicationStatus) -> Application:
    today, now = demo.today, utcnow()
    application = steps.start(kind, person, today, rules)
    if status is S.DRAFT:  # halfway through the wizard
        first = engine.steps_of(application)[0]
        if first == "personal":
            engine.complete_step(application, "personal")
        return application
    _fill(application, person, rules, today, now)
    registration_submission.submit(application, person, today, now, rules)
    reviewer, central = demo.staff[application.body.code], demo.staff[None]
    if status is S.SUBMITTED:
        return application
    if status is S.RETURNED:
        code, why = FLAGGED[kind]
        flagged = materials.files_of(application, code)[0]
        materials.mark_for_replacement(application, reviewer, {flagged.id: why}, now)
        reason = "\n".join(part for part in (materials.marks_text(application, {flagged.id: why}), RETURN_REASON)
                           if part)
        transitions.perform("return", application, reviewer, now, reason)
        return application
    materials.upload(application, person, "signed_form", _scan("signed_form"), now)
    transitions.perform("initial_pass", application, reviewer, now)
    if status is S.APPROVED:
        transitions.perform("approve", application, central, now)
    elif status is S.REFUSED:
        transitions.perform("refuse", application, central, now, REFUSE_REASON)
    return application


def _filed_cancellations(demo: DemoKinds, rules: LifeCycleRules, seq: int) -> None:
    """A 注销 a body has filed, waiting for the center; and one the center confirmed, which closed the person's
    own open 延续注册 (已终止)."""
    from ..renewal.window import RenewalRules
    from ..renewal.wizard import start_renewal

    reviewer, central, now = demo.staff["210000"], demo.staff[None], utcnow()
    waiting = demo.person("注销注册：注册机构办理，待注册管理中心确认", "尉迟敬德", date(1958, 4, 9), seq + 2,
                          until=demo.today + timedelta(days=900))
    db.session.flush()
    cancellation.file_by_body(waiting, reviewer, "death", "2026年11月20日因病去世，家属提交了死亡证明。", now)
    confirmed = demo.person("注销注册：注册机构办理，已确认（其延续注册已终止）", "公孙胜", date(1966, 9, 30), seq + 4,
                            until=demo.today + timedelta(days=40))
    db.session.flush()
    renewal = start_renewal(confirmed, demo.today, RenewalRules.from_config(current_app.config))
    engine.complete_step(renewal, "personal")
    filed = cancellation.file_by_body(confirmed, reviewer, "criminal", "因重大责任事故罪被判处有期徒刑，有判决书。",
                                      now)
    transitions.perform("approve", filed, central, now)


# --- scans ------------------------------------------------------------------------------------------------------


@cache
def _font(size: int):
    from PIL import ImageFont

    if _FONT.exists():
        return ImageFont.truetype(str(_FONT), size)
    return ImageFont.load_default()


def _scan(code: str) -> bytes:
    """A small page image titled with the material's name, as a phone photo of a document would be uploaded."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (420, 594), (250, 250, 246))
    draw = ImageDraw.Draw(page)
    draw.rectangle((14, 14, 405, 579), outline=(60, 60, 60), width=2)
    title = materials.TEXTS[code] if _FONT.exists() else materials.ASCII_NAMES[code]
    draw.text((32, 40), title, fill=(20, 20, 20), font=_font(24))
    for line in range(14):
        draw.line((32, 110 + line * 30, 380 - (line % 3) * 40, 110 + line * 30), fill=(150, 150, 150), width=2)
    draw.text((32, 540), "（演示数据）" if _FONT.exists() else "(demo)", fill=(160, 30, 30), font=_font(16))
    if code == "signed_form":
        draw.ellipse((280, 450, 380, 550), outline=(200, 30, 30), width=4)  # the employer's stamp
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()
