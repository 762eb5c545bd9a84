"""Demonstration data for ``make run``: one person for every case of the guide, applications in every status,
reviewers of two provinces and central staff. Fixed demo passwords: never load this into production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ... import clock
from ...clock import utcnow
from ...extensions import db
from ...models import (
    Announcement,
    ApplicationStatus,
    Body,
    Category,
    Certificate,
    ContinuingEducation,
    Document,
    DocumentKind,
    Employer,
    EmployerKind,
    ExamRecord,
    IdType,
    Person,
    Staff,
    StaffRole,
    WorkHistory,
)
from ...models.workflow import Actor, path_to
from ...reference import ensure_reference_data
from ...validators import make_credit_code, make_resident_id
from ..accounts.staff import create_staff
from ..infrastructure.dates import add_years
from ..infrastructure.passwords import hash_password
from ..renewal.submission import build_snapshot
from ..renewal.window import RenewalRules
from ..renewal.wizard import STEPS, start_renewal
from ..review import transitions
from .demo_kinds import DemoKinds
from .demo_kinds import load as load_kinds

DEMO_PASSWORD = "Anquan2026"  # noqa: S105 - documented demonstration password
DEMO_STAFF_PASSWORD = "Shenhe2026"  # noqa: S105 - documented demonstration password


@dataclass
class DemoLogin:
    who: str
    id_type: str
    login: str
    password: str | None


def load_demo_data(today: date | None = None) -> list[DemoLogin]:
    """Create the demonstration set; returns the logins to print."""
    today = today or clock.today()
    ensure_reference_data()
    bodies = {body.code: body for body in db.session.scalars(select(Body))}
    _contacts(bodies)
    employers = {
        "210000": Employer(name="辽宁华信化工有限公司", credit_code=make_credit_code("91210100MA0Y12345"),
                           kind=EmployerKind.PRODUCTION, address="辽宁省沈阳市和平区南京北街1号", postcode="110001",
                           contact_person="赵敏", contact_phone="024-23456789"),
        "110000": Employer(name="北京燕山石化安全技术有限公司", credit_code=make_credit_code("91110111MA01AB2CD"),
                           kind=EmployerKind.SERVICE, address="北京市房山区燕山岗南路1号", postcode="102500",
                           contact_person="钱进", contact_phone="010-69340000"),
    }
    db.session.add_all(employers.values())
    logins: list[DemoLogin] = []
    demo_hash = hash_password(DEMO_PASSWORD)  # one hash for every demo applicant (argon2 takes ~0.1 s a hash)

    def person(label, name, birth, seq, *, body="210000", until=None, email=True, first_gen=False,
               category=Category.CHEMICAL, password=True, address="211322"):
        number = make_resident_id(address, birth, seq)
        if first_gen:
            number = number[:6] + number[8:17]
        employer = employers[body]
        p = Person(name=name, gender="男" if seq % 2 else "女", birth_date=birth, id_type=IdType.RESIDENT_ID,
                   id_number=number, email=f"demo{seq}@example.com" if email else None, mobile=f"139{seq:08d}",
                   category=category, employer_kind=employer.kind, body_id=bodies[body].id,
                   employer=employer, education="本科", major="安全工程", title="高级工程师",
                   address=employer.address, postcode=employer.postcode,
                   password_hash=demo_hash if password else None)
        db.session.add(p)
        if until is not None:
            db.session.add(Certificate(person=p, number=f"ZA{seq:010d}", category=category, body_id=bodies[body].id,
                                       employer_name=employer.name, valid_from=add_years(until, -5),
                                       valid_until=until))
        shown = DEMO_PASSWORD if password else "（未设置，请先“设置密码”）"
        if label is not None:  # the queues' applicants are not printed
            logins.append(DemoLogin(label, "居民身份证", number, shown))
        return p

    inside = person("执业证在延续注册期内（可延续注册）", "王建国", date(1964, 2, 20), 1,
                    until=today + timedelta(days=45))
    _education_and_work(inside, today, employers["210000"])
    person("执业证距到期超过三个月（延续注册未开放）", "李明", date(1975, 6, 1), 3, until=today + timedelta(days=400))
    person("执业证已过期（需重新注册）", "张伟", date(1970, 3, 15), 5, until=today - timedelta(days=30))
    person("一代身份证（15位，可更新身份证号）", "刘芳", date(1966, 8, 8), 12, until=today + timedelta(days=60),
           first_gen=True)
    person("未留存电子邮箱（忘记密码须联系注册机构）", "陈静", date(1980, 1, 9), 14, until=today + timedelta(days=70),
           email=False)
    person("首次登录（注册信息已导入，尚未设置密码）", "孙磊", date(1982, 4, 18), 7, until=today + timedelta(days=80),
           password=False)
    exam_number = make_resident_id("110105", date(1990, 5, 20), 9)
    db.session.add(ExamRecord(name="周杰", id_type=IdType.RESIDENT_ID, id_number=exam_number, exam_year=2025,
                              qualification_no="KS2025000001", category=Category.COAL))
    logins.append(DemoLogin("考试合格人员（尚无执业证，先“设置密码”）", "居民身份证", exam_number, None))

    staff = {}
    for username, role, code, name in [("shenhe_ln", StaffRole.REVIEWER, "210000", "辽宁省审核员"),
                                       ("shenhe_bj", StaffRole.REVIEWER, "110000", "北京市审核员"),
                                       ("zhongxin", StaffRole.CENTRAL, None, "注册管理中心工作人员")]:
        staff[code] = create_staff(username, role, DEMO_STAFF_PASSWORD, body_code=code, name=name)
        logins.append(DemoLogin(f"控制台：{name}", "用户名", username, DEMO_STAFF_PASSWORD))

    # 已终止 only follows an approved 注销 of the person's registration (shown with the other kinds)
    for offset, status in enumerate((s for s in ApplicationStatus if s is not ApplicationStatus.CLOSED), start=20):
        body = "110000" if offset % 2 else "210000"
        applicant = person(f"申请状态：{status.label}", f"演示{status.label}",
                           date(1972, 1, 1) + timedelta(days=offset), offset * 2 + 1,
                           body=body, until=today + timedelta(days=50))
        _education_and_work(applicant, today, employers[body])
        _application(applicant, status, today, staff[body], staff[None])
    _queues(person, today, staff, employers)
    load_kinds(DemoKinds(person, today, staff, employers))
    _content()
    db.session.flush()
    return logins


def _contacts(bodies: dict[str, Body]) -> None:
    for index, body in enumerate(sorted(bodies.values(), key=lambda b: b.sort_order)):
        if not body.phone:
            body.address = body.address or f"{body.province or '北京市'}示例路{index + 1}号（演示数据）"
            body.phone = f"010-6{index:03d}0000"
            body.fax = f"010-6{index:03d}0001"
            body.email = f"zhuce{body.code.lower()}@example.gov.cn"
            body.postcode = "100000"


def _education_and_work(person: Person, today: date, employer: Employer) -> None:
    """48 学时 of continuing education in the current period, and two jobs, the latest at ``employer``."""
    province = employer.address[:3]
    start = add_years(today, -4)
    for year in range(4):
        db.session.add(ContinuingEducation(person=person, course=f"安全生产法律法规与新技术（{start.year + year}年度）",
                                           organiser=f"{province}安全生产培训中心", start_date=add_years(start, year),
                                           end_date=add_years(start, year) + timedelta(days=2), hours=12))
    db.session.add(WorkHistory(person=person, start_date=date(1990, 7, 1), end_date=date(2005, 12, 31),
                               employer_name=f"{province}化工厂", position="安全员", duties="车间安全检查"))
    db.session.add(WorkHistory(person=person, start_date=date(2006, 1, 1), end_date=None,
                               employer_name=employer.name, position="安全部部长", duties="企业安全生产管理"))


S_SUBMITTED = ApplicationStatus.SUBMITTED
_REASONS = {
    "return": "继续教育证明材料不全，请补充2025年度培训学时证明。",
    "initial_reject": "工作经历与聘用单位证明不符。",
    "refuse": "申请材料存在虚假内容。",
}


def _application(person: Person, status: ApplicationStatus, today: date, reviewer: Staff, central: Staff) -> None:
    """A renewal application brought to ``status`` through the same service calls the pages make."""
    db.session.flush()
    rules = RenewalRules.from_config(current_app.config)
    application = start_renewal(person, today, rules)
    # every demo application but the draft is first submitted, so that it has a number and a form
    path = [] if status is ApplicationStatus.DRAFT else path_to(S_SUBMITTED) + path_to(status, start=S_SUBMITTED)
    steps = list(STEPS[:5]) if path else ["personal", "employer"]
    application.draft = {**application.draft, "completed": steps, "current": STEPS[len(steps)]}
    now = utcnow()
    staff = {Actor.REVIEWER: reviewer, Actor.CENTRAL: central}
    for transition in path:
        if transition.name in ("submit", "resubmit"):
            transitions.submit(application, person, build_snapshot(application, person, today, rules).to_json(),
                               now)
        elif transition.name == "withdraw":
            transitions.withdraw(application, person, now)
        else:
            transitions.perform(transition.name, application, staff[transition.actor], now,
                                _REASONS.get(transition.name))


#: (working days ago it was submitted, days until the certificate expires, 初审通过 working days ago or None):
#: each demo reviewer's 初审 queue holds fresh, amber (5 or fewer working days left) and overdue items, and
#: renewals close to their expiry; the center's 审批 queue the same
_QUEUE = ((1, 80, None), (4, 75, None), (9, 8, None), (12, 70, None), (16, 65, None), (18, 60, None),
          (23, 55, None), (27, 20, None), (30, 40, 3), (35, 6, 17), (40, 50, 24))
_QUEUE_NAMES = {"210000": "赵钱孙李周吴郑王冯陈楮卫", "110000": "蒋沈韩杨朱秦尤许何吕施张"}
_GIVEN_NAMES = ("建华", "志强", "秀英", "立新", "海燕", "丽娟", "国强", "红梅", "建军", "文静", "德明", "春燕")


def _queues(person, today: date, staff: dict, employers: dict) -> None:
    """Applications of several ages in each demo body's queue (submitted so many working days ago, with the
    calendar), so that the console's deadlines, filters and dashboard have something to show."""
    from ..infrastructure import workdays

    calendar = workdays.current()

    def working_days_ago(n: int) -> datetime:
        day = today
        while calendar.between(day, today) < n or not calendar.is_workday(day):
            day -= timedelta(days=1)
        return datetime.combine(day, time(9, 30), tzinfo=clock.timezone()).astimezone(UTC)

    rules = RenewalRules.from_config(current_app.config)
    seq = 200
    for body, surnames in _QUEUE_NAMES.items():
        for index, (ago, expires_in, passed_ago) in enumerate(_QUEUE):
            seq += 2
            applicant = person(None, surnames[index] + _GIVEN_NAMES[index],
                               date(1968, 3, 1) + timedelta(days=seq * 37), seq, body=body,
                               until=today + timedelta(days=expires_in))
            _education_and_work(applicant, today, employers[body])
            db.session.flush()
            application = start_renewal(applicant, today, rules)
            application.draft = {**application.draft, "completed": list(STEPS[:5]), "current": STEPS[5]}
            submitted = working_days_ago(ago)
            transitions.submit(application, applicant,
                               build_snapshot(application, applicant, today, rules).to_json(), submitted)
            if passed_ago is not None:
                transitions.perform("initial_pass", application, staff[body], working_days_ago(passed_ago))


