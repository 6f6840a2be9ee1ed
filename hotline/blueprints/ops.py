"""Endpoints for operators' tools: liveness and readiness checks, Prometheus metrics."""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from hotline.apispec import operation
from hotline.models import utcnow
from workflows import monitor

bp = Blueprint("ops", __name__)


_REPORT = {"type": "object", "required": ["status", "failing", "checks"], "properties": {
    "status": {"type": "string", "enum": ["ok", "failing"]},
    "failing": {"type": "array", "items": {"type": "string"}},
    "checks": {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "error": {"type": "string"}}}},
    "time": {"type": "string", "format": "date-time"}}}


@bp.get("/api/v1/health/live")
@operation("存活 / liveness", "health", auth=None, answer={
    "type": "object", "required": ["status"], "properties": {
        "status": {"const": "ok"}, "time": {"type": "string", "format": "date-time"}}})
def live():
    """Liveness: the process answers (no database, no Redis: restart it only if this fails)."""
    return {"status": "ok", "time": utcnow().isoformat()}


@bp.get("/api/v1/health")
@operation("就绪 / readiness", "health", auth=None, answer=_REPORT,
           alternatives={503: ("有部件失常 / a part is failing", _REPORT)},
           description="database, redis, workers, sweep, outbox")
def ready():
    """Readiness of the whole hotline: 200 when every part is well, else 503 naming the
    failing parts (database, redis, workers, sweep, outbox)."""
    well, body = monitor.readiness(current_app.config)
    return body, 200 if well else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format; needs ``HOTLINE_METRICS_TOKEN`` as a bearer token, or, with
    none set, a direct request from this host."""
    if not _may_scrape():
        abort(403)
    registry = CollectorRegistry()
    registry.register(_Figures())
    text = generate_latest(_request_registry()) + generate_latest(registry)
    return Response(text, mimetype=CONTENT_TYPE_LATEST)


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").partition(" ")[2].strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if request.headers.get("X-Forwarded-For"):  # came through a proxy: not local
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _request_registry():
    """This process's request counts, or every gunicorn process's in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _Figures:
    """Gauges read from the database and Redis at scrape time."""

    def collect(self):
        figures = monitor.gauges()
        yield _family("hotline_cases", "Cases by status.", "status",
                      {str(getattr(k, "value", k)): v for k, v in figures["cases"].items()})
        yield GaugeMetricFamily("hotline_cases_overdue", "Open cases past a deadline.",
                                value=figures["overdue"])
        yield _family("hotline_outbox_messages", "Outbound messages by status.", "status",
                      figures["outbox"])
        yield _family("hotline_jobs_queued", "Jobs waiting per queue.", "queue",
                      {name: q for name, (q, _f) in figures["queues"].items()})
        yield _family("hotline_jobs_failed", "Failed jobs kept per queue.", "queue",
                      {name: f for name, (_q, f) in figures["queues"].items()})
        if figures["workers"] is not None:
            yield GaugeMetricFamily("hotline_workers_alive", "Workers with a recent heartbeat.",
                                    value=figures["workers"])
        if figures["sweep_age"] is not None:
            yield GaugeMetricFamily("hotline_sweep_age_seconds", "Seconds since the last sweep.",
                                    value=figures["sweep_age"])
        model = GaugeMetricFamily("hotline_routing_model_info", "The active routing model.",
                                  labels=["version"])
        if figures["model_version"]:
            model.add_metric([figures["model_version"]], 1)
        yield model


def _family(name: str, documentation: str, label: str, values: dict) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([str(key)], value)
    return family
