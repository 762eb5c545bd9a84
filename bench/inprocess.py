"""CPU per page in one process (no HTTP server, no wrk): what a worker spends on each page, and how much of it is SQL.

    .venv/bin/python bench/inprocess.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench
    .venv/bin/python bench/inprocess.py --database-url … --only /reviewer/applications/ --profile /tmp/list.prof

Each page of ``bench/pages.py`` (and the console's home page) is requested through the app's WSGI interface with
the production settings, as the same applicant, reviewer and central staff member, ``--repeat`` times after two
warm-up requests. Printed per page: the median CPU time of the process (``time.process_time``, so other processes
on a busy machine do not count), the median wall time, the median time spent waiting for SQL statements, and the
ratio of the CPU median to ``/healthz``'s. ``--profile`` writes a cProfile of the pages selected with ``--only``
(read it with ``python -m pstats`` or snakeviz); with ``--profile-cpu`` it counts CPU time, not the wall time that
includes waiting for PostgreSQL.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import ANONYMOUS, APPLICANT, CONSOLE, SECRET, session_cookies  # noqa: E402

#: the console's home page (dashboard) besides the lists of bench/pages.py
EXTRA = [("/reviewer/", "bench_reviewer"), ("/reviewer/", "bench_central")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", action="append", default=[],
                        help="pages whose path starts with this, or is this when it ends with $ (repeatable)")
    parser.add_argument("--profile", help="write a cProfile of the selected pages' timed requests to this file")
    parser.add_argument("--profile-cpu", action="store_true",
                        help="profile CPU time (time.process_time) instead of wall time: waiting for SQL then counts "
                             "only as the client's own work")
    parser.add_argument("--min", action="store_true",
                        help="also print the fastest request's CPU time (steadier than the median on a busy machine)")
    args = parser.parse_args()

    cookies = session_cookies(args.database_url)
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY=SECRET, PORTAL_ENV="production",
                      PORTAL_SESSION_COOKIE_SECURE="false")
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db

    app = create_app()
    sql = {"seconds": 0.0, "statements": 0}
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        sql["seconds"] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        sql["statements"] += 1

    plan = [(path, None) for path in ANONYMOUS] + [(path, "applicant") for path in APPLICANT] + CONSOLE + EXTRA
    if args.only:
        def selected(path: str) -> bool:
            return any(path == prefix[:-1] if prefix.endswith("$") else path.startswith(prefix) for prefix in args.only)

        plan = [(path, who) for path, who in plan if selected(path)]
        if not any(path == "/healthz" for path, _who in plan):
            plan.insert(0, ("/healthz", None))
    profiler = None
    if args.profile:
        profiler = cProfile.Profile(time.process_time) if args.profile_cpu else cProfile.Profile()

    def request(path: str, who: str | None) -> tuple[int, bytes]:
        environ = {"HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"}
        if who:
            environ["HTTP_COOKIE"] = f"session={cookies[who]}"
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(path=path.split("?")[0], query_string=path.partition("?")[2],
                                 environ_base=environ)
        env = builder.get_environ()
        builder.close()
        status = []
        body = b"".join(app.wsgi_app(env, lambda s, h, exc_info=None: status.append(s)))
        return int(status[0].split()[0]), body

    print(f"in-process, {args.repeat} requests a page after 2 warm-up; load average {os.getloadavg()[0]:.2f}")
    print(f"{'page':46} {'as':15} {'cpu ms':>7} {'wall ms':>8} {'sql ms':>7} {'stmts':>5} {'vs healthz':>10}"
          + (f" {'cpu min':>7}" if args.min else ""))
    baseline = None
    for path, who in plan:
        for _ in range(2):
            code, body = request(path, who)
            if code != 200:
                sys.exit(f"{path} as {who}: HTTP {code}\n{body[:500]!r}")
        cpu, wall, sql_ms, statements = [], [], [], []
        for _ in range(args.repeat):
            sql.update(seconds=0.0, statements=0)
            started_cpu, started = time.process_time(), time.perf_counter()
            if profiler is not None and path != "/healthz":
                profiler.enable()
            code, body = request(path, who)
            if profiler is not None:
                profiler.disable()
            if code != 200:
                sys.exit(f"{path} as {who}: HTTP {code}\n{body[:500]!r}")
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            sql_ms.append(sql["seconds"] * 1000)
            statements.append(sql["statements"])
        median = statistics.median(cpu)
        baseline = baseline or median
        print(f"{path:46} {who or 'anonymous':15} {median:7.2f} {statistics.median(wall):8.2f} "
              f"{statistics.median(sql_ms):7.2f} {statistics.median(statements):5.0f} {median / baseline:10.1f}"
              + (f" {min(cpu):7.2f}" if args.min else ""),
              flush=True)
    if profiler is not None:
        profiler.dump_stats(args.profile)
        print(f"profile written to {args.profile}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
