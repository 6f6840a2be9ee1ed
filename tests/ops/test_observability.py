"""What an operator watches: health checks, metrics, request ids, access and JSON logs,
owner-only outbox files (issue 17)."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import timedelta

import pytest
from rq import SimpleWorker

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.gateways.base import OutboundMessage
from hotline.gateways.file import FileGateway
from hotline.logs import JsonFormatter, RequestContext
from hotline.models import Heartbeat, OutboxMessage, utcnow
from hotline.services import beats
from hotline.unit_of_work import unit_of_work
from workflows import health, monitor
from workflows.queues import QUEUE_NAMES, get_queue


def test_liveness_needs_nothing_but_the_process(client):
    response = client.get("/api/v1/health/live")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_readiness_names_what_fails(client):
    """No worker runs and no sweep ran in a bare test app: 503 naming exactly those."""
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["sweep", "workers"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


def test_readiness_is_200_with_a_worker_and_a_fresh_sweep(client, monkeypatch):
    with unit_of_work():
        beats.beat("sweep", {"fired": 0})
    monkeypatch.setattr(monitor, "live_workers", lambda: ["w"])
    response = client.get("/api/v1/health")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ok"


def test_readiness_fails_on_an_old_sweep_and_a_stuck_outbox(client, monkeypatch):
    monkeypatch.setattr(monitor, "live_workers", lambda: ["w"])
    with unit_of_work():
        beats.beat("sweep", {}, now=utcnow() - timedelta(hours=1))
        db.session.add(OutboxMessage(channel="sms", recipient="13800001111", body="x",
                                     idempotency_key="k", status="pending",
                                     next_attempt_at=utcnow() - timedelta(hours=1)))
    body = client.get("/api/v1/health").get_json()
    assert body["failing"] == ["outbox", "sweep"]
    assert body["checks"]["outbox"]["pending"] == 1


def test_readiness_reports_an_unreachable_redis(client, monkeypatch):
    import redis

    def down():
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(monitor, "get_redis", down)
    body = client.get("/api/v1/health").get_json()
    assert "redis" in body["failing"] and "refused" in body["checks"]["redis"]["error"]


def test_a_dead_worker_is_not_counted(app):
    worker = SimpleWorker([get_queue(QUEUE_NAMES[0])], connection=get_redis(), name="w-alive")
    worker.register_birth()
    worker.heartbeat()
    dead = SimpleWorker([get_queue(QUEUE_NAMES[0])], connection=get_redis(), name="w-dead")
    dead.register_birth()
    get_redis().hset(dead.key, "last_heartbeat", "2020-01-01T00:00:00.000000Z")
    assert [w.name for w in health.live_workers()] == ["w-alive"]
    worker.register_death()
    dead.register_death()


def test_metrics_are_prometheus_text(client, api):
    api.create_case()
    client.get("/api/v1/health/live")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'hotline_cases{status="registered"} 1.0' in text
    assert 'hotline_http_requests_total{method="POST",route="/api/v1/cases",status="201"}' \
        in text
    assert "hotline_http_request_duration_seconds_bucket" in text
    assert 'hotline_jobs_queued{queue="hotline-high"}' in text
    assert "hotline_cases_overdue 0.0" in text
    assert "hotline_workers_alive" in text


def test_metrics_refuse_a_proxied_or_remote_scrape(client):
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403


def test_metrics_token_is_required_when_set(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"},
                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert ok.status_code == 200


def test_request_id_is_kept_or_made(client):
    given = client.get("/api/v1/health/live", headers={"X-Request-ID": "abc-12345678"})
    assert given.headers["X-Request-ID"] == "abc-12345678"
    made = client.get("/api/v1/health/live", headers={"X-Request-ID": "bad id <script>"})
    assert made.headers["X-Request-ID"] != "bad id <script>"
    assert len(made.headers["X-Request-ID"]) == 32


def test_access_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="hotline.access"):
        response = client.get("/api/v1/health/live?secret=1",
                              headers={"X-Request-ID": "req-000001"})
    record = next(r for r in caplog.records if r.name == "hotline.access")
    assert record.fields["path"] == "/api/v1/health/live"
    assert record.fields["status"] == response.status_code == 200
    assert record.fields["method"] == "GET" and record.fields["duration_ms"] >= 0
    assert "secret" not in record.getMessage()
    assert record.request_id == "req-000001"


def test_json_log_lines_carry_request_and_user(app):
    record = logging.LogRecord("hotline.test", logging.WARNING, __file__, 1, "号码 %s",
                               ("13800001111",), None)
    with app.test_request_context("/"):
        from types import SimpleNamespace

        from flask import g

        g.request_id = "req-42424242"
        g.actor = SimpleNamespace(user_id=7)
        RequestContext().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "hotline.test"
    assert line["request_id"] == "req-42424242" and line["user_id"] == 7
    assert line["message"] == "号码 13800001111"  # masking is the handler's other filter
    assert line["time"].endswith("+00:00")


def test_outbox_files_are_owner_only(tmp_path):
    gateway = FileGateway(tmp_path / "outbox")
    gateway.send(OutboundMessage(id=1, channel="sms", recipient="13800001111", subject=None,
                                 body="您的查询码是 123456", idempotency_key="k1"))
    (path,) = (tmp_path / "outbox").iterdir()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "outbox").st_mode) == 0o700


@pytest.fixture(autouse=True)
def _no_heartbeats_left(app):
    yield
    db.session.rollback()
    with unit_of_work():
        db.session.query(Heartbeat).delete()
