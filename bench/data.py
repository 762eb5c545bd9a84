"""Data-loading figures: synthetic persons per second and CSV import rows per second.

    .venv/bin/python bench/data.py [--database-url URL] [--persons 200000] [--rows 10000]

Uses a throw-away database: SQLite in a temporary folder by default, or the PostgreSQL URL given (the database
must exist and be empty; its tables are created by the migrations). Prints medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.data.imports import import_csv  # noqa: E402
from portal.services.data.synth import synth_persons  # noqa: E402
from tests.test_imports import csv_bytes, registered_row  # noqa: E402


def reset(url: str) -> None:
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    synth_times, import_times = [], []
    data = csv_bytes([registered_row(i) for i in range(args.rows)])
    for run in range(args.repeat):
        url = args.database_url or f"sqlite:///{tmp}/bench{run}.sqlite3"
        reset(url)
        app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            synth_persons(args.persons)
            db.session.commit()
            synth_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            import_csv("registered", data)
            db.session.commit()
            import_times.append(time.perf_counter() - started)
            db.session.remove()
            db.engine.dispose()
    backend = sa.make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    synth, imported = statistics.median(synth_times), statistics.median(import_times)
    print(f"database: {backend}, runs: {args.repeat}")
    print(f"synth: {args.persons} persons+certificates in {synth:.2f} s median "
          f"-> {args.persons / synth:,.0f} persons/s")
    print(f"import registered CSV: {args.rows} rows in {imported:.2f} s median -> {args.rows / imported:,.0f} rows/s "
          f"({args.persons} persons already present)")


if __name__ == "__main__":
    main()
