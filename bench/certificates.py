"""Latency of the certificate verification page and the public register at national size, and the time to make
one signed electronic certificate.

    .venv/bin/python bench/certificates.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

The database should hold synthetic registrations (``flask --app wsgi synth --persons 1000000``); the script brings
its schema to the newest migration and gives every certificate an electronic certificate (one INSERT … SELECT, once).
Requests go through the WSGI app in this process, one at a time (no network, no server), each timed on its own:
median and p95 per page, and the median as a multiple of ``/healthz`` measured in the same run. Lookups use random
real tokens, serials, name + number pairs and employers; the captcha and the rate limits are off (they are not what
is measured).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - local benchmark only

ISSUE_ALL = """
INSERT INTO electronic_certificates (certificate_id, serial, token, issued_at, name, number, category,
                                     employer_name, valid_from, valid_until)
SELECT c.id,
       'DZ-' || substr(s.code, 1, 4) || '-' || substr(s.code, 5, 4) || '-' || substr(s.code, 9, 4),
       substr(md5('token' || c.id::text) || md5('more' || c.id::text), 1, 22),
       now(), p.name, c.number, c.category, c.employer_name, c.valid_from, c.valid_until
FROM certificates c
JOIN people p ON p.id = c.person_id
CROSS JOIN LATERAL (SELECT translate(upper(substr(md5('serial' || c.id::text), 1, 12)), '01', 'WX') AS code) s
WHERE NOT EXISTS (SELECT 1 FROM electronic_certificates e WHERE e.certificate_id = c.id)
ON CONFLICT DO NOTHING
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(client, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (path, response.status_code)
        times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=500, help="requests per page (default 500)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY=SECRET)

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from portal import create_app
    from portal.extensions import db
    from portal.models import Certificate, ElectronicCertificate, Person
    from portal.services import certificates

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": SECRET,
                      "CAPTCHA_ENABLED": False, "RATELIMIT_ENABLED": False, "REGISTER_FREE_LOOKUPS": 10**9,
                      "LOG_LEVEL": "WARNING"})
    rng = random.Random(args.seed)
    with app.app_context():
        upgrade()
        total = db.session.scalar(select(func.count()).select_from(Certificate))
        if db.session.scalar(select(Certificate.id).where(Certificate.employer_name.is_not(None)).limit(1)) is None:
            db.session.execute(text("UPDATE certificates SET employer_name = "
                                    "'合成' || lpad((id % 50000)::text, 5, '0') || '安全科技有限公司'"))
            db.session.execute(text("ANALYZE certificates"))
            db.session.commit()
            print("gave the synthetic certificates employers (about 20 people each)")
        issued = db.session.scalar(select(func.count()).select_from(ElectronicCertificate))
        if issued < total:
            started = time.perf_counter()
            db.session.execute(text(ISSUE_ALL))
            db.session.execute(text("ANALYZE electronic_certificates"))
            db.session.commit()
            print(f"issued {total - issued:,} electronic certificates in {time.perf_counter() - started:.1f} s")
        sample = db.session.execute(
            select(ElectronicCertificate.token, ElectronicCertificate.serial, Person.name, Certificate.number,
                   Certificate.employer_name)
            .join(Certificate, Certificate.id == ElectronicCertificate.certificate_id)
            .join(Person, Person.id == Certificate.person_id)
            .where(ElectronicCertificate.id.in_([rng.randint(1, total) for _ in range(args.requests)]))).all()
        document_of = db.session.scalars(select(ElectronicCertificate).limit(1)).first()
        with app.test_request_context():
            make_times = []
            for _ in range(12):
                start = time.perf_counter()
                certificates.document(document_of)
                make_times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()

    pages = {
        "/healthz (baseline)": ["/healthz"] * args.requests,
        "/verify/<token> (the QR code)": [f"/verify/{row.token}" for row in sample],
        "/verify?serial= (typed in)": [f"/verify?serial={row.serial}" for row in sample],
        "/register name + number": [f"/register?name={row.name}&number={row.number}" for row in sample],
        "/register employer": [f"/register?employer={row.employer_name}" for row in sample if row.employer_name],
    }
    client = app.test_client()
    for paths in pages.values():  # warm every page once
        timed(client, paths[:5])
    print(f"{total:,} certificates; {args.requests} requests per page, one at a time, in-process")
    baseline = None
    for name, paths in pages.items():
        times = timed(client, paths)
        median, p95 = statistics.median(times), percentile(times, 0.95)
        baseline = baseline or median
        print(f"{name:34} median {median:6.1f} ms  p95 {p95:6.1f} ms  median ÷ /healthz {median / baseline:5.1f}")
    print(f"signed electronic certificate (render + sign), warm median {statistics.median(make_times[2:]):.0f} ms "
          f"(first {make_times[0]:.0f} ms)")


if __name__ == "__main__":
    main()
