"""The PostgreSQL driver as the portal connects with it (``config.py`` gives psycopg ``PortalCursor``)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import pq

#: result states that carry rows (psycopg's own test for a description)
_ROWS = frozenset({pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK})


class PortalCursor(psycopg.Cursor):
    """psycopg's client-side cursor, with a ``description`` of plain 7-tuples: each column's name and type code,
    then five None, as PEP 249 allows for the optional items; made only when it is read.

    SQLAlchemy reads a result's description once per statement, and only the names and type codes — and after the
    first execution of a statement it keeps what it read and only asks whether there is a description. psycopg
    builds a ``Column`` object per column instead, from five calls into libpq, for every statement: 78 of them on
    the personal page, 2.5 % of its CPU (``bench/cpu_ab.py``; issue 10). Server-side cursors (``stream_results``)
    and everything else are psycopg's own."""

    @property
    def description(self) -> Description | None:
        result = self.pgresult
        if not result or not (result.nfields or result.status in _ROWS):
            return None
        return Description(result, self.connection.info.encoding)


class Description(Sequence):
    """A result's columns as PEP 249 describes them, read from the result the first time they are looked at (the
    result stays as it was: psycopg makes a new one for each statement)."""

    __slots__ = ("_result", "_encoding", "_columns")

    def __init__(self, result, encoding: str) -> None:
        self._result, self._encoding, self._columns = result, encoding, None

    def _read(self) -> list[tuple]:
        if self._columns is None:
            result, encoding = self._result, self._encoding
            self._columns = [((result.fname(index) or b"").decode(encoding) or f"column_{index + 1}",
                              result.ftype(index), None, None, None, None, None) for index in range(result.nfields)]
        return self._columns

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):
        return self._read()[index]

    def __iter__(self):
        return iter(self._read())

    def __eq__(self, other) -> bool:
        return self._read() == (list(other) if isinstance(other, Description) else other)

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._read())
