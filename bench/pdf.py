"""Render time of the 延续注册申请表 PDF: the form's HTML (the preview's partial) laid out by
``services/documents/form_pdf.py`` straight to ReportLab, with the embedded WenQuanYi Micro Hei.

    .venv/bin/python bench/pdf.py [--renders 30] [--long | --ten-pages] [--compare]

Prints the first render in a fresh process (a subprocess: imports done, then font registration and template
compilation are part of the first render), the median and p90 of warm renders in this process (wall clock, and
the CPU time of this process, which a busy machine disturbs less), and PDFs per second on one core. ``--long``
uses a 45-entry CE table and 30 work-history rows instead of a typical form, ``--ten-pages`` 212 entries and 138
rows (issue 10's second PDF goal: a form of ten pages; xhtml2pdf, which doubled the height of a row whose text ends
in a hanging bracket, had made ten pages of 170 entries and 110 rows). ``--compare`` times renders with and without the
output-identical replacements of ``services/documents/speedups.py`` (for the 申请表 only ReportLab's: the font
subsets and the number formatting), alternating in rounds of three in this one process (a before/after that a busy
machine disturbs alike). Every render of a run prints the same form, so the font subset is made once and kept
(``speedups``): another applicant's name makes another (about 3 ms more). No database is touched.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


#: CE entries and work-history rows of each form size
SIZES = {"typical": (4, 2), "long": (45, 30), "ten-pages": (212, 138)}
LABELS = {"typical": "typical: 4 CE entries, 2 work rows", "long": "long: 45 CE entries, 30 work rows",
          "ten-pages": "issue 10's ten-page form: 212 CE entries, 138 work rows"}


def snapshot(size: str) -> dict:
    """A submitted form of ``size`` (SIZES): typical, long or ten pages."""
    entries, rows = SIZES[size]
    return {
        "date": "2026-02-10",
        "person": {"name": "王建国", "gender": "男", "birth_date": "1964-02-20", "id_type": "居民身份证",
                   "id_number": "211322196402200016", "education": "大学本科", "major": "安全工程",
                   "title": "高级工程师", "mobile": "13900000001", "email": "wang@example.com",
                   "address": "辽宁省沈阳市和平区南京北街1号", "postcode": "110001", "category": "化工安全"},
        "certificate": {"number": "ZA0000000001", "category": "化工安全", "valid_from": "2021-03-31",
                        "valid_until": "2026-03-31"},
        "employer": {"name": "辽宁华信化工有限公司", "credit_code": "91210100MA0Y123459", "kind": "生产经营单位",
                     "address": "辽宁省沈阳市和平区南京北街1号", "contact_person": "赵敏",
                     "contact_phone": "024-23456789"},
        "body": {"name": "辽宁省应急管理厅"},
        "education": {"entries": [{"course": f"安全生产法律法规与新技术（第{i + 1}期）",
                                   "organiser": "辽宁省安全生产培训中心", "start_date": "2022-03-01",
                                   "end_date": "2022-03-03", "hours": 12, "counted": True}
                                  for i in range(entries)],
                      "total": 12 * entries, "required": 48, "period_from": "2021-03-31", "period_to": "2026-02-10"},
        "work": [{"start_date": f"{1980 + i % 45}-01-01",
                  "end_date": "" if i == rows - 1 else f"{1980 + i % 45}-12-31",
                  "employer_name": "辽宁华信化工有限公司", "position": "安全员", "duties": "车间安全检查、隐患排查治理"}
                 for i in range(rows)],
    }


def render_times(count: int, size: str) -> tuple[list[float], list[float], int, int]:
    """Seconds per render (the first one included), wall clock and CPU, the PDF size and its page count."""
    import io

    from pypdf import PdfReader

    from portal import create_app
    from portal.services.documents.application_form import render_form_pdf

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    data = snapshot(size)
    times, cpu_times = [], []
    with app.test_request_context():
        for _ in range(count):
            start, cpu = time.perf_counter(), time.process_time()
            pdf = render_form_pdf(data, "YX202600000012")
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu)
    return times, cpu_times, len(pdf), len(PdfReader(io.BytesIO(pdf)).pages)


def compare(count: int, size: str) -> None:
    """Median CPU and wall time per render without, then with, the replacements, alternating in rounds of 3."""
    from portal import create_app
    from portal.services.documents import speedups
    from portal.services.documents.application_form import render_form_pdf

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    data = snapshot(size)
    measured: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    try:
        with app.test_request_context():
            for installed in (False, True):  # warm both
                speedups.install() if installed else speedups.uninstall()
                render_form_pdf(data, "YX202600000012")
            for _ in range(max(1, count // 3)):
                for installed in (False, True):
                    speedups.install() if installed else speedups.uninstall()
                    for _ in range(3):
                        start, cpu = time.perf_counter(), time.process_time()
                        render_form_pdf(data, "YX202600000012")
                        measured[installed].append((time.process_time() - cpu, time.perf_counter() - start))
    finally:
        speedups.install()
    kind = size
    for installed, label in ((False, "without"), (True, "with")):
        cpu = statistics.median(c for c, _ in measured[installed]) * 1000
        wall = statistics.median(w for _, w in measured[installed]) * 1000
        print(f"{kind} form, {label} the replacements (n={len(measured[installed])}):"
              f" CPU median {cpu:.0f} ms, wall median {wall:.0f} ms")


def child(size: str) -> None:
    started = time.perf_counter()
    times, _cpu, length, pages = render_times(1, size)
    print(json.dumps({"first": times[0], "process": time.perf_counter() - started, "bytes": length, "pages": pages}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=30, help="warm renders to time (default 30)")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--long", dest="size", action="store_const", const="long",
                       help="a long form (45 CE entries, 30 work rows: 3 pages)")
    sizes.add_argument("--ten-pages", dest="size", action="store_const", const="ten-pages",
                       help="issue 10's form of ten pages (212 CE entries, 138 work rows)")
    parser.set_defaults(size="typical")
    parser.add_argument("--compare", action="store_true",
                        help="with and without services/documents/speedups.py, alternating in this process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.size)
        return
    if args.compare:
        compare(args.renders, args.size)
        return

    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    command += [f"--{args.size}"] if args.size != "typical" else []
    wall = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    wall = time.perf_counter() - wall
    fresh = json.loads(output.strip().splitlines()[-1])

    times, cpu_times, length, pages = render_times(args.renders + 1, args.size)
    warm = sorted(times[1:])  # the first render of this process warms fonts and templates
    warm_cpu = sorted(cpu_times[1:])
    median = statistics.median(warm)
    p90 = warm[max(0, int(len(warm) * 0.9) - 1)]
    print(f"延续注册申请表 PDF ({LABELS[args.size]}; {pages} pages, {length / 1024:.0f} KiB)")
    print(f"first render in a fresh process: {fresh['first'] * 1000:.0f} ms"
          f" (whole process incl. Python and imports: {wall:.2f} s)")
    print(f"warm renders (n={len(warm)}): median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms,"
          f" min {warm[0] * 1000:.0f} ms")
    print(f"CPU time of warm renders: median {statistics.median(warm_cpu) * 1000:.0f} ms,"
          f" min {warm_cpu[0] * 1000:.0f} ms")
    print(f"throughput on one core: {1 / median:.1f} PDFs/second")


if __name__ == "__main__":
    main()
