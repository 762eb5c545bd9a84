"""The indexes the registry's lookups rely on, checked through the database's own query plans (on PostgreSQL and
SQLite alike): a lookup of people by 证件号码 alone or by registration body alone is index-served although neither
column has a plain index of its own (migration 0012 dropped the two that others cover)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from portal.extensions import db as _db

LOOKUPS = {
    "SELECT id FROM people WHERE id_number = :value": "ix_people_id_number_prefix",
    "SELECT id FROM people WHERE body_id = :value": "ix_people_body_id_name",
}


def _plan(statement: str) -> str:
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(text("SET LOCAL enable_seqscan = off"))  # the empty test table would be scanned anyway
        rows = _db.session.execute(text(f"EXPLAIN {statement}"), {"value": "1"})
        return "\n".join(row[0] for row in rows)
    rows = _db.session.execute(text(f"EXPLAIN QUERY PLAN {statement}"), {"value": "1"})
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("statement", LOOKUPS)
def test_people_lookups_use_the_covering_index(db, statement):
    plan = _plan(statement)
    assert LOOKUPS[statement] in plan, plan


def test_the_dropped_indexes_are_gone(db):
    names = {index["name"] for index in _db.inspect(_db.engine).get_indexes("people")}
    assert {"ix_people_id_number", "ix_people_body_id"}.isdisjoint(names)
    assert {"ix_people_id_number_prefix", "ix_people_body_id_name"} <= names
