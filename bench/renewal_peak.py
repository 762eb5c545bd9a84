"""The renewal peak: 200 applicants walk the 延续注册 wizard at the same moment and press 上报 together, through the
portal's real HTTP interface. Is every request answered and every submission kept, once?

    createdb -h 127.0.0.1 -U postgres portal_peak        # once
    .venv/bin/python bench/renewal_peak.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_peak

The script owns the database it is given (never portal_bench): it drops the schema, runs the migrations, adds the
reference bodies and ``synth --persons`` (20,000) persons with certificates, so that the registry is not empty, then
``--applicants`` (200) people of its own, each with a password, an e-mail address and a certificate that expires
``--days-left`` (30) days after the registry's today, inside the renewal window. They work for ``--employers`` (20)
employers the registry does not know yet, so that their 上报s race to create the same employer records.

It starts gunicorn with the documented settings (gunicorn.conf.py, ``-w 2``) pinned to CPU 0; from CPU 1 one thread
per applicant, all released by a barrier, walks the whole wizard as a browser does (each redirect followed, a cookie
jar of its own, the CSRF token read from the pages): the 注册申请登录 form, 开始延续注册, 个人基本信息,
聘用单位信息, two 继续教育 entries of 24 学时, a 工作经历 row, 预览 and the 上报 page; there the applicants wait
for each other and all press 上报 at the same moment.

Then it reads the database. An applicant's submission is complete when the person has one application, 已上报, with
a 申请编号, one history row 上报, one 上报 notice and one 上报 mail in the outbox addressed to them (the outbox hands
it to a job queue of the script's own on Redis, which no worker reads; the queue is deleted afterwards).

- errors: answers other than the expected one (a form that saves answers a redirect to the next step, a page 200 at
  the expected address), exceptions and time-outs (``--timeout``: 60 s per request, nginx's default
  ``proxy_read_timeout``, as a reverse proxy would cut the request off); an applicant stops at its first error;
- lost: applicants without a complete submission at the end, whatever the reason;
- duplicates: rows beyond the one expected — a second application of a person, a 申请编号 held by two applications,
  a second history row, notice or mail of the same 上报.

The last line is ``RESULT applicants=… errors=… lost=… duplicates=… submit_p50_ms=… submit_p95_ms=… wall_s=…``
(read by bench/issue10.py); submit_* is the 上报 POST itself, wall_s from the start barrier to the last applicant.
The exit status is 0 whatever the figures; non-zero only when the script itself could not run.

What a run with 0 errors, 0 lost and 0 duplicates proves: at this peak, on this machine, every request of the wizard
is answered as a browser expects within the time-out, and every 上报 leaves exactly one numbered 已上报 application
with its history row, notice and mail, the shared employers created once. What it does not cover: mail delivery
(SMTP), a reverse proxy, several application hosts, the time people take between clicks (the applicants click
without pause, a harsher peak than real people make), uploads, the PDF, and the figures of a quiet machine (the
latencies are those of a peak on one core, not a goal). Captcha and rate limits are off (one address logs every
applicant in). ``--sync`` serves the portal with gunicorn's ``-w2`` sync workers instead (the arrangement before
issue 10), for comparison. The server's own log (warnings, tracebacks of 500s) goes to ``--server-log``; its
tracebacks are counted and the first is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.login_wave import PASSWORD, percentile  # noqa: E402
from bench.pages import SECRET, free_port  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
#: what a refused form or a warning shows: a field's error, or a flash message of a warning or error
MESSAGE_RE = re.compile(r'class="(?:field-error|flash flash-(?:error|warning))"[^>]*>(.*?)</div>', re.S)
PROTECTED = {"portal_bench"}  #: databases others read: never dropped here


# --- the database ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    index: int
    id_number: str
    email: str
    body_id: int
    employer: int  #: which of the ``--employers`` employers


def prepare(args) -> tuple[list[Applicant], date]:
    """A fresh database: schema, reference bodies, synthetic persons, and the applicants of the peak."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from portal import clock, create_app
    from portal.extensions import db
    from portal.models import Body, BodyKind, Category, Certificate, EmployerKind, IdType, Person
    from portal.reference import ensure_reference_data
    from portal.services.data.synth import synth_persons
    from portal.services.infrastructure.dates import add_years
    from portal.services.infrastructure.passwords import hash_password
    from portal.validators import make_resident_id

    engine = sa.create_engine(args.database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        ensure_reference_data()
        db.session.commit()
        synth_persons(args.persons)
        db.session.commit()
        today = clock.today()
        bodies = list(db.session.scalars(sa.select(Body).where(Body.kind == BodyKind.PROVINCE)
                                         .order_by(Body.sort_order, Body.code)))
        password_hash = hash_password(PASSWORD)  # one hash, verified by every login (same cost as each its own)
        valid_until = today + timedelta(days=args.days_left)
        applicants = []
        for index in range(args.applicants):
            body = bodies[index % len(bodies)]
            # 30 to 60 years old (under the age limit), a different birthday each: distinct ID numbers
            birth = add_years(today, -60) + timedelta(days=index * 37 % 10_950)
            person = Person(name=f"延续{index:03d}", id_type=IdType.RESIDENT_ID,
                            id_number=make_resident_id("110102", birth, index % 999 + 1),
                            birth_date=birth, gender="男", email=f"peak{index:03d}@example.com",
                            category=Category.CHEMICAL, employer_kind=EmployerKind.PRODUCTION, body_id=body.id,
                            password_hash=password_hash, must_change_password=False, failed_logins=0)
            db.session.add(person)
            db.session.flush()
            db.session.add(Certificate(person_id=person.id, number=f"PK{index:010d}", category=Category.CHEMICAL,
                                       body_id=body.id, valid_from=add_years(valid_until, -5),
                                       valid_until=valid_until))
            applicants.append(Applicant(index, person.id_number, person.email, body.id, index % args.employers))
        db.session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return applicants, today


# --- one applicant's browser -------------------------------------------------------------------------------------


class Failed(Exception):
    """An answer other than the expected one (the message says which request and what came back)."""


@dataclass
class Browser:
    """An applicant's browser: a cookie jar, the last page's CSRF token, each request's time by kind."""

    port: int
    timeout: float
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0

    def request(self, method: str, path: str, form: dict | None = None, kind: str = "page"):
        """One request on a new connection; returns (status, Location path, page)."""
        headers = {"Origin": f"http://127.0.0.1:{self.port}", "Accept-Language": "zh-CN,zh;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read().decode("utf-8", "replace")
        except Exception as error:  # noqa: BLE001 - a time-out or a refused connection is an error of the run
            raise Failed(f"{method} {path}: {type(error).__name__}: {error}") from None
        finally:
            connection.close()
        self.times[kind].append((time.perf_counter() - started) * 1000)
        self.requests += 1
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        if match := CSRF_RE.search(page):
            self.token = html.unescape(match.group(1))
        location = urlsplit(response.getheader("Location") or "")
        return response.status, location.path + (f"?{location.query}" if location.query else ""), page

    def get(self, path: str, lands: str | None = None) -> str:
        """A page the applicant opens: 200 (after any redirects) at ``lands`` (default: ``path`` itself)."""
        return self._follow("GET", path, None, "page", lands or path)

    def post(self, path: str, form: dict, lands: str, kind: str = "step") -> str:
        """A form that saves: a redirect, followed to the page it leads to, which must be ``lands``."""
        return self._follow("POST", path, form, kind, lands)

    def _follow(self, method: str, path: str, form: dict | None, kind: str, lands: str) -> str:
        status, location, page = self.request(method, path, form, kind)
        if method == "POST" and status not in (302, 303):
            raise Failed(f"POST {path}: {status} instead of a redirect{_messages(page)}")
        where = path
        for _ in range(5):
            if status not in (301, 302, 303):
                break
            where = location
            status, location, page = self.request("GET", where)
        if status != 200:
            raise Failed(f"{method} {path}: {status} at {where}{_messages(page)}")
        if not re.fullmatch(lands, where):
            raise Failed(f"{method} {path}: landed on {where}, not {lands}{_messages(page)}")
        return page


def _messages(page: str) -> str:
    found = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text))).strip()
             for text in MESSAGE_RE.findall(page)]
    return f" — {' / '.join(found)}" if found else (f" — {_title(page)}" if _title(page) else "")


