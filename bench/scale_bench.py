"""Does hotline's cost grow with its history? Generate an archive, then time the reads that
touch it, in-process (Flask's test client against PostgreSQL, no HTTP), and print p50/p95.

The daily intake is held constant (about 2,740 cases a day, a large city's 1 million a year) so
that a bigger database means a longer history, not a busier present: 1,000,000 cases are one
year, 10,000,000 ten years. Compare sizes by running this once per size on the same machine:

    BENCH_DB_NAME=hotline_bench_me .venv/bin/python bench/scale_bench.py --cases 1000000
    BENCH_DB_NAME=hotline_bench_me .venv/bin/python bench/scale_bench.py --cases 3000000
    ... --reuse                   # measure the existing database again (after a migration)
    ... --compare /tmp/1m.json /tmp/10m.json   # the two runs' figures side by side

Generation time and disk per case are printed; then per read p50/p95 over ``--requests``.
Uses only 127.0.0.1; creates/drops only the database named by BENCH_DB_NAME.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _pg  # noqa: E402
import psycopg  # noqa: E402

PER_DAY = 1_000_000 / 365
PASSWORD = "demo-hotline-2025"
# A street and a problem, as a supervisor types them: words of the generated texts (each in
# a few percent of cases), and words of a street no case names (the archive has no match).
SEARCHES = ("玉林北路 噪音", "书院南街 占道", "宽巷子 烧烤", "电梯故障", "芳草街 施工")
RARE_SEARCHES = ("金沙遗址路 噪音", "天府五街 漏水", "龙泉驿区", "桂溪街道 占道")


def log(message: str) -> None:
    print(message, flush=True)


def generate(n_cases: int, env: dict[str, str]) -> dict:
    """Recreate the bench database with ``n_cases`` cases at a constant daily rate."""
    days = max(30, round(n_cases / PER_DAY))
    log(f"== generating {n_cases:,} cases over {days} days into {_pg.DB_NAME}")
    t0 = time.perf_counter()
    _pg.recreate_database()
    _pg.prepare_schema(env)
    timings = _pg.generate(n_cases - _pg.case_count(), days=days)
    seconds = time.perf_counter() - t0
    log(f"  generation {seconds:.0f} s in all; {_pg.describe()}")
    return {"seconds": seconds, "days": days, "steps": timings}


def disk() -> dict:
    """Bytes per case of the case, event and citizen tables with their indexes."""
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        n = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        rows = conn.execute("""
            SELECT c.relname, pg_total_relation_size(c.oid), pg_indexes_size(c.oid)
            FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
            WHERE s.nspname = 'public' AND c.relkind = 'r'
            ORDER BY 2 DESC LIMIT 6""").fetchall()
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"cases": n, "database_bytes": total, "bytes_per_case": total / max(n, 1),
            "tables": {name: {"total": size, "indexes": idx} for name, size, idx in rows}}


def samples() -> dict:
    """Case numbers, phones and a month to read, drawn from the whole archive."""
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        numbers = [r[0] for r in conn.execute(
            'SELECT c.number FROM "case" c JOIN department d ON d.id = c.department_id '
            "WHERE d.code = 'URBAN' AND c.id % 997 = 0 LIMIT 200")]
        phones = [r[0] for r in conn.execute(
            "SELECT phone FROM citizen WHERE id % 991 = 0 AND phone IS NOT NULL LIMIT 200")]
        month = conn.execute(
            "SELECT to_char(max(created_at) - interval '45 days', 'YYYY-MM') FROM \"case\""
        ).fetchone()[0]
    return {"numbers": numbers, "phones": phones, "month": month}


def reads(s: dict) -> list[tuple[str, str, object]]:
    """(name, who, path of request i) of every read the issue names."""
    y, m = map(int, s["month"].split("-"))
    first = date(y, m, 1)
    last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    today = date.today()
    month_q = f"from={first}&to={last}"
    days = {n: f"from={today - timedelta(days=n - 1)}&to={today}" for n in (30, 365)}

    def cycle(items, fmt):
        return lambda i: fmt.format(quote(items[i % len(items)]))

    return [
        ("workbench (urban)", "urban", lambda i: "/workbench"),
        ("case page", "urban", cycle(s["numbers"], "/cases/{}")),
        ("caller history by phone", "agent", cycle(s["phones"], "/agent/lookup?phone={}")),
        ("text search, common words", "supervisor", cycle(SEARCHES, "/cases?q={}")),
        ("text search, rare words", "supervisor", cycle(RARE_SEARCHES, "/cases?q={}")),
        ("filtered list, one month", "supervisor",
         lambda i: f"/cases?department=URBAN&{month_q}"),
        ("export, one month (open data CSV)", "api",
         lambda i: f"/api/v1/opendata/{s['month']}.csv"),
        ("dashboard 30 days", "supervisor", lambda i: f"/oversight?{days[30]}"),
        ("dashboard 365 days", "supervisor", lambda i: f"/oversight?{days[365]}"),
        ("stats API 30 days", "api", lambda i: f"/api/v1/stats?{days[30]}"),
        ("stats API 365 days", "api", lambda i: f"/api/v1/stats?{days[365]}"),
    ]


def measure(env: dict[str, str], s: dict, n: int, only: set[str] | None,
            skip_rollup: bool = False) -> dict:
    """p50/p95 in ms of each read, ``n`` requests after two warm-ups, plus the deadline sweep."""
    os.environ.update(env)
    from hotline.app import create_app

    token = _pg.hotline_cli(["token", "create", "supervisor", "--name", "scale bench"],
                            env).strip().splitlines()[-1]
    app = create_app()
    results = {} if skip_rollup else {"rollup": _rollups(app)}
    clients = {"api": (app.test_client(), {"Authorization": f"Bearer {token}"})}
    for role in ("urban", "agent", "supervisor"):
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token_field = re.search(r'name="csrf_token" value="([^"]+)"', form)
        response = client.post("/login", data={"username": role, "password": PASSWORD,
                                               "csrf_token": token_field and token_field[1]})
        clients[role] = (client, {}) if response.status_code == 302 else None
    # as gunicorn's post_worker_init does in production (deploy/gunicorn.conf.py): without
    # it one request in about twenty pays a full collection of the loaded app (130-160 ms)
    from hotline import heap

    heap.settle()
    for name, who, path in reads(s):
        if only and name not in only:
            continue
        if clients[who] is None:
            log(f"  {name:<34} skipped: cannot sign in as {who}")
            continue
        client, headers = clients[who]
        times, status = [], None
        for i in range(n + 2):
            t0 = time.perf_counter()
            response = client.get(path(i), headers=headers)
            if i >= 2:
                times.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
        results[name] = _summary(times, status)
        log(f"  {name:<34} p50 {results[name]['p50']:8.1f} ms  p95 {results[name]['p95']:8.1f} ms"
            f"  (HTTP {status})")
    if not only or "deadline sweep" in only:
        results["deadline sweep"] = _sweep(app, n)
    return results


def _rollups(app) -> dict:
    """Time the oversight rollup: built from scratch (every day of the archive: the demo's
    seed leaves a rollup of its own few cases, which an incremental refresh would trust),
    then the incremental refresh the scheduler runs (days whose cases changed since)."""
    from hotline.services import rollup
    from hotline.unit_of_work import unit_of_work

    out = {}
    with app.app_context():
        for kind in ("first", "incremental"):
            t0 = time.perf_counter()
            with unit_of_work():
                done = rollup.refresh(full=kind == "first")
            out[kind] = {"seconds": time.perf_counter() - t0, "days": done["days"]}
            log(f"  rollup refresh, {kind:<11} {out[kind]['seconds']:8.1f} s ({done['days']} days)")
    return out


def _sweep(app, n: int) -> dict:
    from hotline.models import utcnow
    from hotline.services import escalation

    times = []
    with app.app_context():
        for i in range(min(n, 20) + 2):  # two warm-ups, as every read above
            t0 = time.perf_counter()
            escalation.due_case_ids(utcnow())
            if i >= 2:
                times.append((time.perf_counter() - t0) * 1000)
    out = _summary(times, 0)
    log(f"  {'deadline sweep (due cases)':<34} p50 {out['p50']:8.1f} ms  p95 {out['p95']:8.1f} ms")
    return out


def _summary(times: list[float], status) -> dict:
    times = sorted(times)
    return {"p50": statistics.median(times), "p95": times[min(len(times) - 1,
                                                             int(len(times) * 0.95))],
            "n": len(times), "status": status}


def compare(small: dict, large: dict, limit: float = 1.3) -> list[str]:
    """The table of two runs' reads side by side: p50/p95 at each size and the p95 ratio,
    marked when it exceeds ``limit`` (the issue's goal: within 1.3x)."""
    def size(report):
        return f"{report['disk']['cases'] / 1e6:g}M"

    a, b = size(small), size(large)
    lines = [f"| read | {a} p50 | {a} p95 | {b} p50 | {b} p95 | p95 ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, one in small.get("reads", {}).items():
        other = large.get("reads", {}).get(name)
        if name == "rollup" or other is None:
            continue
        ratio = other["p95"] / one["p95"] if one["p95"] else float("inf")
        mark = "" if ratio <= limit else " (over)"
        lines.append(f"| {name} | {one['p50']:.1f} | {one['p95']:.1f} | {other['p50']:.1f} | "
                     f"{other['p95']:.1f} | {ratio:.2f}x{mark} |")
    for label, report in ((a, small), (b, large)):
        rollup = report.get("reads", {}).get("rollup")
        if rollup:
            lines.append(f"rollup at {label}: first build {rollup['first']['seconds']:.0f} s "
                         f"({rollup['first']['days']} days), incremental "
                         f"{rollup['incremental']['seconds']:.1f} s")
        gen = report.get("generation")
        if gen:
            lines.append(f"generation at {label}: {gen['seconds']:.0f} s, "
                         f"{report['disk']['bytes_per_case']:.0f} bytes per case")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the existing database")
    parser.add_argument("--generate-only", action="store_true",
                        help="generate (or reuse) and print disk per case, measure nothing")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", action="append", help="measure only this read (repeatable)")
    parser.add_argument("--skip-rollup", action="store_true",
                        help="do not build/refresh the oversight rollup first")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("SMALL", "LARGE"),
                        help="print two --json files side by side (p95 ratio), measure nothing")
    args = parser.parse_args()
    if args.compare:
        small, large = (json.loads(path.read_text("utf-8")) for path in args.compare)
        print("\n".join(compare(small, large)))
        return 0
    if _pg.DB_NAME == "test":
        raise SystemExit("BENCH_DB_NAME must not be the test database")
    env = _pg.hotline_env("/tmp/hotline_scale_instance")
    report: dict = {"db": _pg.DB_NAME, "cases_wanted": args.cases}
    if not args.reuse:
        report["generation"] = generate(args.cases, env)
    else:
        _pg.hotline_cli(["init-db"], env)
        if args.json and args.json.exists():  # keep the figures of the generation run
            earlier = json.loads(args.json.read_text("utf-8"))
            report["generation"] = earlier.get("generation")
    report["disk"] = disk()
    d = report["disk"]
    log(f"== {d['cases']:,} cases, database {d['database_bytes'] / 1e9:.2f} GB, "
        f"{d['bytes_per_case']:.0f} bytes per case (events, citizens and indexes included)")
    if args.generate_only:
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
        return 0
    log(f"== reads, {args.requests} requests each, in-process")
    report["reads"] = measure(env, samples(), args.requests, set(args.only or ()),
                              args.skip_rollup)
    report["load_average"] = os.getloadavg()
    log("load average at the end: " + " ".join(f"{x:.1f}" for x in report["load_average"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
