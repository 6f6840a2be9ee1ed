"""HttpSmsGateway and WechatTemplateGateway against a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.request
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hotline.gateways import (
    GatewayError,
    HttpSmsGateway,
    OutboundMessage,
    PermanentGatewayError,
    WechatTemplateGateway,
)
from hotline.gateways.wechat import template_data


@dataclass
class Reply:
    """What the fake provider answers to one request."""

    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text, bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request the fake provider received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class FakeProvider:
    """A real HTTP server in a thread that answers each path from a queue of replies."""

    def __init__(self) -> None:
        self.replies: dict[str, deque[Reply]] = defaultdict(deque)
        self.seen: list[Seen] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                provider._answer(self)

            def do_POST(self) -> None:  # noqa: N802
                provider._answer(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, path: str, *replies: Reply) -> None:
        self.replies[path].extend(replies)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.seen.append(
            Seen(handler.command, parts.path, parse_qs(parts.query), dict(handler.headers), body)
        )
        queue = self.replies[parts.path]
        reply = queue.popleft() if queue else Reply(500, {"error": "unscripted"})
        time.sleep(reply.delay)
        payload = reply.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload)
        data = payload.encode("utf-8") if isinstance(payload, str) else (payload or b"")
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        fake.thread.join(5)


def no_proxy() -> urllib.request.OpenerDirector:
    """An opener that never goes through a proxy, so traffic stays on 127.0.0.1."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def message(**overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "id": 7,
        "channel": "sms",
        "recipient": "13812341234",
        "subject": None,
        "body": "【12345热线】您的诉求已受理，工单号 20261124-0001。",
        "idempotency_key": "receipt-7",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)


# --- SMS ------------------------------------------------------------------------------------


def sms_gateway(url: str, **kwargs: Any) -> HttpSmsGateway:
    return HttpSmsGateway(url, "key-123", timeout=2, opener=no_proxy(), **kwargs)


def test_sms_sends_json_with_bearer_and_signature(provider: FakeProvider) -> None:
    provider.script("/sms", Reply(200, {"id": "prov-1", "status": "queued"}))
    gateway = sms_gateway(provider.base + "/sms", secret="s3cret")
    assert gateway.send(message()) == "prov-1"
    [seen] = provider.requests_to("/sms")
    assert seen.method == "POST"
    assert seen.json() == {
        "to": "13812341234",
        "text": "【12345热线】您的诉求已受理，工单号 20261124-0001。",
        "idempotency_key": "receipt-7",
    }
    assert seen.headers["Authorization"] == "Bearer key-123"
    assert seen.headers["Content-Type"].startswith("application/json")
    expected = hmac.new(b"s3cret", seen.body, hashlib.sha256).hexdigest()
    assert seen.headers["X-Hotline-Signature"] == expected


def test_sms_without_secret_sends_no_signature(provider: FakeProvider) -> None:
    provider.script("/sms", Reply(200, {"id": 42}))
    assert sms_gateway(provider.base + "/sms").send(message()) == "42"
    [seen] = provider.requests_to("/sms")
    assert "X-Hotline-Signature" not in seen.headers


@pytest.mark.parametrize(
    "reply",
    [Reply(200, "OK"), Reply(202, {"status": "queued"}), Reply(204), Reply(200, {"id": ""})],
)
def test_sms_success_without_id_returns_idempotency_key(
    provider: FakeProvider, reply: Reply
) -> None:
    provider.script("/sms", reply)
    assert sms_gateway(provider.base + "/sms").send(message()) == "receipt-7"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_sms_client_errors_are_permanent(provider: FakeProvider, status: int) -> None:
    provider.script("/sms", Reply(status, {"error": "invalid number"}))
    with pytest.raises(PermanentGatewayError, match=f"HTTP {status}"):
        sms_gateway(provider.base + "/sms").send(message())


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_sms_server_errors_and_throttling_are_retried(provider: FakeProvider, status: int) -> None:
    provider.script("/sms", Reply(status, {"error": "busy"}, headers={"Retry-After": "30"}))
    with pytest.raises(GatewayError, match=f"HTTP {status}") as caught:
        sms_gateway(provider.base + "/sms").send(message())
    assert not isinstance(caught.value, PermanentGatewayError)
    assert caught.value.retry_after == 30


