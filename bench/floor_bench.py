"""``POST /api/v1/cases`` against the framework's floor, in one run.

The floor is ``bench/peers/bare_create.py`` (a copy of ``../shared/peers/bare_create.py``): a
bare Flask endpoint that checks a bearer token from a set, validates the body and inserts one
case row and two event rows with SQLAlchemy Core in one transaction on PostgreSQL. Both
servers run under the same gunicorn settings (4 workers x 4 gthread threads) and are driven
by the same 24 keep-alive clients with the same body, interleaved: a warm-up, then rounds of
1,500 creates each (as ``compare_create.py`` beside the peer does). Printed per round: rate,
p95 and the server CPU per create (user + system time of the gunicorn process group from
/proc); then the medians, the ratio of hotline's rate to the floor's and of its CPU per
create to the floor's. Absolute figures drift with the machine's load; the ratio in one run
does not.

    BENCH_DB_NAME=bench_w19 BENCH_REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/floor_bench.py                    # the work tree
    .venv/bin/python bench/floor_bench.py --source 3283d7f       # a commit (exported)

Needs the benchmark database built by ``api_bench.py`` (``BENCH_DB_NAME``, 1,000,000 cases
by default); the floor gets a database of its own (``<bench db>_floor``, its tables
emptied at each start). Cases the run posts to hotline are deleted after each round.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
import api_bench  # noqa: E402
import psycopg  # noqa: E402
from api_bench import Server, export_source, free_port  # noqa: E402

INSTANCE = Path(os.environ.get("BENCH_INSTANCE", f"/tmp/{_pg.DB_NAME}_instance"))
PEER_DIR = Path(__file__).resolve().parent / "peers"
PEER_TOKEN = "floor-token"
# The body of compare_create.py: a named department, so the case is dispatched at once.
BODY = {"channel": "phone", "title": "占道经营",
        "content": "书院街路口每天早上占道卖菜，影响通行，希望尽快处理",
        "citizen": {"name": "陈先生", "phone": "13800001111"}, "address": "锦江区书院街",
        "department": "URBAN"}


def log(message: str = "") -> None:
    print(message, flush=True)


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every live process of a process group."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def drive(port: int, token: str, count: int, clients: int, pgid: int) -> dict:
    """``count`` creates from ``clients`` keep-alive connections: rate, p95, answers, CPU."""
    body = json.dumps(BODY, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    lock = threading.Lock()
    left, codes, latencies = [count], {}, []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/cases", body, headers)
            response = conn.getresponse()
            response.read()
            with lock:
                codes[response.status] = codes.get(response.status, 0) + 1
                latencies.append(time.perf_counter() - t0)
        conn.close()

    cpu0, t0 = group_cpu(pgid), time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.perf_counter() - t0, group_cpu(pgid) - cpu0
    latencies.sort()
    return {"rate": count / seconds, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
            "codes": codes, "cpu_ms": cpu / count * 1000}


class Peer:
    """The floor under gunicorn, with the same settings as hotline."""

    def __init__(self, workers: int, threads: int, database: str) -> None:
        self.port = free_port()
        env = dict(os.environ, PEER_TOKEN=PEER_TOKEN,
                   PEER_DB=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}")
        exe = Path(sys.executable).with_name("gunicorn")
        self._log = open(INSTANCE / "gunicorn-floor.log", "wb")  # noqa: SIM115 - stop() closes
        self.proc = subprocess.Popen(
            [str(exe), "-w", str(workers), "--threads", str(threads), "-k", "gthread",
             "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "bare_create:app"],
            cwd=PEER_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the floor's gunicorn exited: see gunicorn-floor.log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the floor did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self._log.close()


def floor_database(name: str) -> None:
    """The floor's own database, its two tables emptied (created by the peer at start)."""
    with psycopg.connect(_pg.ADMIN_DSN, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}",
                                 autocommit=True) as peer:
                peer.execute("DROP TABLE IF EXISTS peer_case, peer_event")
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def last_case_id() -> int:
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        return conn.execute('SELECT coalesce(max(id), 0) FROM "case"').fetchone()[0]


def remove_cases_after(case_id: int) -> int:
    """Delete what the run posted: cases above ``case_id``, their events, pushes, citizens."""
    with psycopg.connect(_pg.BENCH_DSN) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute('CREATE TEMP TABLE f_gone ON COMMIT DROP AS SELECT id, citizen_id '
                     'FROM "case" WHERE id > %s', (case_id,))
        removed = conn.execute("SELECT count(*) FROM f_gone").fetchone()[0]
        conn.execute("DELETE FROM case_event WHERE case_id IN (SELECT id FROM f_gone)")
        conn.execute("DELETE FROM outbox_message WHERE case_id IN (SELECT id FROM f_gone)")
        conn.execute('DELETE FROM "case" WHERE id IN (SELECT id FROM f_gone)')
        conn.execute("DELETE FROM citizen WHERE id IN (SELECT citizen_id FROM f_gone)")
        conn.commit()
    return removed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", action="append", default=[],
                        help="hotline to run: worktree (default), a git ref or a folder; "
                             "repeat to compare versions in one run (they share the database)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=1500, help="creates per round and server")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    return parser.parse_args()


