"""Latency of the oversight dashboard and the stats API over 1,000,000 cases on PostgreSQL.

    .venv/bin/python bench/stats_bench.py --reuse          # reuse hotline_bench (api_bench's data)
    .venv/bin/python bench/stats_bench.py                  # generate 1,000,000 cases first
    .venv/bin/python bench/stats_bench.py --reuse --skip-full-refresh   # keep the rollup
    .venv/bin/python bench/stats_bench.py --reuse --skip-full-refresh --source ../other  # compare

Goal: p95 <= 500 ms for the dashboard and the stats API on 2 cores. It builds the rollup
(timed), serves hotline with gunicorn, signs in, and times each endpoint in runs of
sequential requests; it prints p50/p95 per run and their medians, and PASS/FAIL per goal.
See bench/README.md. It exits non-zero only when it crashes, never because a goal was missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
from _load import Client, timed_sequence  # noqa: E402
from api_bench import INSTANCE, Server, free_port, log, prepare_database, signed_in  # noqa: E402

GOAL_P95_MS = 500.0


def rollup(*, full: bool) -> dict:
    """Create the oversight tables if missing, then rebuild the rollup in this process."""
    from hotline.app import create_app
    from hotline.extensions import db
    from hotline.models import StatsDaily, StatsMonthly, StatsState, utcnow
    from hotline.services import periods
    from hotline.services.rollup import refresh
    from hotline.unit_of_work import unit_of_work

    app = create_app({"DATABASE_URL": _pg.SQLALCHEMY_URL, "REDIS_URL": _pg.REDIS_URL,
                      "INSTANCE_PATH": str(INSTANCE), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        for table in (StatsDaily.__table__, StatsMonthly.__table__, StatsState.__table__):
            table.create(db.engine, checkfirst=True)
        out = {}
        if full:
            last = [time.perf_counter()]

            def progress(done: int, total: int) -> None:
                if done and (done % 100 == 0 or done == total):
                    log(f"    {done:>4} / {total} days  {time.perf_counter() - last[0]:6.1f} s")

            began = time.perf_counter()
            with unit_of_work():
                result = refresh(full=True, progress=progress)
            out["full"] = (result["days"], time.perf_counter() - began)
        began = time.perf_counter()
        with unit_of_work():
            result = refresh()
        out["incremental"] = (result["days"], time.perf_counter() - began)
        out["rows"] = db.session.query(StatsDaily).count()
        out["monthly_rows"] = db.session.query(StatsMonthly).count()
        today = periods.local_date(utcnow())
        out["today"] = today
        db.engine.dispose()
    return out


def endpoints(today) -> list[tuple[str, str, bool]]:
    """(name, path, has a goal) of every request the bench times."""
    year = (today - timedelta(days=364)).isoformat()
    month = (today - timedelta(days=29)).isoformat()
    last_month = (today.replace(day=1) - timedelta(days=1))
    lm = f"from={last_month.replace(day=1).isoformat()}&to={last_month.isoformat()}"
    return [
        ("dashboard 30 days (supervisor)", "S:/oversight", True),
        ("dashboard last month (supervisor)", f"S:/oversight?{lm}", True),
        ("dashboard 365 days (supervisor)", f"S:/oversight?from={year}", True),
        ("dashboard 30 days, URBAN picked", "S:/oversight?department=URBAN", True),
        ("dashboard 30 days (urban staff)", "U:/oversight", True),
        ("dashboard xlsx export 30 days", "S:/oversight?format=xlsx", False),
        ("GET /api/v1/stats 30 days", "T:/api/v1/stats", True),
        ("GET /api/v1/stats 365 days", f"T:/api/v1/stats?from={year}", True),
        ("GET /api/v1/stats URBAN 30 days", "T:/api/v1/stats?department=URBAN", True),
        ("drill-down /cases?kpi=handle_late", f"S:/cases?kpi=handle_late&from={month}", False),
        ("drill-down /cases?kpi=dissatisfied", f"S:/cases?kpi=dissatisfied&from={month}",
         False),
        ("GET /oversight/hotspots", "S:/oversight/hotspots", False),
    ]


def measure(port: int, token: str, today, *, requests: int, runs: int) -> dict[str, list]:
    clients = {"S": signed_in(port, "supervisor"), "U": signed_in(port, "urban"),
               "T": Client(port, token=token)}
    results: dict[str, list] = {}
    for name, spec, _goal in endpoints(today):
        who, path = spec.split(":", 1)
        client = clients[who]
        count = requests if "xlsx" not in path and "hotspots" not in path else max(
            10, requests // 5)
        timed_sequence(client, [path] * 3)  # warm up
        results[name] = []
        for run in range(runs):
            result = timed_sequence(client, [path] * count)
            results[name].append(result)
            log(f"    {name:<38} run {run + 1}: n={len(result.latencies):<4} "
                f"p50 {result.ms(50):6.1f} ms  p95 {result.ms(95):6.1f} ms  "
                f"errors {len(result.errors)}")
            for error in result.errors[:2]:
                log(f"      ! {error}")
    for client in clients.values():
        client.close()
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse hotline_bench when it holds enough cases")
    parser.add_argument("--requests", type=int, default=60, help="requests per endpoint per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="2x4", help="gunicorn -w W --threads T as WxT")
    parser.add_argument("--skip-full-refresh", action="store_true",
                        help="keep the existing rollup (only an incremental refresh is timed)")
    parser.add_argument("--source", type=Path,
                        help="serve hotline from another checkout (another commit) to compare; "
                             "the rollup is still refreshed by this one")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    env = (_pg.hotline_env(str(INSTANCE), args.source.resolve()) if args.source
           else _pg.hotline_env(str(INSTANCE)))
    log(f"stats bench: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    log(f"  serving hotline from {args.source or 'this checkout'}")
    served = args.source
    args.source, args.patch = "worktree", []
    prepare_database(args, env)
    args.source = served
    log("  " + _pg.describe())
    log("\n== rollup (stats_daily) refresh, in-process")
    built = rollup(full=not args.skip_full_refresh)
    if "full" in built:
        days, seconds = built["full"]
        log(f"  full refresh: {days} days in {seconds:.1f} s")
    days, seconds = built["incremental"]
    log(f"  incremental refresh right after: {days} days in {seconds:.2f} s")
    log(f"  stats_daily rows: {built['rows']:,}; stats_monthly rows: {built['monthly_rows']:,}")
    token = _pg.hotline_cli(["token", "create", "supervisor", "--name", "stats-bench"],
                            env).strip().splitlines()[-1]
    workers, threads = (int(x) for x in args.workers.lower().split("x"))
    server = Server(env, workers, threads, free_port())
    log(f"\n== gunicorn -w {workers} --threads {threads} on 127.0.0.1:{server.port}: "
        f"{args.runs} runs x {args.requests} sequential requests per endpoint")
    try:
        server.wait_ready()
        results = measure(server.port, token, built["today"], requests=args.requests,
                          runs=args.runs)
        errors = server.error_lines()
    finally:
        server.stop()
    print_summary(results, built, errors, built["today"])
    return 0


def print_summary(results: dict[str, list], built: dict, errors: list[str], today) -> None:
    log("\n== summary (medians of the runs' p50 and p95)")
    if "full" in built:
        log(f"  rollup full refresh: {built['full'][0]} days in {built['full'][1]:.1f} s")
    log(f"  rollup incremental refresh: {built['incremental'][0]} days in "
        f"{built['incremental'][1]:.2f} s")
    header = f"  {'endpoint':<38} {'p50 ms':>8} {'p95 ms':>8} {'goal':>10}  verdict"
    log(header)
    log("  " + "-" * (len(header) - 2))
    goals = {name: goal for name, _path, goal in endpoints(today)}
    for name, runs in results.items():
        p50 = statistics.median(r.ms(50) for r in runs)
        p95 = statistics.median(r.ms(95) for r in runs)
        failed = sum(len(r.errors) for r in runs)
        verdict = ""
        if goals[name]:
            verdict = "PASS" if p95 <= GOAL_P95_MS and not failed else "FAIL"
        goal = f"<= {GOAL_P95_MS:.0f}" if goals[name] else "-"
        log(f"  {name:<38} {p50:8.1f} {p95:8.1f} {goal:>10}  {verdict}"
            + (f"  ({failed} errors)" if failed else ""))
    log(f"  server error lines: {len(errors)}" + (f", e.g. {errors[0][:160]}" if errors else ""))


if __name__ == "__main__":
    sys.exit(main())
