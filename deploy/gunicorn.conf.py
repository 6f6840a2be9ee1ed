"""gunicorn settings for hotline-web.service (see docs/operations.md)."""

import os

bind = "127.0.0.1:8000"
workers = int(os.environ.get("HOTLINE_WEB_WORKERS", "4"))
threads = int(os.environ.get("HOTLINE_WEB_THREADS", "4"))
timeout = 60
graceful_timeout = 30
accesslog = None  # hotline writes its own access line (method, path, status, request id)
errorlog = "-"
# nginx on the same host is the only client; X-Forwarded-For is read by hotline itself from
# the addresses in HOTLINE_TRUSTED_PROXIES.
forwarded_allow_ips = "127.0.0.1"


def child_exit(server, worker):
    """Drop a dead process's metric files from the sum (prometheus_client multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Freeze what loading the app built, so full garbage collections skip it (hotline/heap.py:
    one request in about twenty paid 131-161 ms for them)."""
    from hotline import heap

    heap.settle()
