"""SMS adapter for a generic HTTP/JSON SMS provider (most Chinese SMS platforms offer one)."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request

from hotline.gateways import _http
from hotline.gateways.base import GatewayError, OutboundMessage, PermanentGatewayError


class HttpSmsGateway:
    """POSTs ``{to, text, idempotency_key}`` as JSON with a Bearer key and optional HMAC signature.

    2xx is sent; 4xx (but 429) means the provider will never take this message; 5xx, 429 and
    network trouble are worth retrying.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: float = 10.0,
        secret: str | None = None,
        *,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        self.url = _http.check_url(url)
        self.api_key = api_key
        self.timeout = timeout
        self.secret = secret
        self._opener = opener or _http.default_opener()

    def payload(self, msg: OutboundMessage) -> bytes:
        """The exact request body; the signature is computed over these bytes."""
        body = {"to": msg.recipient, "text": msg.body, "idempotency_key": msg.idempotency_key}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def signature(self, payload: bytes) -> str | None:
        """Hex HMAC-SHA256 of ``payload`` with the shared secret, so the provider can verify us."""
        if not self.secret:
            return None
        return hmac.new(self.secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()

    def send(self, msg: OutboundMessage) -> str:
        """Send ``msg``; return the provider's ``id`` (or the idempotency key if it gives none)."""
        payload = self.payload(msg)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": msg.idempotency_key,
        }
        signature = self.signature(payload)
        if signature:
            headers["X-Hotline-Signature"] = signature
        answer = _http.request(
            self._opener,
            self.url,
            data=payload,
            headers=headers,
            timeout=self.timeout,
            what=f"SMS for message {msg.id}",
        )
        return _provider_id(msg, answer)


def _provider_id(msg: OutboundMessage, answer: _http.Response) -> str:
    """Interpret the provider's answer: an id on success, the right error otherwise."""
    status = answer.status
    if 200 <= status < 300:
        parsed = answer.json()
        provider_id = parsed.get("id") if isinstance(parsed, dict) else None
        return str(provider_id) if provider_id not in (None, "") else msg.idempotency_key
    text = f"SMS for message {msg.id}: HTTP {status}: {answer.excerpt()}"
    if 400 <= status < 500 and status != 429:
        raise PermanentGatewayError(text)
    raise GatewayError(text, retry_after=answer.retry_after())
