"""SMS gateway webhook: HMAC signature check and JSON message parsing.

Body: {"message_id": str, "from": str, "text": str, "received_at"?: ISO-8601}.  A reply that is
only "1"/"2"/"3" (satisfaction survey) sets ``rating``; "查询 <工单号>" sets ``query_case``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta, timezone

from hotline import phones

from .base import ParsedMessage, ParseError, SignatureError
from .text import clean_text, normalize_for_matching, parse_query, parse_rating

CHANNEL = "sms"
SIGNATURE_HEADER = "X-Hotline-Signature"
DEFAULT_MAX_BYTES = 64 * 1024
MAX_ID_LENGTH = 128
# Gateways in China send local wall-clock time without an offset; China has no DST.
_CHINA_TZ = timezone(timedelta(hours=8))
_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")


def verify_signature(secret: bytes | str, body: bytes, header: str | None) -> None:
    """Check ``header`` (hex HMAC-SHA256 of the raw body, optionally "sha256=<hex>").

    Raises ``SignatureError`` on any mismatch; the comparison is constant-time.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        # An unset secret must fail closed instead of accepting HMAC(b"", body) from anyone.
        raise SignatureError("未配置短信网关密钥 / SMS webhook secret is not configured")
    if header is None or not header.strip():
        raise SignatureError(f"缺少签名 / missing {SIGNATURE_HEADER} header")
    value = header.strip()
    if value[:7].lower() == "sha256=":
        value = value[7:].strip()
    if not _HEX64_RE.fullmatch(value):
        raise SignatureError("签名格式错误 / malformed signature (expected 64 hex digits)")
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), value.lower().encode()):
        raise SignatureError("签名不匹配 / signature mismatch")


def normalize_phone(raw: str) -> str | None:
    """Return a canonical phone number or None when implausible.

    Chinese mobiles become 11 digits without +86 (so every channel matches the same citizen);
    foreign numbers keep E.164 form "+<digits>" (:func:`hotline.phones.sms_sender`).
    """
    return phones.sms_sender(normalize_for_matching(raw))


def parse_message(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Parse the raw webhook body into a ``ParsedMessage``; ``ParseError`` says what is wrong."""
    payload = _load_json(body, max_bytes)
    message_id = _required_str(payload, "message_id")
    if len(message_id) > MAX_ID_LENGTH:
        raise _error(f"message_id 过长 / message_id longer than {MAX_ID_LENGTH} characters")
    raw_from = _required_str(payload, "from")
    sender = normalize_phone(raw_from)
    if sender is None:
        raise _error(f"发送号码无效 / implausible phone number in 'from': {raw_from!r}")
    text = clean_text(_required_str(payload, "text"))
    if not text:
        raise _error("短信内容为空 / 'text' is empty")
    return ParsedMessage(
        channel=CHANNEL,
        external_id=message_id,
        sender=sender,
        sender_name=None,
        text=text,
        title=None,
        received_at=_received_at(payload.get("received_at")),
        query_case=parse_query(text),
        rating=parse_rating(text),
    )


def _error(reason: str) -> ParseError:
    return ParseError(reason, channel=CHANNEL)


def _load_json(body: bytes, max_bytes: int) -> dict[str, object]:
    if not isinstance(body, (bytes, bytearray)):
        raise _error(f"消息体类型错误 / body must be bytes, got {type(body).__name__}")
    if len(body) > max_bytes:
        raise _error(f"消息体过大 / body too large: {len(body)} bytes > {max_bytes}")
    try:
        doc = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(f"消息体不是 UTF-8 / body is not UTF-8: {exc}") from None
    if not doc.strip():
        raise _error("消息体为空 / empty body")
    try:
        payload = json.loads(doc)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _error(f"JSON 格式错误 / invalid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise _error(f"JSON 顶层应为对象 / top-level JSON must be an object, "
                     f"got {type(payload).__name__}")
    return payload


def _required_str(payload: dict[str, object], key: str) -> str:
    if key not in payload or payload[key] is None:
        raise _error(f"缺少字段 / missing field {key!r}")
    value = payload[key]
    if not isinstance(value, str):
        raise _error(f"字段类型错误 / field {key!r} must be a string, got {type(value).__name__}")
    if key != "text" and not value.strip():
        raise _error(f"字段为空 / field {key!r} is empty")
    return value.strip() if key != "text" else value


def _received_at(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _error(f"字段类型错误 / 'received_at' must be an ISO-8601 string, "
                     f"got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _error(f"时间格式错误 / 'received_at' is not ISO-8601: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_CHINA_TZ)
    return parsed.astimezone(UTC)
