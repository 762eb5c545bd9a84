"""The national-scale data set of issue 10, built in its own PostgreSQL database for bench/pages.py:

    .venv/bin/python bench/data_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

Drops and recreates the schema (migrations), adds the reference bodies, ``synth --persons`` (1,000,000) persons with
certificates, 200,000 applications (150,000 已上报, 50,000 初审通过) and 3,000,000 audit rows, then ANALYZE.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.reference import ensure_reference_data  # noqa: E402
from portal.services.data.synth import synth_applications, synth_audit, synth_persons  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--submitted", type=int, default=150_000)
    parser.add_argument("--initial-passed", type=int, default=50_000)
    parser.add_argument("--audit", type=int, default=3_000_000)
    args = parser.parse_args()
    engine = sa.create_engine(args.database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "ENV_NAME": "development"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        ensure_reference_data()
        db.session.commit()
        for label, step in (("persons", lambda: synth_persons(args.persons)),
                            ("applications", lambda: synth_applications(args.submitted, args.initial_passed)),
                            ("audit rows", lambda: synth_audit(args.audit))):
            started = time.perf_counter()
            step()
            db.session.commit()
            print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    print("analysed")


if __name__ == "__main__":
    main()
