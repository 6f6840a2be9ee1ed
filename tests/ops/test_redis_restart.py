"""A worker rides out a Redis restart (issue 17): it keeps running while Redis is down, runs
the database sweep itself meanwhile, and works from the queues again once Redis is back.

Real processes: a redis-server of our own on a free port (never the shared one) and a
``hotline worker``; the test's database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from hotline.extensions import db
from hotline.models import Case, CaseEvent, User, utcnow
from hotline.services import registration, sla
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work
from tests.factories import worker_environment

pytestmark = [pytest.mark.slow, pytest.mark.committing]
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(port: int, directory: Path) -> Iterator[subprocess.Popen]:
    """A redis-server of our own on ``port``, killed and reaped on leaving, whatever
    happened (a test may also kill it itself, earlier)."""
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with closing(redis.Redis(port=port)) as client:
            wait_for(lambda: _pings(client), 20, "redis-server to start")
        yield process
    finally:
        process.kill()
        process.wait()


@contextmanager
def worker_process(env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """A ``hotline worker`` in a process group of its own (its work horses and scheduler
    with it), stopped as systemd would (TERM, then KILL) and always reaped."""
    with open(log, "w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield worker
    finally:
        _signal_group(worker, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        # Whatever is left of the group (a horse, the scheduler) goes too; then reap.
        _signal_group(worker, signal.SIGKILL)
        worker.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:  # the whole group has exited already
        pass


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def wait_for(condition, seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tail = log.read_text()[-4000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def overdue_case(content: str) -> int:
    """An urgent case registered ten minutes ago: every deadline point has passed."""
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    with unit_of_work():
        case = registration.register_case(agent, registration.NewCase(
            content=content, urgency="urgent", department="URBAN"),
            now=utcnow() - timedelta(minutes=10))
    return case.id


def fired(case_id: int) -> bool:
    db.session.rollback()  # see what the worker committed
    return db.session.query(CaseEvent).filter_by(case_id=case_id,
                                                 action="deadline_overdue").count() > 0


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_worker_survives_a_redis_restart(app, world, tmp_path):
    with unit_of_work():
        sla.set_policy("紧急", urgency="urgent", request_type=None, accept="1m", handle="2m",
                       calendar="natural")
    port = free_port()
    env = worker_environment(app, REDIS_URL=f"redis://127.0.0.1:{port}/0",
                             SWEEP_INTERVAL_SECONDS="2")
    log = tmp_path / "worker.log"
    with ExitStack() as stack:
        client = stack.enter_context(closing(redis.Redis(port=port, socket_timeout=5)))
        first = stack.enter_context(redis_server(port, tmp_path))
        worker = stack.enter_context(worker_process(env, log))
        wait_for(lambda: _registered(client), 120, "the worker to register", log)

        first.kill()
        first.wait()
        # Redis is down: the worker stays up and sweeps the database itself.
        during = overdue_case("Redis 宕机期间到期")
        wait_for(lambda: fired(during), 60, "the fallback sweep to fire a deadline", log)
        assert worker.poll() is None, log.read_text()[-3000:]

        stack.enter_context(redis_server(port, tmp_path))
        wait_for(lambda: _registered(client), 90, "the worker to register again", log)
        after = overdue_case("Redis 恢复之后到期")
        wait_for(lambda: fired(after), 60, "a deadline to fire after the restart", log)
        assert worker.poll() is None, log.read_text()[-3000:]
        assert db.session.get(Case, during).overdue


def _registered(client: redis.Redis) -> bool:
    try:
        return client.scard("rq:workers") > 0
    except redis.ConnectionError:
        return False
