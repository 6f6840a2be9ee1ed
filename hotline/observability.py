"""What an operator watches per request: a request id, an access-log line and the request
metrics that ``GET /metrics`` exports.

The request id comes from a valid incoming ``X-Request-ID`` (nginx's ``$request_id``, a
load balancer's) or is generated, is put on every log record of the request and is sent back
as ``X-Request-ID``. Metrics use ``prometheus_client``; under gunicorn with several workers
set ``PROMETHEUS_MULTIPROC_DIR`` (see docs/operations.md) so every process's counts are
summed at the scrape.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request
from prometheus_client import Counter, Histogram

access_log = logging.getLogger("hotline.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

REQUESTS = Counter("hotline_http_requests_total", "HTTP requests answered.",
                   ["route", "method", "status"])
LATENCY = Histogram("hotline_http_request_duration_seconds", "Time to answer a request.",
                    ["route", "method"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def init_app(app: Flask) -> None:
    """Give every request an id, time it, log it and count it."""
    app.before_request(_start)
    app.after_request(_finish)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one."""
    if header and REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _start() -> None:
    g.request_id = request_id_from(request.headers.get("X-Request-ID"))
    g.request_started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id") or request_id_from(None)
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    if route != "/metrics":
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route, request.method).observe(seconds)
    access_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                    seconds * 1000, extra={"fields": {
                        "method": request.method, "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1)}})
    return response

