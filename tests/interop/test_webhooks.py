"""Event push: a subscribed URL receives its cases' events through the outbox, signed,
retried with back-off, delivered once; admins read the log and replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from hotline.config import parse_allowed_networks
from hotline.extensions import db
from hotline.gateways import destinations
from hotline.models import utcnow
from hotline.models.outbox import OutboxMessage
from workflows.delivery import deliver


@pytest.fixture(autouse=True)
def loopback_allowed(app):
    """The receivers here listen on 127.0.0.1, which only the allow-list lets pushes reach."""
    _allow(app, networks=parse_allowed_networks("127.0.0.1/32"))


def _allow(app, **lists) -> None:
    """Set the allow-list as the settings would, and rebuild the gateways that read it."""
    for name, value in lists.items():
        app.config[f"WEBHOOK_ALLOWED_{name.upper()}"] = value
    app.extensions.pop("hotline.gateways", None)


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that fails the first ``failures`` posts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[int, dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(owner.received) < owner.failures else 200
                owner.received.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @property
    def delivered(self) -> list[tuple[int, dict[str, str], bytes]]:
        return [r for r in self.received if r[0] == 200]


def _pushes() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "webhook").order_by(OutboxMessage.id)))


def _subscribe(api, username: str, url: str, **fields) -> dict:
    response = api(username).post("/api/v1/webhooks", json={"url": url, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_fails_twice_then_delivered_once_with_a_valid_signature(api):
    with Receiver(failures=2) as receiver:
        subscription = _subscribe(api, "urban", receiver.url)
        case = api.create_case(department="URBAN")
        [push] = _pushes()
        now = utcnow()
        outcome = deliver(push.id, now=now).outcome
        db.session.refresh(push)
        assert outcome == "retry", push.last_error
        assert deliver(push.id, now=now).outcome == "skipped"  # not due: backing off
        now += timedelta(seconds=31)
        outcome = deliver(push.id, now=now).outcome
        db.session.refresh(push)
        assert outcome == "retry", push.last_error
        now += timedelta(minutes=2)
        assert deliver(push.id, now=now).outcome == "sent"
        assert deliver(push.id, now=now + timedelta(hours=1)).outcome == "skipped"

    assert [r[0] for r in receiver.received] == [500, 500, 200]
    [(_, headers, body)] = receiver.delivered
    keys = {r[1]["Idempotency-Key"] for r in receiver.received}
    assert keys == {push.idempotency_key}
    expected = hmac.new(subscription["secret"].encode(),
                        headers["X-Hotline-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Hotline-Signature"] == "sha256=" + expected.hexdigest()
    event = json.loads(body)
    assert event["type"] == headers["X-Hotline-Event"] == "case.dispatched"
    assert event["case"]["number"] == case["number"]
    assert "13800001111" not in body.decode()


def test_admin_reads_the_log_and_replays(api):
    with Receiver(failures=0) as receiver:
        _subscribe(api, "supervisor", receiver.url, events=["case.dispatched"])
        api.create_case(department="URBAN")
        [push] = _pushes()
        assert deliver(push.id).outcome == "sent"
        assert api("urban").get("/api/v1/webhooks/deliveries").status_code == 403
        log = api("admin").get("/api/v1/webhooks/deliveries").get_json()["items"]
        assert [(d["id"], d["status"], d["attempts"]) for d in log] == [(push.id, "sent", 1)]
        replayed = api("admin").post(f"/api/v1/webhooks/deliveries/{push.id}/replay")
        assert replayed.get_json()["status"] == "pending"
        assert deliver(push.id).outcome == "sent"
    assert len(receiver.delivered) == 2
    assert receiver.delivered[0][1]["Idempotency-Key"] == receiver.delivered[1][1][
        "Idempotency-Key"]


def test_a_department_hears_only_its_own_cases_and_chosen_events(api):
    _subscribe(api, "housing", "http://127.0.0.1:9/housing")
    urban = _subscribe(api, "urban", "http://127.0.0.1:9/urban", events=["case.supervised"])
    assert urban["department"] == "URBAN"
    case = api.create_case(department="URBAN")
    assert _pushes() == []  # housing: not its case; urban: dispatch not chosen
    api("supervisor").act(case["number"], "supervise", note="请尽快处理")
    assert [(p.recipient, p.template) for p in _pushes()] == [
        ("http://127.0.0.1:9/urban", "case.supervised")]


def test_a_refused_action_pushes_nothing(api):
    _subscribe(api, "supervisor", "http://127.0.0.1:9/all")
    case = api.create_case(department="URBAN")
    before = len(_pushes())
    assert api("supervisor").act(case["number"], "supervise").status_code == 422  # no note
    assert len(_pushes()) == before


def test_unsubscribed_urls_hear_nothing(api):
    subscription = _subscribe(api, "urban", "http://127.0.0.1:9/urban")
    assert api("urban2").delete(f"/api/v1/webhooks/{subscription['id']}").status_code == 204
    assert api("urban").get("/api/v1/webhooks").get_json()["items"] == []
    api.create_case(department="URBAN")
    assert _pushes() == []


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://x"}, "url"), ({"url": "http://x", "events": ["case.eaten"]}, "events[0]"),
    ({"url": "http://x", "colour": "red"}, "colour")])
def test_bad_subscriptions_are_422(api, body, field):
    response = api("urban").post("/api/v1/webhooks", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_payloads_are_in_the_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    hook = doc["webhooks"]["case.dispatched"]["post"]
    headers = {p["name"] for p in hook["parameters"]}
    assert {"X-Hotline-Signature", "Idempotency-Key"} <= headers
    assert "/api/v1/webhooks" in doc["paths"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.2/x", "http://localhost:8080/x", "http://10.1.2.3/x", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://[::ffff:10.0.0.1]/",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://240.0.0.1/", "http://100.64.0.1/",
    "http://[fe80::1]/", "http://2130706433/", "http://unresolvable.invalid/"])
def test_private_reserved_or_unresolvable_destinations_are_refused(app, api, url):
    _allow(app, networks=())
    response = api("urban").post("/api/v1/webhooks", json={"url": url})
    assert response.status_code == 422, url
    assert response.get_json()["error"]["field"] == "url"
    assert api("urban").get("/api/v1/webhooks").get_json()["items"] == []


def test_a_name_resolving_to_any_private_address_is_refused(api, monkeypatch):
    records = {"mixed.example": ["93.184.216.34", "10.0.0.5"], "public.example": ["8.8.8.8"]}
    _fake_dns(monkeypatch, records)
    refused = api("urban").post("/api/v1/webhooks", json={"url": "https://mixed.example/x"})
    assert refused.status_code == 422 and "10.0.0.5" in refused.get_json()["error"]["message"]
    assert api("urban").post("/api/v1/webhooks",
                             json={"url": "https://public.example/x"}).status_code == 201


def test_allowed_host_names_may_resolve_to_private_addresses(app, api, monkeypatch):
    _fake_dns(monkeypatch, {"oa.urban.internal": ["10.20.0.8"]})
    url = "http://oa.urban.internal/events"
    assert api("urban").post("/api/v1/webhooks", json={"url": url}).status_code == 422
    _allow(app, hosts=destinations.parse_hosts("OA.urban.internal."))
    assert api("urban").post("/api/v1/webhooks", json={"url": url}).status_code == 201


def test_delivery_checks_the_address_it_connects_to_against_dns_rebinding(app, api,
                                                                            monkeypatch):
    """Public when subscribed, loopback when delivered: nothing reaches the receiver."""
    _allow(app, networks=())
    with Receiver(failures=0) as receiver:
        port = receiver.server.server_port
        records = {"rebind.example": ["93.184.216.34"]}
        _fake_dns(monkeypatch, records)
        _subscribe(api, "urban", f"http://rebind.example:{port}/events")
        api.create_case(department="URBAN")
        [push] = _pushes()
        records["rebind.example"] = ["127.0.0.1"]
        assert deliver(push.id).outcome == "dead"
    assert receiver.received == []
    db.session.refresh(push)
    assert "refused destination" in push.last_error and "127.0.0.1" in push.last_error


def test_redirects_are_not_followed(api):
    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _subscribe(api, "urban", f"http://127.0.0.1:{server.server_port}/events")
        api.create_case(department="URBAN")
        [push] = _pushes()
        assert deliver(push.id).outcome == "retry"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    db.session.refresh(push)
    assert "HTTP 302" in push.last_error


def _fake_dns(monkeypatch, records: dict[str, list[str]]) -> None:
    real = destinations.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in records:
            return [(2, 1, 6, "", (address, port)) for address in records[host]]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(destinations, "getaddrinfo", getaddrinfo)


def test_the_log_filters_by_subscription_and_status(api):
    from hotline.services import webhooks

    everything = _subscribe(api, "supervisor", "http://127.0.0.1:9/all")
    urban = _subscribe(api, "urban", "http://127.0.0.1:9/urban")
    api.create_case(department="URBAN")
    assert len(webhooks.deliveries()) == 2
    [mine] = webhooks.deliveries(subscription_id=urban["id"])
    assert mine.recipient == "http://127.0.0.1:9/urban"
    assert len(webhooks.deliveries(subscription_id=everything["id"], status="pending")) == 1
    assert webhooks.deliveries(subscription_id=everything["id"], status="sent") == []
