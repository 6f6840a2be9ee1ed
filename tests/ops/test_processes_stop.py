"""Every process a ``hotline`` command starts stops when the command stops: the embedded
redis-server and the workers of ``hotline serve`` included, after Ctrl-C, SIGTERM or even
SIGKILL of the command. Each run is marked by an environment variable its children inherit,
so the check finds exactly this test's processes among everyone else's; a redis-server
rewrites its environment with its process title, so it is found by its socket instead, under
the run's own temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.committing]

MARK = "HOTLINE_PROCESS_PROBE_RUN"  # not a setting: config ignores names it does not know

MAIL = (b"From: =?utf-8?b?5byg5LiJ?= <zhang@example.com>\r\nTo: 12345@example.gov\r\n"
        b"Subject: =?utf-8?b?6Lev54Gv5LiN5Lqu?=\r\nMessage-ID: <probe-1@example.com>\r\n"
        b"Date: Mon, 30 Nov 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"\r\n" + "锦江区春熙路的路灯坏了三天了，晚上很黑。".encode() + b"\r\n")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
    env.update({"HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
                "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}",
                "HOTLINE_SECRET_KEY": "process-probe-secret-key-0123456789",
                MARK: uuid.uuid4().hex,
                "TMPDIR": tempfile.mkdtemp(prefix="hl-probe-")})
    env.pop("PYTHONTRACEMALLOC", None)
    return env


def _marked(env: dict[str, str]) -> list[psutil.Process]:
    """The live processes that carry this run's mark (they inherited its environment)."""
    found = []
    for process in psutil.process_iter(["pid", "name"]):
        try:
            if process.status() == "zombie":
                continue
            if (process.environ().get(MARK) == env[MARK]
                    or any(env["TMPDIR"] in part for part in process.cmdline())):
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def _left_over(env: dict[str, str], wait: float = 10.0) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        left = [f"{p.pid} {p.name()}" for p in _marked(env) if p.is_running()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _hotline(env: dict[str, str], *args: str, timeout: int = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """``hotline serve`` in a process group of its own, as a terminal runs it; returns once
    it answers, with its embedded redis-server and worker running."""
    port = _free_port()
    serve = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = {p.name() for p in _marked(env)}
        if "redis-server" in names and len(_marked(env)) >= 3:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return serve, port
            except OSError:
                pass
        assert serve.poll() is None, "hotline serve stopped at start"
        time.sleep(0.3)
    serve.kill()
    pytest.fail("hotline serve did not start within 60 s")


@pytest.fixture
def env(tmp_path):
    env = _env(tmp_path)
    _hotline(env, "init-db")
    yield env
    for process in _marked(env):  # never leave this test's processes behind, pass or fail
        process.kill()
    shutil.rmtree(env["TMPDIR"], ignore_errors=True)  # a killed server leaves its folder


def test_a_command_that_uses_redis_leaves_no_redis_server(env, tmp_path):
    mail = tmp_path / "letter.eml"
    mail.write_bytes(MAIL)
    output = _hotline(env, "mail", "import", str(mail))
    assert "1 stored" in output
    assert _left_over(env) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_its_worker_and_its_redis_server(env, stop):
    serve, _port = _serve(env)
    names = sorted(p.name() for p in _marked(env))
    assert "redis-server" in names
    os.killpg(serve.pid, stop) if stop == signal.SIGINT else serve.send_signal(stop)
    assert serve.wait(timeout=60) is not None
    assert _left_over(env) == []


def test_a_killed_serve_takes_its_children_with_it(env):
    serve, _port = _serve(env)
    serve.kill()  # no handler, no atexit: only the kernel's parent-death signal is left
    serve.wait(timeout=10)
    assert _left_over(env, wait=15) == []