def _title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def employer_of(number: int) -> dict:
    from portal.validators import make_credit_code

    return {"name": f"峰值化工有限公司第{number + 1}分公司", "credit_code": make_credit_code(f"91110000MA{number:07d}"),
            "kind": "production", "address": f"北京市朝阳区安定路{number + 1}号", "contact_person": "赵敏",
            "contact_phone": "010-64451234"}


@dataclass
class Outcome:
    applicant: Applicant
    browser: Browser
    error: str | None = None
    submitted: bool = False


def renew(applicant: Applicant, browser: Browser, today: date, start: threading.Barrier,
          press: threading.Barrier) -> Outcome:
    """Log in, walk the wizard to the 上报 page, wait for everyone, press 上报."""
    outcome, ready = Outcome(applicant, browser), False
    start.wait()
    try:
        browser.get("/")
        browser.post("/applicant/login", {"id_type": "resident_id", "id_number": applicant.id_number,
                                          "password": PASSWORD, "captcha": "", "next": ""},
                     lands="/applicant/", kind="login")
        browser.get("/applicant/renewal/")
        browser.post("/applicant/renewal/start", {}, lands="/applicant/renewal/personal")
        index = applicant.index
        browser.post("/applicant/renewal/personal",
                     {"education": "大学本科", "major": "安全工程", "title": "工程师", "mobile": f"139{index:08d}",
                      "email": applicant.email, "address": f"北京市东城区安定门外大街{index + 1}号",
                      "postcode": "100011"}, lands="/applicant/renewal/employer")
        browser.post("/applicant/renewal/employer", {**employer_of(applicant.employer),
                                                     "body_id": str(applicant.body_id)},
                     lands="/applicant/renewal/education")
        for days_ago in (330, 300):
            started = today - timedelta(days=days_ago)
            browser.post("/applicant/renewal/education",
                         {"course": "危险化学品安全管理", "organiser": "北京市安全生产培训中心",
                          "start_date": started.isoformat(), "end_date": (started + timedelta(days=2)).isoformat(),
                          "hours": "24"}, lands="/applicant/renewal/education")
        browser.post("/applicant/renewal/education/next", {}, lands="/applicant/renewal/work")
        browser.post("/applicant/renewal/work", {"start_date": "2006-01-01", "end_date": "",
                                                 "employer_name": employer_of(applicant.employer)["name"],
                                                 "position": "安全部部长", "duties": "企业安全生产管理"},
                     lands="/applicant/renewal/work")
        browser.post("/applicant/renewal/work/next", {}, lands="/applicant/renewal/preview")
        page = browser.get("/applicant/renewal/submit")
        if 'name="confirm"' not in page:
            raise Failed(f"GET /applicant/renewal/submit: no 上报 button{_messages(page)}")
        ready = True
    except Exception as error:  # noqa: BLE001 - Failed, or a bug of the script's: counted, shown, never a hang
        outcome.error = str(error) if isinstance(error, Failed) else f"{type(error).__name__}: {error}"
    with contextlib.suppress(threading.BrokenBarrierError):  # a broken barrier: press 上报 anyway
        press.wait()
    if ready:
        try:
            browser.post("/applicant/renewal/submit", {"confirm": "y"},
                         lands=r"/applicant/applications/\d+\?submitted=1", kind="submit")
            outcome.submitted = True
        except Failed as error:
            outcome.error = str(error)
    return outcome