def test_sms_timeout_is_retried(provider: FakeProvider) -> None:
    provider.script("/sms", Reply(200, {"id": "late"}, delay=1.0))
    gateway = HttpSmsGateway(provider.base + "/sms", "k", timeout=0.2, opener=no_proxy())
    with pytest.raises(GatewayError, match="network error") as caught:
        gateway.send(message())
    assert not isinstance(caught.value, PermanentGatewayError)


def test_sms_connection_refused_is_retried() -> None:
    with pytest.raises(GatewayError, match="network error") as caught:
        sms_gateway(closed_port_url() + "/sms").send(message())
    assert not isinstance(caught.value, PermanentGatewayError)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "localhost/sms", ""])
def test_sms_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        HttpSmsGateway(url, "k")


# --- WeChat ---------------------------------------------------------------------------------

TOKEN = "/cgi-bin/token"
SEND = "/cgi-bin/message/template/send"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wechat_gateway(base: str, **kwargs: Any) -> WechatTemplateGateway:
    return WechatTemplateGateway(
        "wx-app",
        "app-secret",
        "TPL-DEFAULT",
        api_base=base,
        timeout=2,
        opener=no_proxy(),
        **kwargs,
    )


def wechat_message(**overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "channel": "wechat",
        "recipient": "oABCD1234openid5678",
        "subject": "诉求办理回访",
        "template": "survey",
        "data": {"thing1": "噪音扰民", "character_string2": "20261124-0001"},
    }
    fields.update(overrides)
    return message(**fields)


def token_reply(token: str, expires_in: int = 7200) -> Reply:
    return Reply(200, {"access_token": token, "expires_in": expires_in})


def test_wechat_fetches_token_and_sends_template(provider: FakeProvider) -> None:
    provider.script(TOKEN, token_reply("T1"))
    provider.script(SEND, Reply(200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332}))
    gateway = wechat_gateway(provider.base, template_ids={"survey": "TPL-SURVEY"})
    assert gateway.send(wechat_message()) == "200228332"
    [token_call] = provider.requests_to(TOKEN)
    assert token_call.method == "GET"
    assert token_call.query == {
        "grant_type": ["client_credential"],
        "appid": ["wx-app"],
        "secret": ["app-secret"],
    }
    [send_call] = provider.requests_to(SEND)
    assert send_call.method == "POST"
    assert send_call.query == {"access_token": ["T1"]}
    assert send_call.json() == {
        "touser": "oABCD1234openid5678",
        "template_id": "TPL-SURVEY",
        "data": {
            "thing1": {"value": "噪音扰民"},
            "character_string2": {"value": "20261124-0001"},
        },
    }


def test_wechat_caches_token_until_it_nearly_expires(provider: FakeProvider) -> None:
    clock = FakeClock()
    provider.script(TOKEN, token_reply("T1"), token_reply("T2"))
    provider.script(SEND, *[Reply(200, {"errcode": 0, "msgid": n}) for n in range(3)])
    gateway = wechat_gateway(provider.base, clock=clock)
    gateway.send(wechat_message())
    clock.now += 6000  # still inside 7200s minus the safety margin
    gateway.send(wechat_message())
    assert len(provider.requests_to(TOKEN)) == 1
    clock.now += 1000
    gateway.send(wechat_message())
    assert len(provider.requests_to(TOKEN)) == 2
    assert [s.query["access_token"] for s in provider.requests_to(SEND)] == [["T1"], ["T1"], ["T2"]]


@pytest.mark.parametrize("code", [40001, 42001])
def test_wechat_refreshes_expired_token_once_and_retries(provider: FakeProvider, code: int) -> None:
    provider.script(TOKEN, token_reply("OLD"), token_reply("NEW"))
    provider.script(
        SEND,
        Reply(200, {"errcode": code, "errmsg": "access_token expired"}),
        Reply(200, {"errcode": 0, "errmsg": "ok", "msgid": 99}),
    )
    assert wechat_gateway(provider.base).send(wechat_message()) == "99"
    assert [s.query["access_token"] for s in provider.requests_to(SEND)] == [["OLD"], ["NEW"]]
    assert len(provider.requests_to(TOKEN)) == 2