def _content() -> None:
    db.session.add_all([
        Announcement(title="关于开展2026年度注册安全工程师延续注册工作的通知",
                     body="各省级、部门注册机构及备案央企：\n执业证有效期满前三个月内的注册安全工程师，"
                          "可登录本系统申请延续注册。请按照《延续注册操作指南》填写并打印申请表，"
                          "加盖聘用单位公章后与其他申请材料一并报送注册机构初审。"),
        Announcement(title="注册管理系统维护公告", body="系统将于每周日凌晨2:00至4:00进行例行维护，届时暂停服务。"),
    ])
    db.session.add_all([
        Document(kind=DocumentKind.FORM, title="注册安全工程师延续注册申请表（空白）", template="renewal_blank.html",
                 sort_order=1),
        Document(kind=DocumentKind.FORM, title="证件信息更正申请表（空白）", template="correction_blank.html",
                 sort_order=2),
        Document(kind=DocumentKind.FORM, title="注册安全工程师初始注册申请表（含逾期初始注册，空白）",
                 template="initial_blank.html", sort_order=3),
        Document(kind=DocumentKind.FORM, title="注册安全工程师变更注册申请表（空白）", template="change_blank.html",
                 sort_order=4),
        Document(kind=DocumentKind.FORM, title="注册安全工程师重新注册申请表（空白）",
                 template="reregistration_blank.html", sort_order=5),
        Document(kind=DocumentKind.FORM, title="注册安全工程师注销注册申请表（空白）",
                 template="cancellation_blank.html", sort_order=6),
        Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定",
                 issued_by="国家安全生产监督管理总局令第11号",
                 body="第一条 为了加强注册安全工程师的管理，保障注册安全工程师依法执业，根据《安全生产法》等有关法律、"
                      "行政法规，制定本规定。", sort_order=1),
        Document(kind=DocumentKind.REGULATION, title="注册安全工程师职业资格制度规定", issued_by="应急〔2019〕8号",
                 body="第一条 为加强安全生产工作，提高安全生产专业技术人员素质，根据《中华人民共和国安全生产法》"
                      "和国家职业资格制度有关规定，制定本规定。", sort_order=2),
    ])