# --- the run -----------------------------------------------------------------------------------------------------


def serve(args, queue: str, log) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY=SECRET, PORTAL_ENV="production",
               PORTAL_CAPTCHA_ENABLED="false", PORTAL_RATELIMIT_ENABLED="false", PORTAL_SESSION_COOKIE_SECURE="false",
               PORTAL_MAIL_QUEUE_URL=args.redis_url, PORTAL_MAIL_QUEUE_NAME=queue)
    settings = ["-w", "2", "-k", "sync"] if args.sync else ["-c", str(ROOT / "gunicorn.conf.py"), "-w", "2"]
    server = subprocess.Popen(["taskset", "-c", "0", str(ROOT / ".venv/bin/gunicorn"), *settings,  # noqa: S603
                               "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "--access-logfile", "/dev/null", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    sys.exit(f"gunicorn did not come up on port {port}: see {args.server_log}")


def server_cpu(server: subprocess.Popen) -> float:
    """CPU seconds the gunicorn workers (the master's children) have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that has just ended
        if int(fields[1]) == server.pid:  # ppid; then utime and stime are fields 14 and 15 of stat
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run(args, applicants: list[Applicant], today: date, port: int) -> tuple[list[Outcome], float]:
    count = len(applicants)
    start, press = threading.Barrier(count + 1), threading.Barrier(count, timeout=3600)
    outcomes: list[Outcome | None] = [None] * count

    def applicant_thread(position: int) -> None:
        applicant = applicants[position]
        outcomes[position] = renew(applicant, Browser(port, args.timeout), today, start, press)

    threads = [threading.Thread(target=applicant_thread, args=(position,), daemon=True) for position in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return [outcome for outcome in outcomes if outcome is not None], time.perf_counter() - started


@dataclass
class Check:
    lost: list[str]
    duplicates: list[str]
    numbers: int  #: distinct 申请编号 among the applicants' applications
    statuses: Counter  #: the applicants' applications by status
    employers: int  #: employers of the run's credit codes in the registry


def check(args, applicants: list[Applicant]) -> Check:
    """What the database holds for the applicants after the peak."""
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db
    from portal.models import (
        Application,
        ApplicationEvent,
        ApplicationStatus,
        Employer,
        Notice,
        OutboxMessage,
        Person,
    )

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": SECRET})
    lost, duplicates = [], []
    with app.app_context():
        codes = {number: employer_of(number)["credit_code"] for number in range(args.employers)}
        found = db.session.execute(sa.select(Person.id_number, Person.id, Employer.credit_code)
                                   .outerjoin(Employer, Employer.id == Person.employer_id)
                                   .where(Person.id_number.in_([applicant.id_number for applicant in applicants])))
        people, employed_by = {}, {}
        for row in found:
            people[row.id_number], employed_by[row.id] = row.id, row.credit_code
        ids = list(people.values())
        employers = db.session.scalar(sa.select(sa.func.count()).select_from(Employer)
                                      .where(Employer.credit_code.in_(codes.values())))
        applications = defaultdict(list)
        for row in db.session.execute(sa.select(Application.id, Application.person_id, Application.status,
                                                Application.number).where(Application.person_id.in_(ids))):
            applications[row.person_id].append(row)
        events = Counter(db.session.scalars(sa.select(ApplicationEvent.application_id).where(
            ApplicationEvent.action == "submit", ApplicationEvent.person_id.in_(ids))))
        notices = Counter(db.session.scalars(sa.select(Notice.person_id).where(
            Notice.kind == ApplicationStatus.SUBMITTED.value, Notice.person_id.in_(ids))))
        mails = Counter((row.person_id, row.recipient) for row in db.session.execute(
            sa.select(OutboxMessage.person_id, OutboxMessage.recipient).where(
                OutboxMessage.template == "application_submit", OutboxMessage.person_id.in_(ids))))
        shared_numbers = db.session.execute(
            sa.select(Application.number, sa.func.count()).where(Application.number.is_not(None))
            .group_by(Application.number).having(sa.func.count() > 1)).all()
        numbers = db.session.scalar(sa.select(sa.func.count(sa.distinct(Application.number)))
                                    .where(Application.person_id.in_(ids)))
    for number, times in shared_numbers:
        duplicates.append(f"申请编号 {number} is held by {times} applications")
    for applicant in applicants:
        person_id, who = people.get(applicant.id_number), f"applicant {applicant.index} ({applicant.email})"
        rows = applications.get(person_id, [])
        listed = ", ".join(f"#{row.id} {row.status.value}" for row in rows) or "none"
        if len(rows) > 1:
            duplicates.append(f"{who}: {len(rows)} applications ({listed})")
        done = [row for row in rows if row.status is ApplicationStatus.SUBMITTED and row.number]
        if not done:
            lost.append(f"{who}: no 已上报 application ({listed})")
            continue
        parts = {"history row 上报": sum(events[row.id] for row in done), "notice": notices[person_id],
                 "mail": mails[(person_id, applicant.email)]}
        missing = [name for name, times in parts.items() if times == 0]
        if employed_by.get(person_id) != codes[applicant.employer]:
            missing.append("employer in the profile")
        if missing:
            lost.append(f"{who}: application #{done[0].id} without its {', '.join(missing)}")
        duplicates.extend(f"{who}: {times} × {name}" for name, times in parts.items() if times > 1)
    statuses = Counter(row.status.value for rows in applications.values() for row in rows)
    return Check(lost, duplicates, numbers or 0, statuses, employers or 0)


def queued_jobs(url: str, queue: str) -> int | None:
    """How many delivery jobs the 上报s put on the script's own queue (then the queue is deleted)."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        jobs = client.llen(queue)
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
        return jobs
    except Exception:  # noqa: BLE001 - informational only
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database of the script's own: its schema is dropped")
    parser.add_argument("--applicants", type=int, default=200)
    parser.add_argument("--persons", type=int, default=20_000, help="synthetic persons besides the applicants")
    parser.add_argument("--employers", type=int, default=20, help="the applicants share this many new employers")
    parser.add_argument("--days-left", type=int, default=30, help="their certificates expire this many days after "
                                                                  "the registry's today (the window: 3 months)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one request may take (nginx: 60)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="the job queue the 上报 mails are handed to (a queue of the script's own, deleted after)")
    parser.add_argument("--sync", action="store_true", help="gunicorn -w2 sync workers instead of gunicorn.conf.py")
    parser.add_argument("--server-log", default="/tmp/renewal_peak-gunicorn.log")  # noqa: S108 - a bench's log
    args = parser.parse_args()
    import sqlalchemy as sa

    url = sa.make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        sys.exit(f"{args.database_url}: the peak needs PostgreSQL (gunicorn's workers share the database)")
    if url.database in PROTECTED:
        sys.exit(f"{args.database_url}: others read this database; give the script one of its own (it drops it)")

    started = time.perf_counter()
    applicants, today = prepare(args)
    print(f"database ready in {time.perf_counter() - started:.0f} s: {args.persons:,} synthetic persons + "
          f"{len(applicants)} applicants (certificates expire {today + timedelta(days=args.days_left)}, "
          f"{args.employers} new employers); registry's today {today}", flush=True)
    queue = f"renewal-peak-{os.getpid()}"
    with open(args.server_log, "w") as log:
        server, port = serve(args, queue, log)
        os.sched_setaffinity(0, {1})  # the applicants on the other core
        load = os.getloadavg()[0]
        arrangement = "-w2 sync" if args.sync else "gunicorn.conf.py -w2"
        print(f"gunicorn {arrangement} on CPU 0, {len(applicants)} applicants on CPU 1; load average {load:.2f}",
              flush=True)
        try:
            server_before, client_before = server_cpu(server), time.process_time()
            outcomes, wall = run(args, applicants, today, port)
            cpu = (server_cpu(server) - server_before, time.process_time() - client_before)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    result = check(args, applicants)
    jobs = queued_jobs(args.redis_url, queue)
    report(args, outcomes, result, wall, jobs, load, cpu)


def report(args, outcomes: list[Outcome], result: Check, wall: float, jobs: int | None, load: float,
           cpu: tuple[float, float]) -> None:
    times = defaultdict(list)
    for outcome in outcomes:
        for kind, values in outcome.browser.times.items():
            times[kind].extend(values)
    requests = sum(outcome.browser.requests for outcome in outcomes)
    errors = [f"applicant {outcome.applicant.index}: {outcome.error}" for outcome in outcomes if outcome.error]
    print(f"{requests} requests in {wall:.1f} s ({requests / wall:.1f}/s), "
          f"{sum(outcome.submitted for outcome in outcomes)} 上报 answered as expected; CPU: gunicorn workers "
          f"{cpu[0]:.1f} s (CPU 0 busy {cpu[0] / wall:.0%} with them), the applicants' threads {cpu[1]:.1f} s")
    print(f"{'request':22} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for kind, label in (("login", "login POST"), ("page", "pages (GET)"), ("step", "wizard form POSTs"),
                        ("submit", "上报 POST")):
        values = times.get(kind) or [float("nan")]
        print(f"{label:22} {len(times.get(kind, [])):6} {statistics.median(values):9.1f} "
              f"{percentile(values, 0.95):9.1f} {max(values):9.1f}")
    statuses = ", ".join(f"{times} {status}" for status, times in result.statuses.most_common()) or "none"
    print(f"database: the applicants' applications: {statuses}; {result.numbers} distinct 申请编号; "
          f"{result.employers} of the {args.employers} employers created once each; "
          f"mail jobs handed to the queue: {'?' if jobs is None else jobs}")
    for title, lines in (("errors", errors), ("lost", result.lost), ("duplicates", result.duplicates)):
        if lines:
            print(f"{title} ({len(lines)}):")
            for line in lines[:20]:
                print(f"  {line}")
            if len(lines) > 20:
                print(f"  … and {len(lines) - 20} more")
    log = Path(args.server_log).read_text(errors="replace")
    tracebacks = log.count("Traceback (most recent call last)")
    print(f"server log {args.server_log}: {tracebacks} traceback(s)")
    if tracebacks:
        lines = log.splitlines()
        first = next(index for index, line in enumerate(lines) if line.startswith("Traceback"))
        print("\n".join(lines[max(0, first - 2):first + 60]))
    print(f"load average at the start {load:.2f}, at the end {os.getloadavg()[0]:.2f}")
    submit = times.get("submit") or [float("nan")]
    print(f"RESULT applicants={len(outcomes)} errors={len(errors)} lost={len(result.lost)} "
          f"duplicates={len(result.duplicates)} submit_p50_ms={statistics.median(submit):.1f} "
          f"submit_p95_ms={percentile(submit, 0.95):.1f} wall_s={wall:.1f}")


if __name__ == "__main__":
    main()
