"""Deadline machinery on PostgreSQL: the sweep over 1,000,000 open cases, and what
scheduling adds to an action.

    .venv/bin/python bench/deadlines_bench.py [--cases 1000000] [--reuse]

Goals (issue 4, 2 cores): the sweep finds the due cases in <= 1 s with 1M open cases;
scheduling adds <= 2 ms to an action. Uses its own database ``hotline_sweep_bench`` and
Redis db 13; prints medians and p95 of repeated runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_sweep_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"
DUE_NOW = 500  # cases with a point that has just passed


def fresh_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS hotline_sweep_bench")
        connection.exec_driver_sql("CREATE DATABASE hotline_sweep_bench")
    admin.dispose()


def app_for_bench():
    import tempfile

    from hotline.app import create_app

    return create_app({"DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL,
                       "INSTANCE_PATH": tempfile.mkdtemp(prefix="sweep-bench-"),
                       "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING", "SCHEDULING": False})


def generate(connection, total: int) -> float:
    """Open cases with deadlines spread over the next weeks; DUE_NOW of them just passed."""
    started = time.perf_counter()
    connection.execute(text("""
        INSERT INTO department (code, name, active, created_at)
        VALUES ('URBAN', '市城市管理委员会', true, now())"""))
    connection.execute(text("""
        INSERT INTO "case" (number, query_code, channel, title, content, request_type, urgency,
            status, department_id, supervised, overdue, reopen_count, return_count,
            extension_days, created_at, updated_at, version, dispatched_at,
            sign_warn_at, sign_deadline, handle_warn_at, handle_deadline)
        SELECT 'B' || lpad(i::text, 13, '0'), '123456', 'phone', '标题', '内容', 'complaint',
            'normal', CASE WHEN i % 3 = 0 THEN 'dispatched' ELSE 'in_progress' END,
            (SELECT id FROM department LIMIT 1), false, false, 0, 0, 0,
            now() - interval '1 day', now(), 1, now() - interval '1 day',
            now() + (i % 20000) * interval '1 minute' + interval '1 hour',
            now() + (i % 20000) * interval '1 minute' + interval '2 hours',
            now() + (i % 20000) * interval '1 minute' + interval '3 hours',
            now() + (i % 20000) * interval '1 minute' + interval '4 hours'
        FROM generate_series(1, :total) AS i"""), {"total": total})
    connection.execute(text("""
        UPDATE "case" SET handle_warn_at = now() - interval '1 minute'
        WHERE id IN (SELECT id FROM "case" WHERE status = 'in_progress' ORDER BY id LIMIT :n)"""),
        {"n": DUE_NOW})
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_sweep(app, runs: int = 7) -> tuple[list[float], int]:
    from hotline.extensions import db
    from hotline.models import utcnow
    from hotline.services import escalation

    timings, found = [], 0
    with app.app_context():
        for _ in range(runs):
            started = time.perf_counter()
            found = len(escalation.due_case_ids(utcnow()))
            timings.append(time.perf_counter() - started)
            db.session.rollback()
    return timings, found


def bench_full_sweep(app) -> dict:
    from workflows.sweep import run

    with app.app_context():
        return run()


def bench_scheduling(app, samples: int = 300) -> tuple[list[float], list[float]]:
    """Time an action with and without the after-commit scheduling, on the same cases."""
    from hotline.extensions import db
    from hotline.models import Case, utcnow
    from workflows.scheduling import schedule_case

    with app.app_context():
        ids = list(db.session.scalars(
            text('SELECT id FROM "case" WHERE status = \'dispatched\' LIMIT :n'),
            {"n": samples}))
        schedule_times, action_times = [], []
        for case_id in ids:
            case = db.session.get(Case, case_id)
            started = time.perf_counter()
            case.supervise_note = "bench"
            db.session.commit()
            action_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            schedule_case(case, utcnow() - timedelta(seconds=1))
            schedule_times.append(time.perf_counter() - started)
    return schedule_times, action_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()

    from hotline.extensions import db
    from hotline.models import Base

    engine = create_engine(DB_URL) if args.reuse else None
    if not args.reuse:
        fresh_database()
    app = app_for_bench()
    with app.app_context():
        if not args.reuse:
            Base.metadata.create_all(db.engine)
            with db.engine.begin() as connection:
                seconds = generate(connection, args.cases)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql('VACUUM ANALYZE "case"')
            print(f"generated {args.cases:,} open cases in {seconds:.1f} s")
        from hotline.broker import get_redis

        get_redis().flushdb()
    if engine is not None:
        engine.dispose()

    timings, found = bench_sweep(app)
    print(f"sweep query over {args.cases:,} open cases: found {found} due, "
          f"median {statistics.median(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms over {len(timings)} runs")
    summary = bench_full_sweep(app)
    print(f"full sweep (fire {summary['fired']} points on {summary['due_cases']} cases): "
          f"{summary['seconds']:.2f} s")
    timings_after, found_after = bench_sweep(app, runs=5)
    print(f"sweep query after firing: found {found_after} due, "
          f"median {statistics.median(timings_after) * 1000:.1f} ms")
    schedule, action = bench_scheduling(app)
    print(f"an action's commit: median {statistics.median(action) * 1000:.2f} ms; "
          f"scheduling after it: median {statistics.median(schedule) * 1000:.2f} ms, "
          f"p95 {percentile(schedule, 0.95) * 1000:.2f} ms")
    print()
    print(f"{'goal':<44}{'measured':>12}  result")
    rows = [("sweep finds due cases (1M open) <= 1000 ms", statistics.median(timings) * 1000,
             1000),
            ("scheduling adds <= 2 ms to an action (median)",
             statistics.median(schedule) * 1000, 2)]
    for name, value, goal in rows:
        print(f"{name:<44}{value:>10.2f}ms  {'PASS' if value <= goal else 'FAIL'}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
