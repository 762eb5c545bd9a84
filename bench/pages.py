"""HTTP throughput and latency of the main pages, as ratios against a hello-world Flask app in the same run.

    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

The database should hold the national-scale data set (``bench/data_scale.py``: 1,000,000 persons, 200,000
applications, 3,000,000 audit rows). The script starts gunicorn with the documented settings (gunicorn.conf.py,
``--workers 2``) pinned to CPU 0 — for ``bench/hello.py`` (the baseline) and for the portal, side by side — and drives
each page with wrk (pinned to CPU 1): anonymous pages, an applicant's own pages, and the console's default views,
filters, sorts and searches for a provincial reviewer and for central staff (accounts created if missing). Each page
is measured in ``--rounds`` short rounds, each right after a round of the baseline, and the medians are printed (on a
machine others use, a burst of their work then falls on both sides of a ratio); a second of unmeasured requests warms
each page up first. Needs wrk (``apt-get install wrk``).
``--sync`` measures gunicorn's ``-w2`` sync workers instead (issue 10's "now" column); ``--only PREFIX`` some pages
(``--only /$``: the home page alone).
``--compare DIR`` also serves the portal from another checkout (e.g. ``git worktree add /tmp/old HEAD~3``, with its
translations compiled) in the same rounds, and prints its row under each page's, marked ``[DIR]``: a before/after
in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import HTTPRedirectHandler, Request, build_opener, urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - local benchmark only
ANONYMOUS = ["/healthz", "/", "/bodies?q=辽宁"]
APPLICANT = ["/applicant/", "/applicant/history"]
#: (page, who): issue 10's console views
CONSOLE = [
    ("/reviewer/applications/?flt0_0=submitted", "bench_reviewer"),  # 初审 queue, default view
    ("/reviewer/applications/", "bench_reviewer"),
    ("/reviewer/applications/?flt0_0=initial_passed", "bench_central"),  # 审批 queue
    ("/reviewer/applications/", "bench_central"),  # all applications, default
    ("/reviewer/applications/?flt1_1=chemical", "bench_central"),  # category filter
    ("/reviewer/applications/?sort=6&desc=1", "bench_central"),  # sort by 上报时间, newest first
    ("/reviewer/applications/?search=王伟", "bench_central"),
    ("/reviewer/people/", "bench_reviewer"),
    ("/reviewer/people/?search=王伟", "bench_central"),
    ("/reviewer/corrections/", "bench_central"),
    ("/reviewer/audit/", "bench_central"),
    ("/reviewer/audit/?flt1_1=login", "bench_central"),
]
#: each page is requested this long before its measured rounds (the first requests of a page in a fresh worker
#: compile its templates and fill its caches, and its rows may be cold in PostgreSQL's buffers)
WARM_UP_SECONDS = 1
#: the first page of each account's session, whose cookie the measured requests then send
LANDING = {"applicant": "/applicant/", "bench_reviewer": "/reviewer/people/", "bench_central": "/reviewer/people/"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookies(database_url: str) -> dict[str, str]:
    """Open a live session for an applicant, a reviewer and central staff (or join the one a benchmark running at the
    same time opened: a new login would end it, and its pages would measure the login page's redirect); return
    their signed cookies as a browser holds them after its first page there (``LANDING``).

    wrk sends one cookie and ignores Set-Cookie: a cookie that the first page changes (its CSRF secret, the login
    freshness mark) would make every measured response write and sign a new session, which a browser's pages after
    the first one do not do."""
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=SECRET)
    from sqlalchemy import select

    from portal import create_app
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.models import Person, Staff, StaffRole
    from portal.services.accounts.sessions import SessionPolicy, is_live, start_session
    from portal.services.accounts.staff import create_staff

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    cookies = {}
    with app.app_context():
        person = db.session.scalar(select(Person).order_by(Person.id).limit(1))
        accounts = {"applicant": person}
        for name, role, body in (("bench_reviewer", StaffRole.REVIEWER, "210000"),
                                 ("bench_central", StaffRole.CENTRAL, None)):
            staff = db.session.scalar(select(Staff).where(Staff.username == name))
            accounts[name] = staff or create_staff(name, role, "harbour-lantern-Qx7-2026", body_code=body)
        serializer = app.session_interface.get_signing_serializer(app)
        policy = SessionPolicy.from_config(app.config)
        for name, account in accounts.items():
            if not is_live(account, utcnow(), policy):
                start_session(account, utcnow())
            cookies[name] = serializer.dumps({"_user_id": account.get_id(), "_fresh": True})
        db.session.commit()
    for name, page in LANDING.items():
        browser = app.test_client()
        browser.set_cookie("session", cookies[name])
        if browser.get(page).status_code != 200:
            raise SystemExit(f"{name}: {page} did not open with the benchmark's session")
        cookies[name] = browser.get_cookie("session").value
    return cookies


def run_wrk(url: str, cookie: str | None, seconds: int, connections: int) -> tuple[float, float, float, int]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-s", str(ROOT / "bench" / "wrk_report.lua"), url]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", output)
    rate, p50, p95, errors = match.groups()
    return float(rate), float(p50), float(p95), int(errors)


def answer_status(url: str, cookie: str | None) -> int:
    """The page's HTTP status as wrk got it (redirects not followed): wrk counts only 4xx/5xx as errors, so a page
    that answered with the login redirect would otherwise look fast."""
    request = Request(url, headers={"Cookie": f"session={cookie}"} if cookie else {})  # noqa: S310 - loopback

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status
    except HTTPError as error:
        return error.code


def serve(app: str, args, env: dict, tree: Path = ROOT) -> tuple[subprocess.Popen, str]:
    port = free_port()
    settings = ["-w", "2", "-k", "sync"] if args.sync else ["-c", str(tree / "gunicorn.conf.py"), "-w", "2"]
    server = subprocess.Popen(  # noqa: S603
        ["taskset", "-c", "0", str(ROOT / ".venv/bin/gunicorn"), *settings, "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--access-logfile", "/dev/null", app], cwd=tree,
        env=dict(env, PYTHONPATH=str(tree)) if tree != ROOT else env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urlopen(base + "/healthz" if app == "wsgi:app" else base + "/", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.2)
    return server, base


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3,
                        help="each page is measured in this many rounds (of --seconds / rounds), each right after a "
                             "round of the hello-world baseline; the medians are printed")
    parser.add_argument("--sync", action="store_true", help="gunicorn -w2 sync workers instead of gunicorn.conf.py")
    parser.add_argument("--only", action="append", default=[],
                        help="pages whose path starts with this, or is this when it ends with $ (repeatable; the "
                             "hello-world baseline always runs)")
    parser.add_argument("--compare", type=Path, help="another checkout of the portal, served and measured in the same "
                                                     "rounds (its row is marked [DIR])")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    cookies = session_cookies(args.database_url)
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY=SECRET, PORTAL_ENV="production")
    print(f"gunicorn {'-w2 sync' if args.sync else 'gunicorn.conf.py -w2'} on CPU 0, wrk -c{args.connections} "
          f"on CPU 1, {args.seconds}s per page in {args.rounds} rounds; load average {os.getloadavg()[0]:.2f}")
    print(f"{'page':46} {'as':15} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs hello':>9} errors")
    # Both apps are served at once (each -w2 on CPU 0, the idle one costs nothing): every page's rounds alternate
    # with rounds of the baseline, so a burst of other work on the machine falls on both sides of a ratio.
    hello_server, hello_base = serve("bench.hello:app", args, env)
    server, base = serve("wsgi:app", args, env)
    other, other_base = serve("wsgi:app", args, env, args.compare.resolve()) if args.compare else (None, None)
    try:
        plan = [(path, None) for path in ANONYMOUS] + [(path, "applicant") for path in APPLICANT] + CONSOLE
        if args.only:
            plan = [(path, who) for path, who in plan
                    if any(path == prefix[:-1] if prefix.endswith("$") else path.startswith(prefix)
                           for prefix in args.only)]
        seconds = max(1, round(args.seconds / args.rounds))
        hello_runs = []
        bases = [("", base)] + ([(f" [{args.compare}]", other_base)] if other else [])
        for path, who in plan:
            runs, ratios = {label: [] for label, _ in bases}, {label: [] for label, _ in bases}
            for _label, served in bases:  # warm-up, not measured: templates compiled, caches and buffers filled
                run_wrk(served + quote(path, safe="/?=&"), cookies.get(who), WARM_UP_SECONDS, args.connections)
            for _round in range(args.rounds):
                hello = run_wrk(hello_base + "/", None, seconds, args.connections)
                hello_runs.append(hello)
                for label, served in bases:
                    page = run_wrk(served + quote(path, safe="/?=&"), cookies.get(who), seconds, args.connections)
                    runs[label].append(page)
                    ratios[label].append(page[0] / hello[0])
            for label, served in bases:
                rate, p50, p95 = (statistics.median(run[i] for run in runs[label]) for i in range(3))
                errors = sum(run[3] for run in runs[label])
                status = answer_status(served + quote(path, safe="/?=&"), cookies.get(who))
                print(f"{path + label:46} {who or 'anonymous':15} {rate:8.1f} {p50:8.2f} {p95:8.2f} "
                      f"{statistics.median(ratios[label]):9.2f} {errors}"
                      + ("" if status == 200 else f"  (answered {status}: not the page; the session ended?)"),
                      flush=True)
        rate, p50, p95 = (statistics.median(run[i] for run in hello_runs) for i in range(3))
        label = "hello-world Flask (baseline, all rounds)"
        print(f"{label:46} {'anonymous':15} {rate:8.1f} {p50:8.2f} {p95:8.2f} {'1.00':>9} "
              f"{sum(run[3] for run in hello_runs)}")
    finally:
        stop(server)
        stop(hello_server)
        if other:
            stop(other)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
