"""How fast this machine runs Python right now: a fixed piece of work, timed, to print beside benchmark figures.

    .venv/bin/python bench/machine.py [--cpu 0] [--repeat 5]

The machines of this class have run the same code at speeds up to 2.5 times apart on different days, and by ±30 %
from one minute to the next (README, Performance). A figure in milliseconds, such as a list page's p95 or the
import's wall time, means little without the speed it was measured at; ``bench/issue10.py`` prints this one at the
start and at the end of its run.

The work is the kind a request does — function calls, attribute and dict lookups, string formatting, JSON, a
sort — with no I/O and nothing from the portal, so that it measures the machine and not the code: its time changes
only when the machine (or the Python build) does. Printed: the median of ``--repeat`` runs, in milliseconds of CPU
time, pinned to ``--cpu`` (the core the benchmarks' gunicorn runs on).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

#: iterations of the work: ~0.3 s of CPU on the machine of 2026-11-28 (a slow day)
ROUNDS = 20_000


class _Record:
    __slots__ = ("key", "name", "values")

    def __init__(self, key: int, name: str, values: dict):
        self.key, self.name, self.values = key, name, values


def _work() -> int:
    checksum = 0
    records = [_Record(i, f"name-{i}", {"a": i, "b": str(i), "c": [i, i + 1]}) for i in range(20)]
    for round_ in range(ROUNDS):
        record = records[round_ % 20]
        text = json.dumps({"key": record.key, "name": record.name, **record.values})
        checksum += len(json.loads(text)["name"])
        checksum += len("<td>{}</td><td>{}</td>".format(record.name.replace("-", "&#45;"), record.values["b"]))
        if round_ % 50 == 0:
            checksum += sorted(records, key=lambda item: item.name)[0].key
    return checksum


def speed(repeat: int = 5) -> float:
    """The median CPU milliseconds of the work, in this process (pin it with ``os.sched_setaffinity`` first)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        _work()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    print(f"MACHINE {speed(args.repeat):.0f} ms (bench/machine.py: a fixed piece of Python work on CPU {args.cpu}, "
          f"median of {args.repeat})")


if __name__ == "__main__":
    main()
