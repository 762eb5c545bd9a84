"""CPU per request of one page in two checkouts, measured side by side: a before/after that the machine's swings
do not decide.

    .venv/bin/python bench/cpu_ab.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench \\
        --compare /tmp/old [--path /applicant/] [--as applicant] [--seconds 20] [--pairs 3]

Each checkout serves the page in a process of its own through the app's WSGI interface (no HTTP server), as one of
``bench/pages.py``'s accounts (``--as``: the applicant, the reviewer, central staff) or as a visitor. The two
processes run at the same time, pinned to the same core, for ``--seconds``; each counts its own CPU time
(``time.process_time``) per request. On this machine the speed of the same loop moves by ±30 % from one minute to the
next, far more than most changes: two processes sharing a core at once see the same swings, so their ratio holds when
separate runs do not. ``--compare`` is another checkout (``git worktree add /tmp/old <commit>``, with its
translations compiled: ``pybabel compile -d`` in each ``portal/translations/*``). Prints each pair and the ratio
this/other.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: what each process runs: the app of the checkout it was started in, one of the benchmark's accounts (or a
#: visitor), one page
LOOP = """
import os, sys, time
sys.path.insert(0, os.environ["PORTAL_TREE"])
from bench.pages import SECRET, session_cookies
cookies = session_cookies(os.environ["BENCH_DATABASE_URL"])
os.environ.update(DATABASE_URL=os.environ["BENCH_DATABASE_URL"], SECRET_KEY=SECRET, PORTAL_ENV="production",
                  PORTAL_SESSION_COOKIE_SECURE="false")
from werkzeug.test import EnvironBuilder
from portal import create_app
app = create_app()
path = os.environ["BENCH_PATH"]
base = {"HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"}
if os.environ["BENCH_AS"] != "anonymous":
    base["HTTP_COOKIE"] = "session=" + cookies[os.environ["BENCH_AS"]]
environ = EnvironBuilder(path=path, environ_base=base).get_environ()
def request():
    status = []
    b"".join(app.wsgi_app(dict(environ), lambda s, h, exc_info=None: status.append(s)))
    if not status[0].startswith("200"):
        sys.exit(path + " answered " + status[0])
for _ in range(50):
    request()
print("READY", flush=True)
sys.stdin.readline()  # both processes start measuring together
count, started, end = 0, time.process_time(), time.time() + float(os.environ["BENCH_SECONDS"])
while time.time() < end:
    request()
    count += 1
print(f"RESULT {count} {(time.process_time() - started) / count * 1000:.4f}", flush=True)
"""


def start(tree: Path, args) -> subprocess.Popen:
    env = dict(os.environ, PORTAL_TREE=str(tree), PYTHONPATH=str(tree), BENCH_DATABASE_URL=args.database_url,
               BENCH_PATH=args.path, BENCH_SECONDS=str(args.seconds), BENCH_AS=args.who)
    return subprocess.Popen(["taskset", "-c", str(args.cpu), sys.executable, "-c", LOOP], cwd=tree, env=env,  # noqa: S603
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--compare", type=Path, required=True, help="the other checkout")
    parser.add_argument("--path", default="/applicant/")
    parser.add_argument("--as", dest="who", default="applicant",
                        choices=["applicant", "bench_reviewer", "bench_central", "anonymous"],
                        help="whose session requests the page (bench/pages.py's accounts), or a visitor's")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0, help="the core both processes run on")
    args = parser.parse_args()
    ratios = []
    print(f"{args.path}: CPU ms per request, this checkout and {args.compare}, side by side on CPU {args.cpu}")
    for _pair in range(args.pairs):
        processes = [start(ROOT, args), start(args.compare.resolve(), args)]
        for process in processes:
            if process.stdout.readline().strip() != "READY":
                sys.exit("a loop did not start (does the page answer 200 in both checkouts?)")
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            match = re.search(r"RESULT (\d+) ([\d.]+)", process.communicate(timeout=args.seconds + 120)[0])
            results.append((int(match.group(1)), float(match.group(2))))
        (count, this), (other_count, other) = results
        ratios.append(this / other)
        print(f"  this {this:.2f} ms ({count} requests), other {other:.2f} ms ({other_count}): {this / other:.3f}",
              flush=True)
        time.sleep(1)
    print(f"median ratio this/other: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
