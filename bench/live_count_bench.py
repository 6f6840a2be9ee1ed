"""What one unsettled case costs the oversight figures (issue 18).

A report takes a rolled-up period's settled cases from the rollup and counts its unsettled
ones (open, or changed since the rollup) live. This bench times that live part alone
(``stats._count_live`` with ``rollup.unsettled``: the counts, the dispatch pairs and the
day series) and the whole report (``stats.report``), in-process, for periods of growing
length ending on the rollup's last day, and prints how many unsettled cases each period
holds. A least-squares line through (unsettled cases, ms) gives the cost of one more
unsettled case (its slope) and the fixed cost (where it meets zero). It then times the
``/cases`` header's queue counts (``queries.queue_counts``) for the supervisor and URBAN.

    export BENCH_DB_NAME=w18d_bench BENCH_REDIS_URL=redis://127.0.0.1:6379/3
    .venv/bin/python bench/live_count_bench.py                       # this checkout
    .venv/bin/python bench/live_count_bench.py --source /path/to/other/checkout   # compare

``--source`` imports hotline from another checkout (another commit) against the same
database. It needs a database with the rollup built (``stats_bench.py`` or
``scale_bench.py`` build it) and reads only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

DAYS = (1, 7, 30, 90, 180, 365)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", help="a hotline checkout to import instead of this one")
    parser.add_argument("--rounds", type=int, default=7, help="timings per period (median)")
    parser.add_argument("--days", type=int, nargs="*", default=list(DAYS))
    return parser.parse_args()


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through ``points``."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in points) / spread if spread else 0.0
    return slope, my - slope * mx


def main() -> int:
    args = parse_args()
    source = Path(args.source).resolve() if args.source else Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(source))
    from sqlalchemy import func, select

    from hotline.app import create_app
    from hotline.extensions import db
    from hotline.models import OPEN_STATUSES, Case, User, utcnow
    from hotline.services import queries, rollup, stats
    from hotline.services.actors import Actor
    from hotline.services.periods import Period

    name = os.environ.get("BENCH_DB_NAME", "hotline_bench")
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                      "REDIS_URL": os.environ.get("BENCH_REDIS_URL",
                                                  "redis://127.0.0.1:6379/14"),
                      "INSTANCE_PATH": os.environ.get("BENCH_INSTANCE", f"/tmp/{name}_instance"),
                      "LOG_LEVEL": "WARNING"})
    print(f"live count bench: database {name}, hotline from {source}")
    with app.app_context():
        current = rollup.state()
        if current is None or current.covered_through is None:
            print("  no rollup: build it first (stats_bench.py or scale_bench.py)")
            return 1
        last = current.covered_through
        print(f"  rollup through {last}; {args.rounds} timings per period, medians")
        print(f"  {'days':>5} {'unsettled':>10} {'live ms':>9} {'report ms':>10} "
              f"{'live us/case':>13}")
        points = []
        for days in args.days:
            period = Period(last - timedelta(days=days - 1), last)
            start, end = period.window()
            cases = db.session.scalar(select(func.count()).select_from(Case).where(
                Case.created_at >= start, Case.created_at < end, rollup.unsettled(current)))
            live, whole = [], []
            for _ in range(args.rounds):
                began = time.perf_counter()
                stats._count_live(period, None, utcnow(), {}, {}, Counter(),
                                  only=rollup.unsettled(current))
                live.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                stats.report(period)
                whole.append((time.perf_counter() - began) * 1000)
                db.session.rollback()
            ms = statistics.median(live)
            points.append((cases, ms))
            per_case = f"{ms * 1000 / cases:13.2f}" if cases else f"{'-':>13}"
            print(f"  {days:>5} {cases:>10,} {ms:9.1f} {statistics.median(whole):10.1f} "
                  f"{per_case}")
        slope, intercept = fit(points)
        print(f"  per unsettled case (slope): {slope * 1000:.2f} us; fixed: {intercept:.1f} ms; "
              f"60,000 unsettled cases would take about {intercept + slope * 60000:.0f} ms")
        print(f"\n  the /cases header's queue counts ({queries.__name__}.queue_counts), "
              f"{len(OPEN_STATUSES)} open statuses, "
              f"{db.session.scalar(select(func.count()).where(Case.status.in_(OPEN_STATUSES))):,}"
              " open cases:")
        for username in ("supervisor", "urban"):
            actor = Actor.from_user(db.session.query(User).filter_by(username=username).one())
            times = []
            for _ in range(args.rounds * 3):
                began = time.perf_counter()
                queries.queue_counts(actor)
                times.append((time.perf_counter() - began) * 1000)
            db.session.rollback()
            print(f"    {username:<11} median {statistics.median(times):6.1f} ms  "
                  f"min {min(times):6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
