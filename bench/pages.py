"""HTTP throughput and latency of the main pages, as ratios against a trivial endpoint measured in the same run.

    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

The database should hold synthetic data (``flask --app wsgi synth --persons 1000000``). The script starts gunicorn
(2 sync workers, pinned to CPU 0) and drives it with wrk (pinned to CPU 1) for each page: anonymous pages, an
applicant's own pages (a session is opened for the first synthetic person), and the console's lists for a
provincial reviewer and for central staff (accounts created if missing). Needs Debian's wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - local benchmark only
ANONYMOUS = ["/healthz", "/", "/bodies?q=辽宁", "/announcements"]
APPLICANT = ["/applicant/", "/applicant/history", "/applicant/renewal/"]
REVIEWER = ["/reviewer/applications/", "/reviewer/people/", "/reviewer/people/?search=王伟"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookies(database_url: str) -> dict[str, str]:
    """Open a live session for an applicant, a reviewer and central staff; return their signed cookies."""
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=SECRET)
    from sqlalchemy import select

    from portal import create_app
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.models import Person, Staff, StaffRole
    from portal.services.accounts.sessions import start_session
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
        for name, account in accounts.items():
            start_session(account, utcnow())
            cookies[name] = serializer.dumps({"_user_id": account.get_id(), "_fresh": True})
        db.session.commit()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    cookies = session_cookies(args.database_url)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY=SECRET, PORTAL_ENV="production")
    server = subprocess.Popen(  # noqa: S603
        ["taskset", "-c", "0", str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        plan = [(path, None) for path in ANONYMOUS] + [(path, "applicant") for path in APPLICANT]
        plan += [(path, who) for path in REVIEWER for who in ("bench_reviewer", "bench_central")]
        print(f"gunicorn {args.workers} sync workers on CPU 0, wrk -c{args.connections} on CPU 1, "
              f"{args.seconds}s per page")
        print(f"{'page':34} {'as':15} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs healthz':>10} errors")
        baseline = None
        for path, who in plan:
            url = base + quote(path, safe="/?=&")
            rate, p50, p95, errors = run_wrk(url, cookies.get(who), args.seconds, args.connections)
            baseline = baseline or rate
            ratio = rate / baseline
            print(f"{path:34} {who or 'anonymous':15} {rate:8.1f} {p50:8.2f} {p95:8.2f} {ratio:10.2f} {errors}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
