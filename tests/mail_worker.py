"""A Celery worker of the portal for the tests, run as its own process (``python -m tests.mail_worker QUEUE``).

Its settings come from the environment like a production worker's (DATABASE_URL, PORTAL_*). When the test run's
clock is moved (``--clock``), ``PORTAL_TEST_CLOCK_OFFSET`` (seconds) moves this process's clock by as much, so the
worker and the test agree on "now"."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta


def main() -> None:
    offset = float(os.environ.get("PORTAL_TEST_CLOCK_OFFSET") or 0)
    if abs(offset) > 1:
        import time_machine

        time_machine.travel(datetime.now(UTC) + timedelta(seconds=offset), tick=True).start()
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", "-A", "portal.worker", "worker", "--pool", "solo", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel", "INFO", "--queues", sys.argv[1]]
    celery_main()


if __name__ == "__main__":
    main()
