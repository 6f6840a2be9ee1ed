"""Throughput and latency benchmark of hotline under gunicorn on PostgreSQL.

    .venv/bin/python bench/api_bench.py                  # 1,000,000 cases (generates them)
    .venv/bin/python bench/api_bench.py --reuse          # reuse hotline_bench if it is filled
    .venv/bin/python bench/api_bench.py --cases 100000   # a quicker run

See bench/README.md for what it measures and prints. It exits non-zero only when it crashes,
never because a goal was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
import psycopg  # noqa: E402
from _load import (  # noqa: E402
    Client,
    CpuMonitor,
    PgWaitSampler,
    RunResult,
    run_concurrent,
    timed_sequence,
)

GOAL_CREATE_RATE = 300.0  # cases/s
GOAL_PAGE_P95_MS = 50.0
PASSWORD = "demo-hotline-2025"
INSTANCE = Path(os.environ.get("BENCH_INSTANCE")
                or Path(tempfile.gettempdir()) / "hotline_bench_instance")

CHANNELS = ("phone",) * 7 + ("wechat", "wechat", "mailbox", "webchat", "sms", "email", "api")


def log(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- gunicorn

class Server:
    """gunicorn serving ``hotline.app:create_app()`` on 127.0.0.1, stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, port: int,
                 extra: list[str] | None = None) -> None:
        self.port = port
        self.workers, self.threads = workers, threads
        self.log_path = INSTANCE / f"gunicorn-{workers}x{threads}.log"
        exe = Path(sys.executable).with_name("gunicorn")
        command = [str(exe), "-w", str(workers), "--threads", str(threads),
                   "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10",
                   *(extra or []), "hotline.app:create_app()"]
        self.command = command
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        # gunicorn puts its working directory first on sys.path: run it in the source tree
        self.proc = subprocess.Popen(command, env=env, cwd=env["BENCH_HOTLINE_SOURCE"],
                                     stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                client = Client(self.port, timeout=2)
                # live, not ready: the bench runs no RQ worker, so readiness answers 503
                if client.request("GET", "/api/v1/health/live").status == 200:
                    client.close()
                    # every worker imports lazily: touch them all before measuring
                    for _ in range(self.workers * 4):
                        Client(self.port, timeout=5).request("GET", "/api/v1/health/live")
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become healthy:\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def error_lines(self) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines()
                if " ERROR " in line or "Traceback" in line or "[CRITICAL]" in line]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def export_source(ref: str, patches: list[str]) -> Path:
    """The project tree to benchmark: the work tree itself, or a git ref exported to a temp
    folder with optional patches applied (so a proposed fix is measured without touching
    the work tree)."""
    if ref == "worktree" and not patches:
        return _pg.ROOT
    if ref != "worktree" and Path(ref).is_dir():
        base = Path(ref).resolve()
        if not patches:
            return base
    target = Path(tempfile.mkdtemp(prefix="hotline_bench_src_"))
    if ref == "worktree":
        subprocess.run(["cp", "-a", f"{_pg.ROOT}/.", str(target)], check=True)
        for junk in (".venv", ".git", "bench"):
            subprocess.run(["rm", "-rf", str(target / junk)], check=True)
    elif Path(ref).is_dir():
        subprocess.run(["cp", "-a", f"{ref}/.", str(target)], check=True)
    else:
        archive = subprocess.run(["git", "-C", str(_pg.ROOT), "archive", ref],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for patch in patches:
        subprocess.run(["git", "apply", "-p1", str(Path(patch).resolve())], cwd=target,
                       check=True)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- data for requests

def reference_data() -> dict:
    """Categories with their departments, and case numbers to request."""
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        cats = conn.execute("""
            SELECT c.code, d.code FROM category c JOIN department d
              ON d.id = c.default_department_id WHERE c.active""").fetchall()
        districts = dict(conn.execute(
            "SELECT district, code FROM department WHERE district IS NOT NULL "
            "AND parent_id IS NULL").fetchall())
        urban = conn.execute("SELECT id FROM department WHERE code = 'URBAN'").fetchone()[0]
        # 200 URBAN cases at random (mostly closed, as in life) and 50 of its open ones
        urban_any = [r[0] for r in conn.execute(
            'SELECT number FROM "case" WHERE department_id = %s ORDER BY random() LIMIT 200',
            (urban,)).fetchall()]
        urban_open = [r[0] for r in conn.execute(
            """SELECT number FROM "case" WHERE department_id = %s
               AND status IN ('dispatched', 'in_progress') ORDER BY random() LIMIT 50""",
            (urban,)).fetchall()]
        any_dept = [r[0] for r in conn.execute(
            'SELECT number FROM "case" ORDER BY random() LIMIT 200'
        ).fetchall()]
    return {"categories": cats, "districts": districts, "urban_cases": urban_any,
            "urban_open": urban_open, "any_cases": any_dept}


def case_payloads(count: int, run: str, ref: dict, seed: int) -> list[dict]:
    """Realistic request bodies: the texts, addresses and routing a call centre sends."""
    rng = random.Random(seed)
    dept_of = dict(ref["categories"])
    texts = [(code, item) for code, items in _pg.TEXTS.items() if code in dept_of
             for item in items]
    bodies = []
    for i in range(count):
        code, (rtype, title, content) = rng.choice(texts)
        address, district, _street = rng.choice(_pg.ADDRESSES)
        body: dict = {
            "channel": rng.choice(CHANNELS),
            "content": content.format(a=address),
            "title": title if rng.random() < 0.6 else None,
            "address": address,
            "type": rtype,
            "urgency": "urgent" if rng.random() < 0.03 else "normal",
            "category": code,
            "external_ref": f"{_pg.BENCH_REF_PREFIX}{run}:{i}",
            "citizen": {"name": rng.choice(_pg.SURNAMES) + rng.choice(("先生", "女士")),
                        "phone": f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}"},
        }
        if body["channel"] == "phone":
            body["recording_ref"] = f"rec/{run}/{i}.wav"
        if rng.random() < 0.7:  # routed at registration; the rest wait for an agent
            local = code in _pg.LOCAL_CATEGORIES and rng.random() < 0.5
            body["department"] = ref["districts"].get(district) if local else dept_of[code]
        bodies.append({k: v for k, v in body.items() if v is not None})
    return bodies


# ---------------------------------------------------------------- measurements

def create_rate(port: int, token: str, ref: dict, *, count: int, clients: int, runs: int,
                tag: str, server_pid: int) -> list[RunResult]:
    results = []
    for run in range(runs + 1):  # run 0 warms up
        n = max(100, count // 10) if run == 0 else count
        bodies = case_payloads(n, f"{tag}-{run}-{int(time.time())}", ref, seed=run)
        with (CpuMonitor(server_pid, _pg.BENCH_DSN, _pg.DB_NAME) as cpu,
              PgWaitSampler(_pg.BENCH_DSN, _pg.DB_NAME) as pg):
            result = run_concurrent(
                port, n, clients, lambda c, i, b=bodies: c.request("POST", "/api/v1/cases",
                                                                   json_body=b[i]),
                expect=201, token=token, deadline_s=120)
        result.cpu = cpu
        label = "warm-up" if run == 0 else f"run {run}"
        log(f"    {label:<8} {result.count:>5} cases in {result.seconds:6.2f} s = "
            f"{result.rate:7.1f} cases/s   p50 {result.ms(50):6.1f} ms  p95 "
            f"{result.ms(95):6.1f} ms  p99 {result.ms(99):6.1f} ms  errors {len(result.errors)}"
            + (f"  reconnects {result.reconnects}" if result.reconnects else ""))
        log(f"             {cpu.line()}")
        log(f"             {cpu.per_request(max(1, result.count))}")
        log(f"             {pg.line()}")
        for error in result.errors[:3]:
            log(f"      ! {error}")
        if run:
            results.append(result)
        else:
            warmup_errors = len(result.errors)
    for result in results:
        result.warmup_errors = warmup_errors
    return results


def signed_in(port: int, username: str) -> Client:
    client = Client(port)
    form = client.request("GET", "/login").body.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    response = client.request("POST", "/login", form={"username": username,
                                                      "password": PASSWORD,
                                                      "csrf_token": csrf[1] if csrf else ""})
    if response.status != 302 or "session" not in client.cookies:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {response.status}")
    return client


def page_latency(port: int, token: str, ref: dict, *, requests: int,
                 concurrency: int) -> dict[str, RunResult]:
    staff = signed_in(port, "urban")
    api = Client(port, token=token)
    case_paths = [f"/cases/{n}" for n in ref["urban_cases"]]
    case_paths = (case_paths * (requests // max(1, len(case_paths)) + 1))[:requests]
    api_paths = [f"/api/v1/cases/{n}" for n in ref["any_cases"]]
    api_paths = (api_paths * (requests // max(1, len(api_paths)) + 1))[:requests]
    open_paths = [f"/cases/{n}" for n in ref["urban_open"]]
    pages = {
        "GET /workbench (urban)": (staff, ["/workbench"] * requests),
        "GET /cases/<number> (URBAN)": (staff, case_paths),
        "GET /cases/<number> (open)": (staff, open_paths),
        "GET /api/v1/cases/<number>": (api, api_paths),
        "GET /api/v1/cases?department=URBAN": (
            api, ["/api/v1/cases?department=URBAN&limit=50"] * requests),
    }
    for client, paths in pages.values():  # warm the workers' caches and connections
        timed_sequence(client, paths[:10])
    results: dict[str, RunResult] = {}
    for name, (client, paths) in pages.items():
        results[name] = timed_sequence(client, paths)
        _print_latency(name, results[name])
    if concurrency > 1:
        cookie = dict(staff.cookies)

        def with_cookie(client: Client) -> None:
            client.cookies.update(cookie)

        for name, paths in (("GET /workbench", ["/workbench"] * requests),
                            ("GET /cases/<number>", case_paths)):
            label = f"{name} x{concurrency} clients"
            results[label] = run_concurrent(port, len(paths), concurrency,
                                             lambda c, i, p=paths: c.request("GET", p[i]),
                                             setup=with_cookie, deadline_s=120)
            _print_latency(label, results[label])
    staff.close()
    api.close()
    return results


def _print_latency(name: str, result: RunResult) -> None:
    log(f"    {name:<40} n={len(result.latencies):<4} p50 {result.ms(50):6.1f} ms  "
        f"p95 {result.ms(95):6.1f} ms  p99 {result.ms(99):6.1f} ms  errors {len(result.errors)}")
    for error in result.errors[:3]:
        log(f"      ! {error}")


# ---------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000,
                        help="cases in the database (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep hotline_bench when it already holds --cases cases")
    parser.add_argument("--configs", default="4x4",
                        help="gunicorn WORKERSxTHREADS[+CLASS] settings to measure, comma "
                             "separated (e.g. 2x8,4x4,6x1,4x1+gthread; the class defaults to "
                             "gthread, or sync for one thread); the first is the one the "
                             "summary judges")
    parser.add_argument("--create-count", type=int, default=3000,
                        help="cases per create-rate run (3 runs, the median counts)")
    parser.add_argument("--create-clients", type=int, default=24,
                        help="concurrent API clients posting cases")
    parser.add_argument("--runs", type=int, default=3, help="create-rate runs")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--page-concurrency", type=int, default=4,
                        help="clients for the concurrent page run (1: skip it)")
    parser.add_argument("--profile", action="store_true",
                        help="also count SQL statements per request in-process")
    parser.add_argument("--show-sql", action="store_true", help="with --profile: list them")
    parser.add_argument("--source", default="worktree",
                        help="what to run: 'worktree' (default, the editable install), a git "
                             "ref such as HEAD (exported to a temp folder), or a folder")
    parser.add_argument("--patch", action="append", default=[],
                        help="apply this diff to an exported copy of --source first "
                             "(repeatable); the work tree is never changed")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    return parser.parse_args()


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> dict:
    log(f"== database {_pg.DB_NAME} ({args.cases:,} cases wanted)")
    existing = _pg.case_count() if args.reuse else 0
    info = {"generated": False, "seconds": 0.0}
    if args.reuse and existing >= args.cases:
        removed = _pg.remove_bench_cases()
        log(f"  reusing it: {existing:,} cases ({removed} cases of earlier bench runs removed)")
        try:  # the source may bring migrations the database has not seen yet
            out = _pg.hotline_cli(["init-db"], env).strip().splitlines()
            log("  hotline init-db: " + (out[-1] if out else "ok"))
        except RuntimeError as exc:
            log("  ! hotline init-db failed on the reused database; if the run fails, "
                "regenerate it (no --reuse):\n    "
                + "\n    ".join(str(exc).strip().splitlines()[-3:]))
        return info
    if args.reuse:
        log(f"  --reuse: it holds {existing:,} cases, fewer than wanted: generating anew")
    t0 = time.perf_counter()
    _pg.recreate_database()
    _pg.prepare_schema(env)
    demo = _pg.case_count()
    log(f"  generating {args.cases - demo:,} cases in SQL ...")
    _pg.generate(args.cases - demo)
    info.update(generated=True, seconds=time.perf_counter() - t0)
    log(f"  generation took {info['seconds']:.1f} s in all (database, schema, demo, data, "
        "indexes, vacuum analyze)")
    return info


def main() -> int:
    args = parse_args()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    source = export_source(args.source, args.patch)
    try:
        return bench(args, source)
    finally:
        if source != _pg.ROOT and source.name.startswith("hotline_bench_src_"):
            shutil.rmtree(source, ignore_errors=True)


def bench(args: argparse.Namespace, source: Path) -> int:
    env = _pg.hotline_env(str(INSTANCE), source)
    log(f"hotline bench: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
        f"instance {INSTANCE}")
    log(f"  source: {source}" + (f" ({args.source}"
                                 + "".join(f" + {p}" for p in args.patch) + ")"
                                 if source != _pg.ROOT else " (work tree)"))
    log(f"  redis {_pg.REDIS_URL}: emptied ({_pg.flush_redis()} keys of earlier runs)")
    db_info = prepare_database(args, env)
    log("  " + _pg.describe())
    token = _pg.hotline_cli(["token", "create", "agent", "--name", "bench"],
                            env).strip().splitlines()[-1]
    ref = reference_data()

    if args.profile:
        log("\n== in-process profile (Flask test client, no HTTP; median of 20)")
        spec = {"token": token, "case_numbers": ref["urban_cases"],
                "api_numbers": ref["any_cases"], "show_sql": args.show_sql}
        child = subprocess.run([sys.executable, str(Path(__file__).with_name("_profile.py"))],
                               input=json.dumps(spec), text=True, env=env,
                               cwd=env["BENCH_HOTLINE_SOURCE"], capture_output=True,
                               timeout=600)
        log(child.stdout.rstrip())
        if child.returncode != 0:
            log("  profile failed:\n" + child.stderr[-2000:])
        _pg.remove_bench_cases()

    summaries = []
    for config in args.configs.split(","):
        size, _, worker_class = config.lower().partition("+")
        workers, threads = (int(x) for x in size.split("x"))
        worker_class = worker_class or ("gthread" if threads > 1 else "sync")
        server = Server(env, workers, threads, free_port(), extra=["-k", worker_class])
        log(f"\n== gunicorn -w {workers} --threads {threads} "
            f"({worker_class} workers) on 127.0.0.1:{server.port}")
        try:
            server.wait_ready()
            summary = {"config": config}
            if not args.skip_create:
                log(f"  create-rate: {args.create_clients} clients x keep-alive, "
                    f"{args.create_count} cases per run")
                runs = create_rate(server.port, token, ref, count=args.create_count,
                                   clients=args.create_clients, runs=args.runs, tag=config,
                                   server_pid=server.proc.pid)
                summary["create"] = runs
            if not args.skip_pages:
                log(f"  page latency: {args.requests} requests per page, one client "
                    "(then a concurrent run)")
                with CpuMonitor(server.proc.pid, _pg.BENCH_DSN, _pg.DB_NAME) as cpu:
                    summary["pages"] = page_latency(server.port, token, ref,
                                                    requests=args.requests,
                                                    concurrency=args.page_concurrency)
                log(f"    during the page runs: {cpu.line()}")
                summary["pages_cpu"] = cpu
            errors = server.error_lines()
            summary["server_errors"] = len(errors)
            if errors:
                log(f"  gunicorn log has {len(errors)} error lines, e.g. {errors[0][:200]}")
            summaries.append(summary)
        finally:
            server.stop()
            log(f"  gunicorn stopped (exit {server.proc.returncode})")
    _pg.remove_bench_cases()
    print_summary(summaries, db_info)
    return 0


def print_summary(summaries: list[dict], db_info: dict) -> None:
    log("\n== summary (goal vs measured)")
    if db_info["generated"]:
        log(f"  data generation: {db_info['seconds']:.1f} s")
    header = f"  {'gunicorn':<8} {'measure':<44} {'goal':>12} {'measured':>12}  verdict"
    log(header)
    log("  " + "-" * (len(header) - 2))
    for summary in summaries:
        config = summary["config"]
        rows = []
        if "create" in summary:
            runs = summary["create"]
            rate = statistics.median(r.rate for r in runs)
            errors = sum(len(r.errors) for r in runs)
            p50 = statistics.median(r.ms(50) for r in runs)
            p95 = statistics.median(r.ms(95) for r in runs)
            rows.append(("POST /api/v1/cases rate (median of runs)", f">= {GOAL_CREATE_RATE:.0f}/s",
                         f"{rate:.1f}/s", rate >= GOAL_CREATE_RATE))
            warm = runs[0].warmup_errors if runs else 0
            rows.append(("POST /api/v1/cases errors" + (f" (+{warm} in warm-up)" if warm else ""),
                         "0", str(errors), errors == 0))
            rows.append(("POST /api/v1/cases p50 / p95 (ms)", "-", f"{p50:.0f} / {p95:.0f}", None))
            ceiling = statistics.median(r.cpu.ceiling(r.count) for r in runs)
            other = statistics.median(r.cpu.usage["other"] for r in runs)
            rows.append(("  CPU-bound ceiling on idle cores (cases/s)",
                         f">= {GOAL_CREATE_RATE:.0f}/s", f"{ceiling:.0f}/s", None))
            rows.append(("  other processes' CPU during the runs", "-", f"{other:.2f} cores",
                         None))
        for name, result in summary.get("pages", {}).items():
            goal = name.startswith(("GET /workbench (urban)", "GET /cases/<number> (URBAN)"))
            p95 = result.ms(95)
            ok = (p95 <= GOAL_PAGE_P95_MS and not result.errors) if goal else None
            rows.append((f"{name} p95", f"<= {GOAL_PAGE_P95_MS:.0f} ms" if goal else "-",
                         f"{p95:.1f} ms", ok))
        if "pages_cpu" in summary:
            rows.append(("  other processes' CPU during the page runs", "-",
                         f"{summary['pages_cpu'].usage['other']:.2f} cores", None))
        rows.append(("server error lines", "0", str(summary.get("server_errors", 0)),
                     summary.get("server_errors", 0) == 0))
        for name, goal, measured, ok in rows:
            verdict = "" if ok is None else ("PASS" if ok else "FAIL")
            log(f"  {config:<8} {name:<44} {goal:>12} {measured:>12}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
