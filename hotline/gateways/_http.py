"""A small urllib wrapper shared by the HTTP-based gateways: one request, errors classified."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from hotline.gateways.base import GatewayError, PermanentGatewayError
from hotline.gateways.destinations import RefusedDestination

_MAX_BODY = 1024 * 1024  # providers answer with small JSON; cap what a broken one can send


@dataclass(frozen=True)
class Response:
    """Status, headers and body of an HTTP answer, whatever its status."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def excerpt(self, limit: int = 200) -> str:
        """The start of the body, for error messages."""
        return self.body[:limit].decode("utf-8", "replace").strip()

    def retry_after(self) -> float | None:
        """The Retry-After header in seconds, if it is given as a number."""
        value = self.headers.get("Retry-After", "").strip()
        return float(value) if value.isdigit() else None


def check_url(url: str) -> str:
    """Refuse anything but http(s) URLs, so a setting can never make us read ``file://``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def request(
    opener: urllib.request.OpenerDirector,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
    what: str,
    limit: int = _MAX_BODY,
) -> Response:
    """Do one GET (or POST when ``data`` is given); network failures raise GatewayError.

    ``what`` names the call in error messages instead of the URL, which may carry secrets.
    """
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read(limit))
    except urllib.error.HTTPError as exc:
        with exc:
            return Response(exc.code, exc.headers, exc.read(_MAX_BODY))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, RefusedDestination):  # not ours to reach: retrying won't help
            raise PermanentGatewayError(f"{what}: refused destination: {reason}") from exc
        raise GatewayError(f"{what}: network error: {reason}") from exc


def default_opener() -> urllib.request.OpenerDirector:
    """urllib's usual opener (honours proxy environment variables, follows no POST redirects)."""
    return urllib.request.build_opener()
