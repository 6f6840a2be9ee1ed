"""Inbound SMS webhook throughput under gunicorn on PostgreSQL, and proof that nothing is lost.

    .venv/bin/python bench/intake_bench.py                     # 10,000 messages, 3 runs
    .venv/bin/python bench/intake_bench.py --messages 5000 --runs 1 --inline

Concurrent senders post signed SMS webhooks (``POST /channels/sms``) as fast as gunicorn
accepts them; the hot path is: check the HMAC, store the raw message, commit, answer 200.
A ``hotline worker`` turns the stored messages into cases meanwhile. Afterwards the database is
counted: every accepted message must be a case or a review item, none twice, and a second
delivery of every message must create nothing. ``--inline`` also measures the alternative,
making the case inside the request (``HOTLINE_INTAKE_QUEUE=false``).

Uses its own database ``hotline_intake_bench`` (dropped and re-created on every run) and
Redis database 13 on 127.0.0.1; ``test`` and ``hotline_bench`` are never touched. See
bench/README.md. Exits non-zero only when it crashes or a message is lost or doubled.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import CpuMonitor, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "hotline_intake_bench"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
BENCH_DSN = f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}"
DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET = "bench-sms-secret"
INSTANCE = Path(tempfile.gettempdir()) / "hotline_intake_bench"
GOAL = 500.0  # accepted messages per second on 2 cores
TEXTS = ("{a}路灯坏了好几天，晚上很黑，请尽快修理。", "{a}小区门口占道经营，车辆无法通行。",
         "{a}工地夜间施工噪音扰民，已经持续一周。", "{a}下水道堵塞，污水漫到路面上。",
         "{a}公交站台的顶棚破了，下雨天没法等车。", "{a}垃圾桶满了三天没人清运。")
PLACES = ("锦江区书院街", "青羊区宽巷子", "武侯区玉林北路", "成华区建设路", "金牛区抚琴西路")


def log(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- database and processes


def recreate_database() -> None:
    assert DB_NAME not in ("test", "hotline_bench")
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,))
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def build_schema() -> None:
    """The schema from the models plus what ``hotline init-db`` seeds (time limits, calendar)
    and one agent account for the call-pop measurement."""
    os.environ.update(hotline_env(queue=True))
    from hotline.app import create_app
    from hotline.extensions import db
    from hotline.models import Base
    from hotline.services import directory, sla

    app = create_app()
    with app.app_context():
        Base.metadata.create_all(db.engine)
        sla.seed_default_policies()
        sla.seed_official_calendar()
        directory.add_user("bench_agent", role="agent", password="bench-password-1",
                           display_name="话务员 压测")
        db.session.commit()
        db.engine.dispose()


def hotline_env(*, queue: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATABASE_URL=DATABASE_URL, HOTLINE_REDIS_URL=REDIS_URL,
               HOTLINE_INSTANCE_PATH=str(INSTANCE), HOTLINE_SMS_SECRET=SECRET,
               HOTLINE_SCHEDULING="true", HOTLINE_INTAKE_QUEUE="true" if queue else "false",
               HOTLINE_LOG_LEVEL="WARNING", HOTLINE_SECRET_KEY="bench-secret-key")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """gunicorn (and optionally one ``hotline worker``), stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, hotline_workers: int,
                 worker_nice: int = 0):
        self.port = free_port()
        bin_dir = Path(sys.executable).parent
        self.logs = open(INSTANCE / "processes.log", "ab")  # noqa: SIM115 - closed in stop()
        self.procs = [subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-w", str(workers), "--threads", str(threads),
             "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "10",
             "--backlog", "2048", "hotline.app:create_app()"],
            env=env, cwd=ROOT, stdout=self.logs, stderr=subprocess.STDOUT,
            start_new_session=True)]
        for _ in range(hotline_workers):
            # Acknowledging comes first: on a shared 2-core box the worker yields the CPU to
            # gunicorn during a burst and catches up after it (``--worker-nice``).
            self.procs.append(subprocess.Popen(
                ["nice", "-n", str(worker_nice), str(bin_dir / "hotline"), "worker"], env=env,
                cwd=ROOT, stdout=self.logs, stderr=subprocess.STDOUT, start_new_session=True))

    def worker_ticks(self) -> int:
        """CPU clock ticks of the hotline workers so far, finished work horses included."""
        total = 0
        for proc in self.procs[1:]:
            try:
                with open(f"/proc/{proc.pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        return total

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see " + str(INSTANCE / "processes.log"))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.logs.close()


# ---------------------------------------------------------------- load


def make_messages(prefix: str, count: int, bad_every: int) -> list[tuple[bytes, str]]:
    """Signed webhook bodies: distinct senders and texts; every ``bad_every``-th has no text
    (it must end up in review, not be lost)."""
    rng = random.Random(prefix)
    out = []
    for i in range(count):
        text = "" if bad_every and i % bad_every == bad_every - 1 else \
            rng.choice(TEXTS).format(a=rng.choice(PLACES)) + f"（{prefix}-{i}）"
        body = json.dumps({"message_id": f"{prefix}-{i:07d}", "from": f"1{rng.randint(3, 9)}"
                           f"{i % 10}{rng.randint(10**7, 10**8 - 1)}", "text": text},
                          ensure_ascii=False).encode()
        out.append((body, hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()))
    return out


def send_all(port: int, items: list[tuple[bytes, str]], concurrency: int) -> dict:
    """Post every item once from ``concurrency`` keep-alive connections; returns the rate,
    latencies and what the server answered."""
    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        barrier.wait()
        while True:
            with lock:
                index = cursor[0]
                cursor[0] += 1
            if index >= len(items):
                break
            body, signature = items[index]
            for attempt in (1, 2):
                started = time.perf_counter()
                try:
                    conn.request("POST", "/channels/sms", body=body, headers={
                        "Content-Type": "application/json", "X-Hotline-Signature": signature})
                    response = conn.getresponse()
                    data = response.read()
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    if attempt == 2:  # the gateway would retry later: the message is not lost
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                mine.append(time.perf_counter() - started)
                key = str(response.status)
                if response.status == 200:
                    answer = json.loads(data)
                    key = "duplicate" if answer["duplicate"] else answer["status"]
                with lock:
                    statuses[key] = statuses.get(key, 0) + 1
                break
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    accepted = sum(v for k, v in statuses.items() if not k.isdigit())
    return {"sent": len(items), "accepted": accepted, "seconds": seconds,
            "rate": accepted / seconds, "p50": percentile(latencies, 50) * 1000,
            "p95": percentile(latencies, 95) * 1000, "p99": percentile(latencies, 99) * 1000,
            "statuses": statuses, "errors": errors}


def wait_processed(timeout: float) -> float:
    """Seconds until no message waits for a worker (or the timeout)."""
    began = time.monotonic()
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        while time.monotonic() - began < timeout:
            left = conn.execute("SELECT count(*) FROM inbound_message WHERE status IN "
                                "('received', 'processing')").fetchone()[0]
            if left == 0:
                return time.monotonic() - began
            time.sleep(0.25)
    return float("nan")


def census(prefix: str) -> dict:
    """What became of the messages whose id starts with ``prefix``."""
    like = prefix + "-%"
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        statuses = dict(conn.execute(
            "SELECT status, count(*) FROM inbound_message WHERE external_id LIKE %s "
            "GROUP BY status", (like,)).fetchall())
        stored = sum(statuses.values())
        cases = conn.execute(
            'SELECT count(*), count(DISTINCT c.external_ref) FROM "case" c '
            "JOIN inbound_message m ON c.external_ref = 'inbound:' || m.id "
            "WHERE m.external_id LIKE %s", (like,)).fetchone()
        linked = conn.execute(
            "SELECT count(*) FROM inbound_message m JOIN \"case\" c ON c.id = m.case_id "
            "WHERE m.external_id LIKE %s AND m.status = 'case' "
            "AND c.external_ref = 'inbound:' || m.id", (like,)).fetchone()[0]
        acks = conn.execute(
            "SELECT count(*) FROM outbox_message o JOIN inbound_message m "
            "ON o.idempotency_key = 'intake:' || m.id || ':reply' "
            "WHERE m.external_id LIKE %s", (like,)).fetchone()[0]
    return {"stored": stored, "statuses": statuses, "cases": cases[0],
            "distinct_cases": cases[1], "linked": linked, "acks": acks}


def poll_latency(port: int, polls: int = 300) -> dict:
    """The console's call poll (``GET /agent/calls/next``) with and without a waiting call."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/login", body="username=bench_agent&password=bench-password-1",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    timings = []
    for _ in range(polls):
        started = time.perf_counter()
        conn.request("GET", "/agent/calls/next", headers={"Cookie": cookie})
        conn.getresponse().read()
        timings.append(time.perf_counter() - started)
    conn.close()
    return {"p50": percentile(timings, 50) * 1000, "p95": percentile(timings, 95) * 1000}


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> int:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    log(f"database {DB_NAME} (re-created), Redis {REDIS_URL}, instance {INSTANCE}")
    recreate_database()
    build_schema()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    workers, threads = (int(x) for x in args.gunicorn.split("x"))
    failures = 0
    env = hotline_env(queue=True)
    procs = Processes(env, workers, threads, args.workers, args.worker_nice)
    try:
        procs.wait_ready()
        warm = make_messages("warm", 500, 0)
        send_all(procs.port, warm, args.concurrency)
        wait_processed(120)
        log(f"\n== accepted/s: gunicorn -w {workers} --threads {threads}, {args.workers} hotline "
            f"worker(s), {args.concurrency} concurrent senders, {os.cpu_count()} CPUs")
        rates = []
        for run_no in range(1, args.runs + 1):
            prefix = f"run{run_no}"
            items = make_messages(prefix, args.messages, args.bad_every)
            before = procs.worker_ticks()
            with CpuMonitor(procs.procs[0].pid, BENCH_DSN, DB_NAME) as cpu:
                result = send_all(procs.port, items, args.concurrency)
            worker_cpu = (procs.worker_ticks() - before) / os.sysconf("SC_CLK_TCK")
            rates.append(result["rate"])
            drained = wait_processed(args.drain_timeout)
            total = result["seconds"] + drained
            load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
            log(f"run {run_no}: {result['accepted']}/{result['sent']} accepted in "
                f"{result['seconds']:.1f} s = {result['rate']:.0f}/s  (p50 {result['p50']:.1f} "
                f"ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms); all processed "
                f"{drained:.1f} s later = {result['accepted'] / total:.0f} cases+reviews/s end "
                f"to end; answers {result['statuses']}; errors {len(result['errors'])}; "
                f"load average {load}")
            log(f"       {cpu.line()}; of the other processes, the hotline worker "
                f"{worker_cpu / cpu.seconds:.2f}")
            log(f"       {cpu.per_request(max(1, result['accepted']))}")
            failures += check(prefix, result, args.messages)
            again = send_all(procs.port, items, args.concurrency)  # the gateway retries all
            wait_processed(args.drain_timeout)
            after = census(prefix)
            doubled = after["cases"] - result["_census"]["cases"]
            log(f"       re-delivery of all {args.messages}: answers {again['statuses']}; "
                f"cases now {after['cases']} (new: {doubled})")
            if again["statuses"].get("duplicate") != args.messages or after["cases"] != \
                    result["_census"]["cases"]:
                failures += 1
        median = statistics.median(rates)
        log(f"\nmedian {median:.0f} accepted messages/s (goal {GOAL:.0f}/s): "
            f"{'met' if median >= GOAL else 'NOT met'}")
        poll = poll_latency(procs.port)
        log(f"call pop poll GET /agent/calls/next: p50 {poll['p50']:.1f} ms, p95 "
            f"{poll['p95']:.1f} ms (one LPOP; polled every 2 s per open console)")
    finally:
        procs.stop()
    if args.inline:
        env = hotline_env(queue=False)
        procs = Processes(env, workers, threads, 0)
        try:
            procs.wait_ready()
            send_all(procs.port, make_messages("warm-inline", 300, 0), args.concurrency)
            items = make_messages("inline", args.inline_messages, args.bad_every)
            result = send_all(procs.port, items, args.concurrency)
            log(f"\n== inline (case made inside the request, HOTLINE_INTAKE_QUEUE=false): "
                f"{result['accepted']}/{result['sent']} in {result['seconds']:.1f} s = "
                f"{result['rate']:.0f}/s (p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} "
                f"ms); answers {result['statuses']}")
            failures += check("inline", result, args.inline_messages)
        finally:
            procs.stop()
    log("\nnone lost, none twice" if failures == 0 else f"\n{failures} CHECK(S) FAILED")
    return 1 if failures else 0


def check(prefix: str, result: dict, expected: int) -> int:
    counted = census(prefix)
    result["_census"] = counted
    statuses = counted["statuses"]
    made = statuses.get("case", 0)
    review = statuses.get("review", 0)
    waiting = statuses.get("received", 0) + statuses.get("processing", 0)
    ok = (counted["stored"] == result["accepted"] == expected and made + review == expected
          and waiting == 0 and counted["cases"] == counted["distinct_cases"] == made
          == counted["linked"] and counted["acks"] == made)
    log(f"       census {prefix}: {counted['stored']} stored = {made} cases + {review} in "
        f"review (+{waiting} waiting); {counted['cases']} cases for them, "
        f"{counted['distinct_cases']} distinct, {counted['linked']} linked; {counted['acks']} "
        f"answers queued -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent senders")
    parser.add_argument("--gunicorn", default="3x8", help="workers x threads")
    parser.add_argument("--workers", type=int, default=1, help="hotline worker processes")
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="nice level of the worker processes (0: same priority as the web)")
    parser.add_argument("--bad-every", type=int, default=50,
                        help="every N-th message has no text (goes to review)")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--inline", action="store_true",
                        help="also measure case creation inside the request")
    parser.add_argument("--inline-messages", type=int, default=2000)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