def test_wechat_gives_up_for_now_when_fresh_token_is_refused_too(provider: FakeProvider) -> None:
    provider.script(TOKEN, token_reply("A"), token_reply("B"), token_reply("C"))
    provider.script(SEND, *[Reply(200, {"errcode": 40001, "errmsg": "invalid"})] * 3)
    with pytest.raises(GatewayError, match="40001") as caught:
        wechat_gateway(provider.base).send(wechat_message())
    assert not isinstance(caught.value, PermanentGatewayError)
    assert len(provider.requests_to(SEND)) == 2  # one refresh, not a loop


@pytest.mark.parametrize(
    ("code", "errmsg"), [(43004, "require subscribe"), (40003, "invalid openid")]
)
def test_wechat_other_errcodes_are_permanent(
    provider: FakeProvider, code: int, errmsg: str
) -> None:
    provider.script(TOKEN, token_reply("T"))
    provider.script(SEND, Reply(200, {"errcode": code, "errmsg": errmsg}))
    with pytest.raises(PermanentGatewayError, match=str(code)):
        wechat_gateway(provider.base).send(wechat_message())
    assert len(provider.requests_to(TOKEN)) == 1


@pytest.mark.parametrize("code", [-1, 45009])
def test_wechat_busy_errcodes_are_retried(provider: FakeProvider, code: int) -> None:
    provider.script(TOKEN, token_reply("T"))
    provider.script(SEND, Reply(200, {"errcode": code, "errmsg": "system busy"}))
    with pytest.raises(GatewayError) as caught:
        wechat_gateway(provider.base).send(wechat_message())
    assert not isinstance(caught.value, PermanentGatewayError)


def test_wechat_token_refused_is_retried_and_hides_secret(provider: FakeProvider) -> None:
    provider.script(TOKEN, Reply(200, {"errcode": 40125, "errmsg": "invalid appsecret"}))
    with pytest.raises(GatewayError, match="40125") as caught:
        wechat_gateway(provider.base).send(wechat_message())
    assert not isinstance(caught.value, PermanentGatewayError)
    assert "app-secret" not in str(caught.value)
    assert provider.requests_to(SEND) == []


@pytest.mark.parametrize("status", [500, 502])
def test_wechat_http_errors_are_retried(provider: FakeProvider, status: int) -> None:
    provider.script(TOKEN, token_reply("T"))
    provider.script(SEND, Reply(status, "Bad Gateway"))
    with pytest.raises(GatewayError, match=f"HTTP {status}") as caught:
        wechat_gateway(provider.base).send(wechat_message())
    assert not isinstance(caught.value, PermanentGatewayError)


def test_wechat_network_error_is_retried() -> None:
    with pytest.raises(GatewayError, match="network error") as caught:
        wechat_gateway(closed_port_url()).send(wechat_message())
    assert not isinstance(caught.value, PermanentGatewayError)


def test_wechat_uses_default_template_when_not_mapped(provider: FakeProvider) -> None:
    provider.script(TOKEN, token_reply("T"))
    provider.script(SEND, Reply(200, {"errcode": 0, "msgid": 1}))
    wechat_gateway(provider.base).send(wechat_message(template="receipt"))
    assert provider.requests_to(SEND)[0].json()["template_id"] == "TPL-DEFAULT"


@pytest.mark.parametrize(
    ("subject", "data", "expected"),
    [
        ("回访", {}, {"first": {"value": "回访"}, "remark": {"value": "正文"}}),
        (None, {}, {"remark": {"value": "正文"}}),
        (None, {"amount": 3}, {"amount": {"value": "3"}}),
        (
            None,
            {"thing1": {"value": "噪音", "color": "#173177"}},
            {"thing1": {"value": "噪音", "color": "#173177"}},
        ),
    ],
)
def test_template_data(subject: str | None, data: dict[str, Any], expected: dict[str, Any]) -> None:
    msg = wechat_message(subject=subject, data=data, body="正文")
    assert template_data(msg) == expected


def test_wechat_refresh_skipped_when_another_sender_already_refreshed(
    provider: FakeProvider,
) -> None:
    provider.script(TOKEN, token_reply("OLD"), token_reply("NEW"))
    gateway = wechat_gateway(provider.base)
    assert gateway.access_token() == "OLD"
    assert gateway.access_token(stale="OLD") == "NEW"
    assert gateway.access_token(stale="OLD") == "NEW"  # a second thread with the same old token
    assert len(provider.requests_to(TOKEN)) == 2
