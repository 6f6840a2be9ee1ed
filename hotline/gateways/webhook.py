"""Event push over HTTP: POST the event's JSON to the subscribed URL, signed.

Headers: ``X-Hotline-Event`` (the event type), ``Idempotency-Key`` (stable across retries:
a receiver drops a repeat), ``X-Hotline-Timestamp`` and ``X-Hotline-Signature``:
``sha256=`` + hex HMAC-SHA256 over ``"<timestamp>.<body>"`` with the subscription's secret.
The secret is derived (:func:`signing_secret`) from the server's key and the subscription's
salt, so it is stored nowhere. A 2xx answer is delivered; 410 Gone gives up; anything else
is retried with back-off by the outbox, a redirect included (it is not followed).
Connections go only to public addresses or allow-listed ones, checked on the address connected
to (:mod:`hotline.gateways.destinations`); a refused one gives up at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.request

from hotline.gateways._http import check_url, request
from hotline.gateways.base import GatewayError, OutboundMessage, PermanentGatewayError
from hotline.gateways.destinations import Policy, guarded_opener

SIGNATURE_HEADER = "X-Hotline-Signature"


def signing_secret(server_key: str, salt: str) -> str:
    """A subscription's signing secret: shown once to the subscriber, derived on each send."""
    digest = hmac.new(server_key.encode(), f"webhook:{salt}".encode(), hashlib.sha256)
    return "whsec_" + digest.hexdigest()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookGateway:
    """Delivers ``webhook`` outbox messages: ``recipient`` is the URL, ``body`` the JSON,
    ``data["salt"]`` names the secret and ``template`` the event type."""

    def __init__(self, server_key: str | None, *, timeout: float,
                 opener: urllib.request.OpenerDirector | None = None,
                 policy: Policy | None = None) -> None:
        self.server_key = server_key
        self.timeout = timeout
        self.opener = opener or guarded_opener(policy or Policy())

    def send(self, msg: OutboundMessage) -> str:
        """POST the event; the receiver's status decides delivered, retry or give up."""
        if not self.server_key:
            raise PermanentGatewayError("webhook: no server key to sign with (SECRET_KEY)")
        try:
            url = check_url(msg.recipient)
        except ValueError as exc:
            raise PermanentGatewayError(f"webhook: {exc}") from None
        body = msg.body.encode("utf-8")
        stamp = str(int(time.time()))
        secret = signing_secret(self.server_key, str(msg.data.get("salt", "")))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "hotline-webhook/1", "Idempotency-Key": msg.idempotency_key,
                   "X-Hotline-Event": msg.template or "", "X-Hotline-Timestamp": stamp,
                   SIGNATURE_HEADER: signature(secret, stamp, body)}
        answer = request(self.opener, url, data=body, headers=headers, timeout=self.timeout,
                         what="webhook")
        if 200 <= answer.status < 300:
            return msg.idempotency_key
        if answer.status == 410:
            raise PermanentGatewayError(f"webhook: the receiver is gone (410): "
                                        f"{answer.excerpt()}")
        raise GatewayError(f"webhook: HTTP {answer.status}: {answer.excerpt()}",
                           retry_after=answer.retry_after())
