"""Issue 10's table in one run: every figure beside its goal, each HTTP figure against a baseline of the same run.

    .venv/bin/python bench/issue10.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

The database holds the national data set (``bench/data_scale.py``: 1,000,000 people, 200,000 applications, 3,000,000
audit rows). One after the other, each in its own process:

1. ``bench/pages.py`` — the console's lists, ``/healthz`` and ``/applicant/`` through gunicorn (gunicorn.conf.py,
   two workers on CPU 0, wrk -c4 on CPU 1), each page's rounds alternating with rounds of a hello-world Flask app;
2. ``bench/login_wave.py`` — 200 logins at 10/s while ``/applicant/`` is read;
3. ``bench/pdf.py`` — the 申请表 PDF, typical and of ten pages, warm medians;
4. the import — ``flask import registered`` of 1,000,000 generated rows into an empty registry (a scratch database
   ``<name>_import``, made and dropped here): wall time and the importing process's peak RSS (``wait4``);
5. ``bench/renewal_peak.py`` — 200 applicants renew at once (a scratch database ``<name>_peak``).

Each script's own output is printed as it runs; the table at the end is Markdown (the README's Performance section is
pasted from it), with the load average and the machine's speed (``bench/machine.py``: a fixed piece of Python work,
whose time moves only with the machine) at the start and at the end: on this machine class the same code has run up
to 2.5 times slower on one day than on another, so the figures in milliseconds are read against it.
``--skip`` leaves a part out (repeatable: pages, login, pdf, import, peak); a part left out is marked so in the table,
never counted as met.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")

#: (label, page, who, goal in ms for p95) — the console views of issue 10 in bench/pages.py
LISTS = [
    ("初审 queue (reviewer), default view", "/reviewer/applications/?flt0_0=submitted", "bench_reviewer"),
    ("all applications (reviewer)", "/reviewer/applications/", "bench_reviewer"),
    ("审批 queue (central)", "/reviewer/applications/?flt0_0=initial_passed", "bench_central"),
    ("all applications (central), default", "/reviewer/applications/", "bench_central"),
    ("… category filter", "/reviewer/applications/?flt1_1=chemical", "bench_central"),
    ("… sort by 上报时间", "/reviewer/applications/?sort=6&desc=1", "bench_central"),
    ("… search 王伟", "/reviewer/applications/?search=王伟", "bench_central"),
    ("people (reviewer)", "/reviewer/people/", "bench_reviewer"),
    ("people, search 王伟 (central)", "/reviewer/people/?search=王伟", "bench_central"),
    ("corrections (central)", "/reviewer/corrections/", "bench_central"),
    ("audit log, 3 M rows (central)", "/reviewer/audit/", "bench_central"),
    ("… its 操作 filter", "/reviewer/audit/?flt1_1=login", "bench_central"),
]
LIST_P95_MS = 50
HEALTHZ_RATIO, APPLICANT_RATIO = 0.8, 0.12
IMPORT_ROWS, IMPORT_SECONDS, IMPORT_RSS_MB = 1_000_000, 120, 500
PDF_TYPICAL_MS, PDF_TEN_PAGES_MS = 60, 200
WAVE_P95_MS = 150


def run(command: list[str], **kwargs) -> str:
    """Run a bench script, echo its output as it comes, and return it."""
    print(f"\n$ {' '.join(command)}", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, **kwargs)  # noqa: S603
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if process.wait() != 0:
        sys.exit(f"{command[1]} failed with exit status {process.returncode}")
    return "".join(lines)


def pages(url: str, args) -> dict:
    output = run([PYTHON, "bench/pages.py", "--database-url", url, "--seconds", str(args.seconds),
                  "--rounds", str(args.rounds)])
    rows = {}
    for line in output.splitlines():
        match = re.match(r"(\S+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$", line)
        if match:
            path, who, rate, p50, p95, ratio, errors = match.groups()
            rows[(path, who)] = {"rate": float(rate), "p50": float(p50), "p95": float(p95), "ratio": float(ratio),
                                 "errors": int(errors)}
        elif line.startswith("hello-world"):
            rate, p50, p95 = re.findall(r"[\d.]+", line.split(")")[-1])[:3]
            rows["hello"] = {"rate": float(rate), "p50": float(p50), "p95": float(p95)}
    return rows


def login_wave(url: str) -> dict:
    output = run([PYTHON, "bench/login_wave.py", "--database-url", url])
    for line in output.splitlines():
        if line.startswith("gunicorn.conf.py"):
            quiet, p50, p95, login_p50, login_p95 = (float(x) for x in re.findall(r"\d+\.\d+", line)[:5])
            logged_in = re.search(r"(\d+)/(\d+)\s*$", line).groups()
            return {"quiet_p95": quiet, "p50": p50, "p95": p95, "login_p50": login_p50, "login_p95": login_p95,
                    "logged_in": f"{logged_in[0]}/{logged_in[1]}"}
    sys.exit("bench/login_wave.py printed no gunicorn.conf.py row")


def pdf(*options: str) -> dict:
    output = run([PYTHON, "bench/pdf.py", *options])
    median = re.search(r"median (\d+) ms", output)
    page_count = re.search(r"; (\d+) pages", output)
    return {"median": int(median.group(1)), "pages": int(page_count.group(1))}


@contextlib.contextmanager
def scratch_database(url: str, suffix: str) -> Iterator[str]:
    """An empty database named after ``url``'s with ``suffix``, made for the block and dropped after it."""
    scratch = sa.engine.make_url(url)
    scratch = scratch.set(database=f"{scratch.database}_{suffix}")
    server = sa.create_engine(scratch.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{scratch.database}"')
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')
        server.dispose()


def import_million(url: str) -> dict:
    """1,000,000 generated rows into an empty registry of a scratch database; wall time, CPU and peak RSS of the
    importing process (the database server's work is in the wall time, not in the RSS)."""
    with scratch_database(url, "import") as target:
        return _import_into(target)


def _import_into(target: str) -> dict:
    env = dict(os.environ, DATABASE_URL=target)
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    csv_path = Path(tempfile.gettempdir()) / f"issue10-registered-{IMPORT_ROWS}.csv"  # kept for the next run
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    if not csv_path.exists():
        print(f"\nwriting {IMPORT_ROWS:,} rows to {csv_path}", flush=True)
        sys.path.insert(0, str(ROOT))
        from tests.test_imports import HEADER, registered_row

        with open(csv_path.with_suffix(".part"), "w", encoding="utf-8") as out:
            out.write(HEADER + "\n")
            for index in range(IMPORT_ROWS):
                out.write(registered_row(index, email=f"user{index}@example.com") + "\n")
        csv_path.with_suffix(".part").rename(csv_path)
    print(f"\n$ flask import registered {csv_path}  (DATABASE_URL={target})", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen([*flask, "import", "registered", str(csv_path)], cwd=ROOT, env=env,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    print(output, end="")
    if process.returncode != 0:
        sys.exit(f"the import failed with exit status {process.returncode}")
    check = sa.create_engine(target)
    with check.connect() as connection:
        people = connection.exec_driver_sql("SELECT count(*) FROM people").scalar_one()
        certificates = connection.exec_driver_sql("SELECT count(*) FROM certificates").scalar_one()
    check.dispose()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "people": people, "certificates": certificates}


def renewal_peak(url: str) -> dict:
    with scratch_database(url, "peak") as target:
        output = run([PYTHON, "bench/renewal_peak.py", "--database-url", target])
    line = [line for line in output.splitlines() if line.startswith("RESULT ")][-1]
    return {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", line)}


def machine_speed() -> float:
    """bench/machine.py's figure: CPU milliseconds of a fixed piece of Python work on CPU 0, now."""
    output = subprocess.run([PYTHON, "bench/machine.py"], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                            check=True).stdout
    print(output, end="", flush=True)
    return float(re.search(r"MACHINE ([\d.]+) ms", output).group(1))


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def table(results: dict, load: tuple[float, float], speed: tuple[float, float]) -> str:
    rows = ["| what | figure | goal | |", "|---|---|---|---|"]
    skipped = "| {what} | (not run) | {goal} | **not measured** |"
    found = results.get("pages")
    if found:
        hello = found["hello"]
        rows.append(f"| hello-world Flask (baseline, all rounds) | {hello['rate']:.0f} req/s, "
                    f"p95 {hello['p95']:.1f} ms | | |")
        for label, path, ratio_goal in (("`/healthz` ÷ hello-world req/s", "/healthz", HEALTHZ_RATIO),
                                        ("`/applicant/` ÷ hello-world req/s", "/applicant/", APPLICANT_RATIO)):
            who = "anonymous" if path == "/healthz" else "applicant"
            page = found[(path, who)]
            rows.append(f"| {label} | {page['ratio']:.2f} ({page['rate']:.0f} req/s, p95 {page['p95']:.1f} ms) "
                        f"| ≥ {ratio_goal} | {verdict(page['ratio'] >= ratio_goal)} |")
        for label, path, who in LISTS:
            page = found[(path, who)]
            errors = f", {page['errors']} errors" if page["errors"] else ""
            rows.append(f"| {label}, p50 / p95 | {page['p50']:.1f} / {page['p95']:.1f} ms ({page['rate']:.0f} "
                        f"req/s{errors}) | p95 < {LIST_P95_MS} ms | "
                        f"{verdict(page['p95'] < LIST_P95_MS and not page['errors'])} |")
    else:
        rows.append(skipped.format(what="pages through gunicorn", goal="see issue 10"))
    found = results.get("import")
    if found:
        complete = found["people"] == IMPORT_ROWS and found["certificates"] == IMPORT_ROWS
        rows.append(f"| `import registered`, {IMPORT_ROWS:,} rows into an empty registry | {found['wall']:.0f} s wall "
                    f"({found['cpu']:.0f} s CPU of the importer), peak RSS {found['rss_mb']:.0f} MB; "
                    f"{found['people']:,} people, {found['certificates']:,} certificates | < {IMPORT_SECONDS} s, "
                    f"< {IMPORT_RSS_MB} MB | "
                    f"{verdict(complete and found['wall'] < IMPORT_SECONDS and found['rss_mb'] < IMPORT_RSS_MB)} |")
    else:
        rows.append(skipped.format(what="import of 1,000,000 rows", goal=f"< {IMPORT_SECONDS} s, < {IMPORT_RSS_MB} MB"))
    for key, label, goal in (("pdf", "申请表 PDF, typical form, warm median", PDF_TYPICAL_MS),
                             ("pdf_ten", "申请表 PDF of ten pages (212 CE entries, 138 work rows), warm median",
                              PDF_TEN_PAGES_MS)):
        found = results.get(key)
        if found:
            pages = f"{found['pages']} page" + ("s" if found["pages"] != 1 else "")
            rows.append(f"| {label} | {found['median']} ms ({pages}) | ≤ {goal} ms | "
                        f"{verdict(found['median'] <= goal)} |")
        else:
            rows.append(skipped.format(what=label, goal=f"≤ {goal} ms"))
    found = results.get("login")
    if found:
        rows.append(f"| `/applicant/` while 200 logins run at 10/s, p50 / p95 | {found['p50']:.1f} / "
                    f"{found['p95']:.1f} ms (quiet p95 {found['quiet_p95']:.1f}; logins p50 {found['login_p50']:.0f} "
                    f"ms, {found['logged_in']} logged in) | p95 < {WAVE_P95_MS} ms | "
                    f"{verdict(found['p95'] < WAVE_P95_MS)} |")
    else:
        rows.append(skipped.format(what="pages during a login wave", goal=f"p95 < {WAVE_P95_MS} ms"))
    found = results.get("peak")
    if found:
        clean = found["errors"] == 0 and found["lost"] == 0 and found["duplicates"] == 0
        rows.append(f"| 200 applicants renew at once | {found['errors']:.0f} errors, {found['lost']:.0f} lost, "
                    f"{found['duplicates']:.0f} duplicates; 上报 p50 / p95 {found['submit_p50_ms']:.0f} / "
                    f"{found['submit_p95_ms']:.0f} ms, {found['wall_s']:.1f} s in all | 0 errors, 0 lost | "
                    f"{verdict(clean)} |")
    else:
        rows.append(skipped.format(what="200 applicants renew at once", goal="0 errors, 0 lost"))
    rows.append(f"\nLoad average {load[0]:.2f} at the start, {load[1]:.2f} at the end; {os.cpu_count()} cores. "
                f"Machine speed (bench/machine.py, lower is faster): {speed[0]:.0f} ms at the start, {speed[1]:.0f} ms "
                f"at the end.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=6, help="bench/pages.py --seconds per page (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="bench/pages.py --rounds (default 3)")
    parser.add_argument("--skip", action="append", default=[], choices=["pages", "login", "pdf", "import", "peak"])
    args = parser.parse_args()
    started_load, started_speed = os.getloadavg()[0], machine_speed()
    results: dict = {}
    if "pages" not in args.skip:
        results["pages"] = pages(args.database_url, args)
    if "login" not in args.skip:
        results["login"] = login_wave(args.database_url)
    if "pdf" not in args.skip:
        results["pdf"], results["pdf_ten"] = pdf(), pdf("--ten-pages")
    if "import" not in args.skip:
        results["import"] = import_million(args.database_url)
    if "peak" not in args.skip:
        results["peak"] = renewal_peak(args.database_url)
    ended_load, ended_speed = os.getloadavg()[0], machine_speed()
    print("\n" + table(results, (started_load, ended_load), (started_speed, ended_speed)))


if __name__ == "__main__":
    main()
