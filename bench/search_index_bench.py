"""Trigram or bigram index for the text search? Time the search's own SQL on a bench database
(bench/scale_bench.py makes one) both ways and print p50/p95 and the plan each way took.

    BENCH_DB_NAME=hotline_bench_me .venv/bin/python bench/search_index_bench.py

- ``ilike``: the words as ILIKE alone, what the trigram index (ix_case_search_trgm, when the
  database still has it) can answer; without that index, the newest-first scan.
- ``bigram``: ILIKE plus ``hotline_bigrams(search_text) @> bigrams of the words``, what the
  application sends since migration 1f6b2d9c4e73 (ix_case_search_bigram).

Both return the same rows (checked); only the plan differs. Reads only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
import psycopg  # noqa: E402
from scale_bench import RARE_SEARCHES, SEARCHES  # noqa: E402

HAYSTACK = "(title || ' ' || content || ' ' || coalesce(address, ''))"
# two-character words alone and beside a street: what pg_trgm cannot index
TWO_CHAR = ("噪音", "漏水", "宽巷子 噪音", "玉林北路 漏水")


def sql(words: list[str], bigram: bool) -> tuple[str, list]:
    conds, params = [], []
    for w in words:
        conds.append(f"{HAYSTACK} ILIKE %s")
        params.append("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    long = [w for w in words if len(w) >= 2]
    if bigram and long:
        conds.append(f"hotline_bigrams({HAYSTACK}) @> ("
                     + " || ".join("hotline_bigrams(%s)" for _ in long) + ")")
        params.extend(long)
    return (f'SELECT id FROM "case" WHERE {" AND ".join(conds)} ORDER BY id DESC LIMIT 51',
            params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        n = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        indexes = [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_case_search_%'")]
        print(f"{_pg.DB_NAME}: {n:,} cases; search indexes: {', '.join(indexes) or 'none'}")
        print(f"{'search':<18} {'way':<7} {'rows':>4} {'p50 ms':>9} {'p95 ms':>9}  plan")
        for query in SEARCHES + RARE_SEARCHES + TWO_CHAR:
            words = query.split()
            rows = {}
            for way in ("ilike", "bigram"):
                statement, params = sql(words, way == "bigram")
                plan = " / ".join(
                    r[0].strip() for r in conn.execute("EXPLAIN " + statement, params)
                    if "Scan" in r[0])
                times = []
                for _ in range(args.requests + 1):
                    t0 = time.perf_counter()
                    rows[way] = conn.execute(statement, params).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                times = sorted(times[1:])
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{query:<14} {way:<7} {len(rows[way]):>4} {statistics.median(times):9.1f} "
                      f"{p95:9.1f}  {plan[:110]}", flush=True)
            assert rows["ilike"] == rows["bigram"], query
    return 0


if __name__ == "__main__":
    sys.exit(main())