def wait_live(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until the liveness probe answers (readiness is 503 here: no worker, no sweep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/v1/health/live")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer its liveness probe")


def start_hotlines(sources: list[str], args: argparse.Namespace) -> list[tuple]:
    """(name, server, token, exported folder) for each source, all healthy."""
    started = []
    for ref in sources:
        folder = export_source(ref, [])
        env = _pg.hotline_env(str(INSTANCE), folder)
        try:  # a source may bring a migration; an older one finds a newer schema: fine
            _pg.hotline_cli(["init-db"], env)
        except RuntimeError as exc:
            log(f"  {ref}: init-db refused ({str(exc).strip().splitlines()[-1][:120]})")
        token = _pg.hotline_cli(["token", "create", "agent", "--name", "floor-bench"],
                                env).strip().splitlines()[-1]
        api_bench.INSTANCE = INSTANCE / f"hotline-{len(started)}"
        api_bench.INSTANCE.mkdir(parents=True, exist_ok=True)
        server = Server(env, args.workers, args.threads, free_port(),
                        extra=["-k", "gthread", "--no-control-socket"])
        started.append((f"hotline@{ref}", server, token, folder))
        wait_live(server.port, server.proc)
    return started


def main() -> int:
    args = parse_args()
    # a timeout's SIGTERM still stops the servers and removes the cases (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sources = args.source or ["worktree"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    cases = _pg.case_count()
    if not cases:
        log(f"database {_pg.DB_NAME} is empty: build it first (bench/api_bench.py --cases N)")
        return 1
    log(f"floor bench: {os.cpu_count()} cores; hotline on {_pg.DB_NAME} ({cases:,} cases), "
        f"redis {_pg.REDIS_URL} (emptied: {_pg.flush_redis()} keys); gunicorn "
        f"-w {args.workers} --threads {args.threads} gthread; {args.clients} clients")
    floor_db = f"{_pg.DB_NAME}_floor"
    floor_database(floor_db)
    # the peer creates its tables at import: once here, not in four workers at a time
    subprocess.run([sys.executable, "-c", "import bare_create"], cwd=PEER_DIR, check=True,
                   env=dict(os.environ, PEER_DB=f"postgresql+psycopg://postgres@127.0.0.1:5432/"
                            f"{floor_db}"))
    first_id = last_case_id()
    peer = Peer(args.workers, args.threads, floor_db)
    hotlines: list[tuple] = []
    try:
        peer.wait_ready()
        hotlines = start_hotlines(sources, args)
        targets = [(name, server.port, token, server.proc.pid)
                   for name, server, token, _ in hotlines]
        targets.append(("bare-flask floor", peer.port, PEER_TOKEN, peer.proc.pid))
        results: dict[str, list[dict]] = {t[0]: [] for t in targets}
        for _name, port, token, pgid in targets:
            drive(port, token, args.warmup, args.clients, pgid)
            remove_cases_after(first_id)
        for round_no in range(args.rounds):
            for name, port, token, pgid in targets:
                out = drive(port, token, args.count, args.clients, pgid)
                # every round starts from the same archive; and versions that number cases
                # differently (a counter row, a sequence) never meet each other's numbers
                remove_cases_after(first_id)
                results[name].append(out)
                log(f"round {round_no + 1}  {name:<28} {out['rate']:6.1f}/s  p95 "
                    f"{out['p95_ms']:6.1f} ms  server cpu {out['cpu_ms']:5.2f} ms/create  "
                    f"answers {out['codes']}")
        summarize(results, floor="bare-flask floor")
    finally:
        for _name, server, _token, folder in hotlines:
            server.stop()
            if folder != _pg.ROOT and folder.name.startswith("hotline_bench_src_"):
                subprocess.run(["rm", "-rf", str(folder)], check=False)
        peer.stop()
        log(f"removed {remove_cases_after(first_id)} cases this run posted; "
            f"redis emptied ({_pg.flush_redis()} keys)")
    return 0


def summarize(results: dict[str, list[dict]], floor: str) -> None:
    """Medians per server, then each hotline against the floor of the same run."""
    rate = {k: statistics.median(r["rate"] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r["cpu_ms"] for r in v) for k, v in results.items()}
    log("\nmedian of rounds:")
    for name in results:
        log(f"  {name:<28} {rate[name]:6.1f} creates/s   server cpu {cpu[name]:5.2f} ms/create")
    for name in results:
        if name == floor:
            continue
        log(f"{name}: rate ratio {rate[name] / rate[floor]:.2f}x the floor (goal >= 0.5), "
            f"cpu {cpu[name] / cpu[floor]:.2f}x the floor's (goal <= 2)")


if __name__ == "__main__":
    sys.exit(main())
