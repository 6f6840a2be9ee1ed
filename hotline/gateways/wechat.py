"""WeChat Official Account API adapter: template messages (模板消息) for citizens who came
via WeChat, and the download of the media (images, voice) they sent, by MediaId."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from hotline.gateways import _http
from hotline.gateways.base import GatewayError, OutboundMessage, PermanentGatewayError

# errcodes meaning "your access_token is stale or wrong": fetch a new one and try again once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# errcodes meaning "busy / rate limited": not this message's fault, so retry later.
TRANSIENT_ERRORS = frozenset({-1, 45009, 45011})
# Refresh a little before WeChat's expiry so a token never dies between fetch and use.
_EXPIRY_MARGIN = 300.0
#: the platform's limit for a pushed image is 10 MB, for voice 2 MB
MEDIA_MAX_BYTES = 10 * 1024 * 1024 + 1


class WechatTemplateGateway:
    """Sends template messages to an openid, caching the access_token between sends.

    ``template_ids`` maps hotline template names (``msg.template``) to WeChat template ids;
    messages with no mapped template use ``template_id``. ``template_keys`` renames the keys
    of ``msg.data`` to the template's field names (``number=keyword1``; ``followup.number=...``
    for one template only); once it is set, only the renamed keys (and ``first``/``remark``)
    are sent. ``msg.data["url"]`` becomes the message's link (the citizen's tracking page).
    """

    # the access token (connect, TLS, write, read), then the message: each up to ``timeout``
    send_steps = 8

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        template_id: str,
        api_base: str = "https://api.weixin.qq.com",
        timeout: float = 10.0,
        *,
        template_ids: Mapping[str, str] | None = None,
        template_keys: Mapping[str, str] | None = None,
        opener: urllib.request.OpenerDirector | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.template_id = template_id
        self.template_ids = dict(template_ids or {})
        self.template_keys = dict(template_keys or {})
        self.api_base = _http.check_url(api_base).rstrip("/")
        self.timeout = timeout
        self._opener = opener or _http.default_opener()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def payload(self, msg: OutboundMessage) -> dict[str, Any]:
        """The template-send request body for ``msg``."""
        template = self.template_ids.get(msg.template or "", self.template_id)
        payload: dict[str, Any] = {"touser": msg.recipient, "template_id": template,
                                   "data": template_data(msg, self._keys(msg.template))}
        url = msg.data.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            payload["url"] = url
        return payload

    def _keys(self, template: str | None) -> dict[str, str] | None:
        """hotline key -> template field for ``template`` (None: send the keys as they are)."""
        if not self.template_keys:
            return None
        keys = {k: v for k, v in self.template_keys.items() if "." not in k}
        prefix = f"{template}." if template else None
        if prefix:
            keys.update({k[len(prefix):]: v for k, v in self.template_keys.items()
                         if k.startswith(prefix)})
        return keys

    def fetch_media(self, media_id: str) -> tuple[str, bytes]:
        """(content type, bytes) of a medium a citizen sent, from ``cgi-bin/media/get``.

        The platform keeps a pushed medium for 3 days; an errcode answer (expired, unknown
        id) is final, a network failure or a stale token may pass.
        """
        token = self.access_token()
        answer = self._get_media(media_id, token)
        error = answer.json() if _is_json(answer) else None
        if isinstance(error, dict) and error.get("errcode") in TOKEN_ERRORS:
            answer = self._get_media(media_id, self.access_token(stale=token))
            error = answer.json() if _is_json(answer) else None
        if answer.status != 200:
            raise GatewayError(f"WeChat media: HTTP {answer.status}: {answer.excerpt()}",
                               retry_after=answer.retry_after())
        if isinstance(error, dict):
            code = error.get("errcode")
            text = f"WeChat media: errcode {code}: {error.get('errmsg', '')}"
            if code in TOKEN_ERRORS or code in TRANSIENT_ERRORS:
                raise GatewayError(text)
            raise PermanentGatewayError(text)
        content_type = answer.headers.get_content_type() if answer.headers else ""
        return content_type, answer.body

    def _get_media(self, media_id: str, token: str) -> _http.Response:
        query = urlencode({"access_token": token, "media_id": media_id})
        return _http.request(self._opener, f"{self.api_base}/cgi-bin/media/get?{query}",
                             timeout=self.timeout, what="WeChat media",
                             limit=MEDIA_MAX_BYTES)

    def send(self, msg: OutboundMessage) -> str:
        """Send ``msg``; return WeChat's ``msgid``. A stale token is refreshed once."""
        body = json.dumps(self.payload(msg), ensure_ascii=False).encode("utf-8")
        token = self.access_token()
        result = self._post_template(msg, body, token)
        if result.get("errcode") in TOKEN_ERRORS:
            result = self._post_template(msg, body, self.access_token(stale=token))
        return _msgid(msg, result)

    def access_token(self, *, stale: str | None = None) -> str:
        """A valid access_token, fetched from ``cgi-bin/token`` when missing, old or refused.

        ``stale`` is a token WeChat just refused; it is replaced only if still cached, because
        each fetch invalidates the previous token and concurrent senders must not fight.
        """
        with self._lock:
            token = self._token
            expired = token is None or self._clock() >= self._token_expires
            if expired or (stale is not None and token == stale):
                token, lifetime = self._fetch_token()
                self._token = token
                self._token_expires = self._clock() + max(lifetime - _EXPIRY_MARGIN, 0.0)
            return token

    def _fetch_token(self) -> tuple[str, float]:
        query = urlencode(
            {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
        )
        answer = _http.request(
            self._opener,
            f"{self.api_base}/cgi-bin/token?{query}",
            timeout=self.timeout,
            what="WeChat access_token",
        )
        result = answer.json()
        if answer.status != 200 or not isinstance(result, dict) or not result.get("access_token"):
            # Wrong app secret or IP not whitelisted is a set-up problem: keep messages queued.
            detail = result if isinstance(result, dict) else answer.excerpt()
            raise GatewayError(f"WeChat access_token: HTTP {answer.status}: {detail}")
        return str(result["access_token"]), float(result.get("expires_in", 7200))

    def _post_template(self, msg: OutboundMessage, body: bytes, token: str) -> dict[str, Any]:
        url = f"{self.api_base}/cgi-bin/message/template/send?{urlencode({'access_token': token})}"
        answer = _http.request(
            self._opener,
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=self.timeout,
            what=f"WeChat message {msg.id}",
        )
        result = answer.json()
        if answer.status != 200 or not isinstance(result, dict):
            raise GatewayError(
                f"WeChat message {msg.id}: HTTP {answer.status}: {answer.excerpt()}",
                retry_after=answer.retry_after(),
            )
        return result


def template_data(msg: OutboundMessage,
                  keys: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """WeChat's ``{"field": {"value": ...}}`` data from ``msg.data``.

    Values already shaped like ``{"value": ...}`` pass through; others are turned into text.
    With no data, the subject and body go into the common ``first`` and ``remark`` fields.
    With ``keys``, each data key is renamed to its template field and unmapped keys are left
    out, while ``first`` and ``remark`` fall back to the subject and body; ``url`` is never
    a field (it is the message's link).
    """
    source = {k: v for k, v in msg.data.items() if k != "url"}
    if keys is not None:
        renamed = {keys[k]: v for k, v in source.items() if k in keys}
        renamed.setdefault("first", msg.subject or "")
        renamed.setdefault("remark", msg.body)
        source = {k: v for k, v in renamed.items() if v not in ("", None)}
    elif not source:
        data = {"remark": {"value": msg.body}}
        if msg.subject:
            data["first"] = {"value": msg.subject}
        return data
    return {
        key: value if isinstance(value, dict) and "value" in value else {"value": str(value)}
        for key, value in source.items()
    }


def _msgid(msg: OutboundMessage, result: dict[str, Any]) -> str:
    """WeChat's message id on success, else the error that says whether to retry."""
    code = result.get("errcode", 0)
    if code == 0:
        return str(result.get("msgid", msg.idempotency_key))
    text = f"WeChat message {msg.id}: errcode {code}: {result.get('errmsg', '')}"
    if code in TOKEN_ERRORS or code in TRANSIENT_ERRORS:
        raise GatewayError(text)
    raise PermanentGatewayError(text)


def _is_json(answer: _http.Response) -> bool:
    """The media endpoint answers an error as JSON (or text/plain JSON), a medium as bytes."""
    kind = answer.headers.get_content_type() if answer.headers else ""
    return kind in ("application/json", "text/plain") or answer.body[:1] == b"{"
