"""What would monthly partitioning change for the archive's reads? Copy ``case`` and
``case_event`` of a bench database into a schema ``part`` as declarative range partitions, one
a month (``case`` by ``created_at``, ``case_event`` by ``at``), with the same indexes, then time
the same SQL against both and print p50/p95 side by side. The text search's GIN index is left
out of the copy (its build alone takes minutes a million cases; a search reads every
partition's index either way, see docs/scale.md).

    BENCH_DB_NAME=hotline_bench_me .venv/bin/python bench/partition_bench.py [--keep]

Not a migration: a measurement. What partitioning costs the schema (the primary key becomes
``(id, created_at)``, ``case.number`` unique only per partition, foreign keys to ``case(id)``
gone) is in docs/scale.md. The copy is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
import psycopg  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


def build(conn) -> dict:
    timings = {}
    conn.execute("DROP SCHEMA IF EXISTS part CASCADE")
    conn.execute("CREATE SCHEMA part")
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("SET synchronous_commit = off")
    lo, hi = conn.execute("SELECT date_trunc('month', min(created_at)), "
                          "date_trunc('month', max(created_at)) + interval '2 months' "
                          'FROM "case"').fetchone()
    months = [r[0] for r in conn.execute(
        "SELECT generate_series(%s::timestamptz, %s::timestamptz - interval '1 month', "
        "interval '1 month')", (lo, hi))]
    for table, key in (("case", "created_at"), ("case_event", "at")):
        conn.execute(f'CREATE TABLE part."{table}" (LIKE public."{table}" INCLUDING DEFAULTS) '
                     f"PARTITION BY RANGE ({key})")
        for m in months:
            name = f"{table}_{m:%Y%m}"
            conn.execute(f'CREATE TABLE part."{name}" PARTITION OF part."{table}" '
                         f"FOR VALUES FROM (%s) TO (%s)".replace("%s", "'{}'").format(
                             m.isoformat(), _next_month(m).isoformat()))
        t0 = time.perf_counter()
        conn.execute(f'INSERT INTO part."{table}" SELECT * FROM public."{table}"')
        timings[f"copy {table}"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for (definition,) in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename = %s AND indexdef NOT LIKE %s", (table, "% USING gin %")).fetchall():
            definition = definition.replace(f'ON public."{table}"', f'ON part."{table}"') \
                .replace(f"ON public.{table} ", f'ON part."{table}" ')
            unique = definition.startswith("CREATE UNIQUE")
            if unique and key not in definition:
                # a unique index of a partitioned table must include the partition key
                if re.search(r"\(id\)$", definition):
                    definition = definition.replace("(id)", f"(id, {key})")
                else:
                    definition = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX")
            conn.execute(definition)
        timings[f"index {table}"] = time.perf_counter() - t0
        conn.execute(f'ANALYZE part."{table}"')
    log("  " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + f"; {len(months)} monthly partitions each")
    return timings


def _next_month(m):
    return m.replace(year=m.year + (m.month == 12), month=m.month % 12 + 1)


def reads(conn) -> list[tuple[str, str, list]]:
    """(name, SQL, parameter lists cycled over) of the archive's reads at the SQL level."""
    urban = conn.execute("SELECT id FROM department WHERE code = 'URBAN'").fetchone()[0]
    cases = conn.execute('SELECT number, id, created_at FROM public."case" '
                         "WHERE id % 997 = 0 LIMIT 50").fetchall()
    month = conn.execute("SELECT date_trunc('month', max(created_at) - interval '45 days') "
                         'FROM public."case"').fetchone()[0]
    return [
        ("case by number", 'SELECT * FROM "case" WHERE number = %s',
         [(n,) for n, _, _ in cases]),
        ("case by number + its day", 'SELECT * FROM "case" WHERE number = %s '
         "AND created_at >= to_date(left(%s, 8), 'YYYYMMDD') - interval '1 day' "
         "AND created_at < to_date(left(%s, 8), 'YYYYMMDD') + interval '2 days'",
         [(n, n, n) for n, _, _ in cases]),
        ("events of a case", "SELECT * FROM case_event WHERE case_id = %s ORDER BY id",
         [(i,) for _, i, _ in cases]),
        ("events of a case + since its creation",
         "SELECT * FROM case_event WHERE case_id = %s AND at >= %s ORDER BY id",
         [(i, t) for _, i, t in cases]),
        ("workbench: open cases by deadline",
         'SELECT id FROM "case" WHERE department_id = %s AND status IN '
         "('dispatched', 'in_progress') ORDER BY handle_deadline LIMIT 50", [(urban,)]),
        ("filtered list, one month",
         'SELECT id FROM "case" WHERE department_id = %s AND created_at >= %s '
         "AND created_at < %s + interval '1 month' ORDER BY id DESC LIMIT 50",
         [(urban, month, month)]),
        ("deadline sweep (one point)",
         "SELECT id FROM \"case\" WHERE handle_deadline <= now() AND status IN "
         "('dispatched', 'in_progress') AND handle_overdue_at IS NULL LIMIT 5000", [()]),
    ]


def measure(conn, schema: str, items, n: int) -> dict:
    conn.execute(f"SET search_path = {schema}, public")
    out = {}
    for name, statement, params in items:
        times = []
        for i in range(n + 2):
            t0 = time.perf_counter()
            conn.execute(statement, params[i % len(params)]).fetchall()
            if i >= 2:
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * .95))])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the partitioned copy")
    parser.add_argument("--reuse", action="store_true", help="measure an existing copy")
    args = parser.parse_args()
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        n = conn.execute('SELECT count(*) FROM public."case"').fetchone()[0]
        log(f"== {_pg.DB_NAME}: {n:,} cases; copying into monthly partitions")
        if not args.reuse:
            build(conn)
        items = reads(conn)
        plain = measure(conn, "public", items, args.requests)
        parted = measure(conn, "part", items, args.requests)
        log(f"{'read':<40} {'plain p50':>10} {'p95':>8} {'partitioned p50':>16} {'p95':>8}")
        for name, *_ in items:
            a, b = plain[name], parted[name]
            log(f"{name:<40} {a[0]:10.1f} {a[1]:8.1f} {b[0]:16.1f} {b[1]:8.1f}")
        if not args.keep:
            conn.execute("DROP SCHEMA part CASCADE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
