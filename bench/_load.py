"""A small HTTP load driver on the standard library: persistent connections (http.client),
a cookie jar good enough for one session cookie, bounded concurrent runs and percentiles.

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"


class HttpError(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection, with optional bearer token and session cookies."""

    def __init__(self, port: int, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.reconnects = 0
        self._conn: http.client.HTTPConnection | None = None
        self._used = False

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self._used = False
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, json_body: Any = None,
                form: dict[str, str] | None = None) -> Response:
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            reused = self._used
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                raw = conn.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                # a keep-alive connection the server had already closed: the request never
                # reached the application, so sending it again is safe (urllib3 does the same)
                if attempt == 1 and reused:
                    self.reconnects += 1
                    continue
                raise
            elapsed = time.perf_counter() - start
            self._used = True
            resp_headers = {k.lower(): v for k, v in raw.getheaders()}
            for value in raw.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            if resp_headers.get("connection", "").lower() == "close" or raw.will_close:
                self.close()
            return Response(raw.status, data, resp_headers, elapsed)
        raise AssertionError("unreachable")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which pct % of the samples fall)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(pct / 100 * len(ordered) + 0.4999))))
    return ordered[rank - 1]


@dataclass
class RunResult:
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    cpu: Any = None
    warmup_errors: int = 0

    @property
    def rate(self) -> float:
        return (self.count - len(self.errors)) / self.seconds if self.seconds else 0.0

    def ms(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000


def run_concurrent(port: int, total: int, concurrency: int,
                   send: Callable[[Client, int], Response], *, expect: int = 200,
                   token: str | None = None, deadline_s: float = 300.0,
                   setup: Callable[[Client], None] | None = None) -> RunResult:
    """Send ``total`` requests from ``concurrency`` threads, each with its own keep-alive
    connection; ``send(client, i)`` makes request number i. Stops at ``deadline_s``."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    errors: list[str] = []
    reconnects = [0]
    start_barrier = threading.Barrier(concurrency + 1)
    stop_at = [time.perf_counter() + deadline_s + 60]  # tightened once every thread is ready

    def worker() -> None:
        client = Client(port, token=token)
        if setup is not None:
            setup(client)
        start_barrier.wait()
        mine: list[float] = []
        try:
            while True:
                with lock:
                    i = next_index[0]
                    if i >= total or time.perf_counter() > stop_at[0]:
                        break
                    next_index[0] += 1
                try:
                    response = send(client, i)
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    client.close()
                    continue
                if response.status != expect:
                    with lock:
                        errors.append(f"HTTP {response.status}: {response.body[:200]!r}")
                else:
                    mine.append(response.seconds)
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                reconnects[0] += client.reconnects

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_barrier.wait(timeout=60)
    began = time.perf_counter()
    with lock:
        stop_at[0] = began + deadline_s
    for thread in threads:
        thread.join(timeout=deadline_s + 60)
    elapsed = time.perf_counter() - began
    return RunResult(count=min(next_index[0], total), seconds=elapsed, latencies=latencies,
                     errors=errors, reconnects=reconnects[0])


def timed_sequence(client: Client, paths: list[str], *, expect: int = 200) -> RunResult:
    """GET each path in turn on one connection; latencies of the successful ones."""
    result = RunResult(count=len(paths), seconds=0.0)
    began = time.perf_counter()
    for path in paths:
        try:
            response = client.request("GET", path)
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"{path}: {type(exc).__name__}: {exc}")
            client.close()
            continue
        if response.status != expect:
            result.errors.append(f"{path}: HTTP {response.status}")
        else:
            result.latencies.append(response.seconds)
    result.seconds = time.perf_counter() - began
    result.reconnects = client.reconnects
    return result


# ---------------------------------------------------------------- who used the CPU

def _proc_times() -> dict[int, tuple[str, int, int]]:
    """pid -> (command name, parent pid, user+system clock ticks) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                raw = handle.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


class CpuMonitor:
    """CPU used during a measurement, split into: the server under test, this benchmark
    (the load clients), PostgreSQL, and everything else on the machine (other people's work
    on a shared box makes every figure worse, so it is reported)."""

    def __init__(self, server_pid: int | None, pg_dsn: str | None = None,
                 pg_database: str | None = None) -> None:
        self.server_pid = server_pid
        self.pg_dsn, self.pg_database = pg_dsn, pg_database
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _bench_backends(self) -> set[int] | None:
        """PostgreSQL backends serving the bench database (others' databases are not ours)."""
        if not self.pg_dsn:
            return None
        import psycopg

        try:
            with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                    (self.pg_database,)).fetchall()
        except psycopg.Error:
            return None
        return {row[0] for row in rows}

    def __enter__(self) -> CpuMonitor:
        self.start_procs = _proc_times()
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.start
        backends = self._bench_backends()
        end = _proc_times()
        own = os.getpid()
        tree = {self.server_pid} if self.server_pid else set()
        changed = True
        while changed:  # the server's descendants (gunicorn workers)
            changed = False
            for pid, (_name, ppid, _t) in end.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        usage = {"server": 0.0, "bench": 0.0, "postgres": 0.0, "postgres_other": 0.0,
                 "other": 0.0}
        for pid, (name, _ppid, ticks) in end.items():
            before = self.start_procs.get(pid)
            used = ticks - (before[2] if before and before[0] == name else 0)
            if used <= 0:
                continue
            if pid in tree:
                key = "server"
            elif pid == own:
                key = "bench"
            elif name.startswith("postgres"):
                # our database's backends; without that list, every postgres process
                key = "postgres" if backends is None or pid in backends else "postgres_other"
            else:
                key = "other"
            usage[key] += used / self.ticks
        self.cpu_seconds = usage
        self.usage = {k: v / self.seconds for k, v in usage.items()}  # in cores

    def per_request(self, count: int) -> str:
        """CPU milliseconds per request, and the rate they would allow on this many idle
        cores: a figure that other processes on a shared machine hardly change."""
        c = self.cpu_seconds
        ours = c["server"] + c["postgres"] + c["bench"]
        ceiling = (os.cpu_count() or 1) / (ours / count) if ours and count else float("nan")
        return (f"cpu per request: server {c['server'] / count * 1000:.1f} ms + postgres "
                f"{c['postgres'] / count * 1000:.1f} ms + client {c['bench'] / count * 1000:.1f}"
                f" ms -> ceiling on {os.cpu_count()} idle cores {ceiling:.0f}/s")

    def ceiling(self, count: int) -> float:
        c = self.cpu_seconds
        ours = c["server"] + c["postgres"] + c["bench"]
        return (os.cpu_count() or 1) / (ours / count) if ours and count else float("nan")

    def line(self) -> str:
        u = self.usage
        return (f"cpu (cores of {os.cpu_count()}): server {u['server']:.2f}, postgres "
                f"{u['postgres']:.2f}, bench client {u['bench']:.2f}, other processes "
                f"{u['other']:.2f} (+ postgres for other databases and its background "
                f"work {u['postgres_other']:.2f})")


class PgWaitSampler:
    """Samples pg_stat_activity of one database every ``interval`` seconds while a run goes
    on: how many backends were running, idle in a transaction, or waiting, and on what
    (a hot row lock shows up as Lock:transactionid / Lock:tuple)."""

    def __init__(self, dsn: str, datname: str, interval: float = 0.05) -> None:
        self.dsn, self.datname, self.interval = dsn, datname, interval
        self.samples = 0
        self.counts: dict[str, int] = {}
        self._stop = threading.Event()

    def __enter__(self) -> PgWaitSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = "
                    "'client backend' AND state <> 'idle'", (self.datname,)).fetchall()
                self.samples += 1
                for state, wtype, wevent in rows:
                    key = (f"{wtype}:{wevent}" if wtype and wtype != "Client"
                           else "idle in transaction" if state.startswith("idle")
                           else "running")
                    self.counts[key] = self.counts.get(key, 0) + 1

    def line(self) -> str:
        if not self.samples:
            return "postgres backends: no samples"
        parts = sorted(self.counts.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {v / self.samples:.1f}" for k, v in parts[:5])
        return f"postgres backends busy (mean per sample): {shown or 'none'}"
