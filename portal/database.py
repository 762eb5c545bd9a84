"""The PostgreSQL driver as the portal connects with it (``config.py`` gives psycopg ``PortalCursor``)."""

from __future__ import annotations

import psycopg
from psycopg import pq

#: result states that carry rows (psycopg's own test for a description)
_ROWS = frozenset({pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK})


class PortalCursor(psycopg.Cursor):
    """psycopg's client-side cursor, with a ``description`` of plain 7-tuples: each column's name and type code,
    then five None, as PEP 249 allows for the optional items.

    SQLAlchemy reads a result's description once per statement, and only the names and type codes. psycopg builds
    a ``Column`` object per column instead, from five calls into libpq: 78 of them on the personal page, 2.5 % of its
    CPU (``bench/cpu_ab.py``; issue 10). Server-side cursors (``stream_results``) and everything else are psycopg's
    own."""

    @property
    def description(self) -> list[tuple] | None:
        result = self.pgresult
        if not result or not (result.nfields or result.status in _ROWS):
            return None
        encoding = self.connection.info.encoding
        return [((result.fname(index) or b"").decode(encoding) or f"column_{index + 1}", result.ftype(index),
                 None, None, None, None, None) for index in range(result.nfields)]
