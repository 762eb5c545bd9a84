"""Instants for date-sensitive tests: the Beijing hours around which a UTC server and the registry disagree.

Tests set the clock with time-machine (``time_machine.move_to(beijing(...))``), never by reading the wall clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An aware instant at Beijing wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


#: (label, instant) pairs around the hours where UTC and Beijing disagree about the date or the year
EDGES = [
    ("23:59 Beijing", beijing(2026, 11, 27, 23, 59)),
    ("00:01 Beijing", beijing(2026, 11, 28, 0, 1)),
    ("07:59 Beijing (still the day before in UTC)", beijing(2026, 11, 28, 7, 59)),
    ("08:01 Beijing", beijing(2026, 11, 28, 8, 1)),
    ("New Year 00:30 Beijing (31 December in UTC)", beijing(2027, 1, 1, 0, 30)),
    ("29 February 07:00 Beijing", beijing(2028, 2, 29, 7, 0)),
]
