"""The event-push gateway: what it signs, and how a receiver's answer is classified."""

from __future__ import annotations

import hashlib
import hmac
import io
import urllib.error
from email.message import Message

import pytest

from hotline.gateways import (
    GatewayError,
    OutboundMessage,
    PermanentGatewayError,
    WebhookGateway,
    signature,
    signing_secret,
)


class Opener:
    """Answers every request with ``status``; keeps the requests."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.requests = []

    def open(self, req, timeout):
        self.requests.append(req)
        headers = Message()
        if self.status >= 400:
            raise urllib.error.HTTPError(req.full_url, self.status, "no", headers,
                                         io.BytesIO(b"nope"))
        answer = io.BytesIO(b"")
        answer.status, answer.headers = self.status, headers
        return answer


def _message(url: str = "https://dept.example/events") -> OutboundMessage:
    return OutboundMessage(id=1, channel="webhook", recipient=url, subject=None,
                           body='{"type": "case.reopened"}', idempotency_key="whk_1",
                           template="case.reopened", data={"salt": "abc"})


def test_a_2xx_is_delivered_and_the_signature_is_the_documented_one():
    opener = Opener(204)
    WebhookGateway("server-key", timeout=3, opener=opener).send(_message())
    [req] = opener.requests
    headers = {k.lower(): v for k, v in req.header_items()}
    secret = signing_secret("server-key", "abc")
    mac = hmac.new(secret.encode(), headers["x-hotline-timestamp"].encode() + b"." + req.data,
                   hashlib.sha256)
    assert headers["x-hotline-signature"] == "sha256=" + mac.hexdigest()
    assert headers["x-hotline-signature"] == signature(secret, headers["x-hotline-timestamp"],
                                                       req.data)
    assert headers["idempotency-key"] == "whk_1"
    assert headers["x-hotline-event"] == "case.reopened"


def test_secrets_differ_by_salt_and_by_server_key():
    assert signing_secret("k", "a") != signing_secret("k", "b")
    assert signing_secret("k", "a") != signing_secret("j", "a")


@pytest.mark.parametrize(("status", "error"), [
    (500, GatewayError), (429, GatewayError), (404, GatewayError),
    (410, PermanentGatewayError)])
def test_failures_retry_except_gone(status, error):
    with pytest.raises(error) as raised:
        WebhookGateway("k", timeout=3, opener=Opener(status)).send(_message())
    assert (type(raised.value) is PermanentGatewayError) == (status == 410)


def test_only_http_urls_and_only_with_a_key():
    with pytest.raises(PermanentGatewayError):
        WebhookGateway("k", timeout=3, opener=Opener(200)).send(_message("file:///etc/passwd"))
    with pytest.raises(PermanentGatewayError):
        WebhookGateway(None, timeout=3, opener=Opener(200)).send(_message())
