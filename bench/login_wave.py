"""A wave of applicant logins while another applicant reads pages: does argon2 starve the pages?

    .venv/bin/python bench/login_wave.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

Gives the first ``--logins`` (200) synthetic persons a password (argon2id at the portal's parameters), then starts
gunicorn pinned to CPU 0 — once with the documented gunicorn.conf.py (gthread) and once with ``-w2`` sync workers for
comparison — and, from CPU 1, logs them in through the real 注册申请登录 form at ``--rate`` (10) per second while two
clients keep loading ``/applicant/`` as an already signed-in applicant. Prints each arrangement's login p50/p95 and the
page's p50/p95 during the wave, against the page's p95 with no wave. Captcha and rate limits are switched off for the
run (one address logs 200 people in).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import SECRET, free_port, session_cookies  # noqa: E402

PASSWORD = "harbour-lantern-Qx7-2026"  # noqa: S105 - local benchmark only


def prepare(database_url: str, count: int) -> list[str]:
    """ID numbers of ``count`` persons (after the first, which bench/pages.py uses) with PASSWORD and no session."""
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.models import Person
    from portal.services.infrastructure.passwords import hash_password

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        people = db.session.scalars(select(Person).order_by(Person.id).offset(1).limit(count)).all()
        password_hash = hash_password(PASSWORD)  # one hash, verified by every login (same cost as each its own)
        for person in people:
            person.password_hash, person.session_token, person.must_change_password = password_hash, None, False
            person.failed_logins, person.locked_until = 0, None
        db.session.commit()
        return [person.id_number for person in people]


def request(port: int, method: str, path: str, *, body: str | None = None, cookie: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.getheader("Set-Cookie") or "", data


def log_in(port: int, id_number: str) -> tuple[float, int]:
    _, set_cookie, page = request(port, "GET", "/")
    cookie = set_cookie.split(";", 1)[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrf_token": token, "id_type": "resident_id", "id_number": id_number, "password": PASSWORD,
                      "captcha": "", "next": ""})
    started = time.perf_counter()
    status, _, _ = request(port, "POST", "/applicant/login", body=form, cookie=cookie)
    return (time.perf_counter() - started) * 1000, status


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(args, arrangement: list[str], numbers: list[str], page_cookie: str) -> dict:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY=SECRET, PORTAL_ENV="production",
               PORTAL_CAPTCHA_ENABLED="false", PORTAL_RATELIMIT_ENABLED="false", PORTAL_SESSION_COOKIE_SECURE="false")
    server = subprocess.Popen(["taskset", "-c", "0", str(ROOT / ".venv/bin/gunicorn"), *arrangement,  # noqa: S603
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null",
                               "wsgi:app"], cwd=ROOT, env=env)
    os.sched_setaffinity(0, {1})  # the load generator on the other core
    try:
        for _ in range(100):
            try:
                request(port, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        cookie = f"session={page_cookie}"
        quiet = [_timed_page(port, cookie) for _ in range(100)]
        page_times, login_times, statuses, stop = [], [], [], threading.Event()

        def reader():
            while not stop.is_set():
                page_times.append(_timed_page(port, cookie))

        def one_login(number):
            took, status = log_in(port, number)
            login_times.append(took)
            statuses.append(status)

        readers = [threading.Thread(target=reader) for _ in range(2)]
        for thread in readers:
            thread.start()
        logins, wave_start = [], time.perf_counter()
        for index, number in enumerate(numbers):
            time.sleep(max(0.0, index / args.rate - (time.perf_counter() - wave_start)))
            thread = threading.Thread(target=one_login, args=(number,))
            thread.start()
            logins.append(thread)
        for thread in logins:
            thread.join()
        stop.set()
        for thread in readers:
            thread.join()
        return {"quiet_p95": percentile(quiet, 0.95), "page_p50": statistics.median(page_times),
                "page_p95": percentile(page_times, 0.95), "login_p50": statistics.median(login_times),
                "login_p95": percentile(login_times, 0.95), "pages": len(page_times),
                "logged_in": sum(1 for status in statuses if status in (302, 303)), "logins": len(statuses)}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def _timed_page(port: int, cookie: str) -> float:
    started = time.perf_counter()
    status, _, _ = request(port, "GET", "/applicant/", cookie=cookie)
    if status != 200:
        raise RuntimeError(f"/applicant/ answered {status}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    arrangements = {"gunicorn.conf.py (gthread)": ["-c", str(ROOT / "gunicorn.conf.py"), "-w", "2"],
                    "-w2 sync (before)": ["-w", "2", "-k", "sync"]}
    print(f"{args.logins} logins at {args.rate}/s; gunicorn on CPU 0, load generator on CPU 1")
    print(f"{'arrangement':30} {'page p95 quiet':>14} {'page p50':>9} {'page p95':>9} {'login p50':>10} "
          f"{'login p95':>10} logged in")
    for label, arrangement in arrangements.items():
        numbers = prepare(args.database_url, args.logins)
        page_cookie = session_cookies(args.database_url)["applicant"]
        result = run(args, arrangement, numbers, page_cookie)
        print(f"{label:30} {result['quiet_p95']:14.1f} {result['page_p50']:9.1f} {result['page_p95']:9.1f} "
              f"{result['login_p50']:10.1f} {result['login_p95']:10.1f} {result['logged_in']}/{result['logins']}",
              flush=True)


if __name__ == "__main__":
    main()
