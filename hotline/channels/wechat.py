"""WeChat Official Account (公众号) message push: signature check, message parsing, replies.

This module reads plaintext XML; safe mode (安全模式) is decrypted first by
:mod:`hotline.channels.wechat_crypto`.  Events (subscribe, menu clicks...) are not citizen
requests: ``parse_message`` raises ``IgnoredMessage`` for them so that no empty case is ever
created by accident, while the caller can still answer e.g. a subscribe with a welcome text.
Idempotency follows the platform's advice: MsgId, or FromUserName + CreateTime for events.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from .base import IgnoredMessage, ParsedMessage, ParseError
from .text import clean_text, parse_query

CHANNEL = "wechat"
# Real pushes are < 2 KiB; the cap keeps a hostile body from reaching the XML parser at all.
DEFAULT_MAX_BYTES = 64 * 1024
# The platform silently cuts passive text replies beyond ~2047 UTF-8 bytes.
REPLY_MAX_BYTES = 2047
_REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
_DTD_RE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_MARKUP_DECL_RE = re.compile(r"<!(?!\[CDATA\[|--)")
# Characters XML 1.0 cannot carry at all (CDATA does not help); lone surrogates cannot be encoded.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_signature(
    token: str,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    *,
    now: datetime | None = None,
    max_skew: int = 300,
) -> bool:
    """Verify the platform's ``signature`` = sha1(sorted token, timestamp, nonce), constant-time.

    Used for the GET URL check and every POST push.  The signature does not cover the body, so
    pass ``now`` to also refuse timestamps more than ``max_skew`` seconds away (replays).
    """
    if not (token and signature and timestamp and nonce):
        return False
    joined = "".join(sorted((token, timestamp, nonce)))
    expected = hashlib.sha1(joined.encode("utf-8")).hexdigest()
    valid = hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8"))
    if not valid or now is None:
        return valid
    return fresh_timestamp(timestamp, now=now, max_skew=max_skew)


def fresh_timestamp(timestamp: str | None, *, now: datetime, max_skew: int = 300) -> bool:
    """Whether a signed request's ``timestamp`` (epoch seconds) is within ``max_skew``
    seconds of ``now``: an older one is a replay."""
    now_epoch = _epoch(now)  # outside the try: a naive ``now`` is a bug, not a bad request
    try:
        sent = int(timestamp or "")
    except ValueError:
        return False
    return abs(now_epoch - sent) <= max_skew


def parse_message(xml_bytes: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Turn one pushed XML message into a ``ParsedMessage``.

    Raises ``ParseError`` (store it with the raw body) for anything unusable and
    ``IgnoredMessage`` for events such as subscribe/unsubscribe.
    """
    fields = _read_fields(xml_bytes, max_bytes)
    missing = [name for name in _REQUIRED if not fields.get(name, "").strip()]
    if missing:
        raise _error(f"缺少必填字段 / missing required field(s): {', '.join(missing)}")
    sender = fields["FromUserName"].strip()
    created = fields["CreateTime"].strip()
    received_at = _parse_create_time(created)
    msg_type = fields["MsgType"].strip().lower()
    fallback_id = f"{sender}:{created}"
    if msg_type == "event":
        raise IgnoredMessage(
            channel=CHANNEL,
            kind=fields.get("Event", "").strip().lower() or "unknown",
            sender=sender,
            recipient=fields["ToUserName"].strip(),
            external_id=fallback_id,
            event_key=fields.get("EventKey", "").strip() or None,
        )
    text, title, query = _body_for(msg_type, fields)
    return ParsedMessage(
        channel=CHANNEL,
        external_id=fields.get("MsgId", "").strip() or fallback_id,
        sender=sender,
        sender_name=None,
        text=text,
        title=title,
        received_at=received_at,
        query_case=query,
        position=_position(fields) if msg_type == "location" else None,
    )


@dataclass(frozen=True)
class Media:
    """A medium a citizen pushed (image, voice): fetchable by ``media_id`` for 3 days."""

    kind: str  # image | voice
    media_id: str
    format: str | None = None  # voice: amr or speex

    @property
    def filename(self) -> str:
        """The name its attachment is kept under."""
        extension = {"image": "jpg"}.get(self.kind, self.format or "amr")
        return f"wechat-{self.kind}-{self.media_id[:24]}.{extension}"


def media_of(xml_bytes: bytes) -> Media | None:
    """The image or voice medium of a plaintext push, None for any other message."""
    try:
        fields = _read_fields(xml_bytes, DEFAULT_MAX_BYTES)
    except ParseError:
        return None
    kind = fields.get("MsgType", "").strip().lower()
    media_id = fields.get("MediaId", "").strip()
    if kind not in ("image", "voice") or not media_id or len(media_id) > 128:
        return None
    return Media(kind, media_id, fields.get("Format", "").strip().lower() or None)


def text_reply(to_user: str, from_user: str, content: str, now: datetime) -> bytes:
    """Build the passive text reply XML (UTF-8) returned in the HTTP response to a push.

    ``to_user`` is the citizen's openid, ``from_user`` the account's original id (gh_...).
    Content is CDATA-wrapped safely even if it contains "]]>", and cut to the platform limit.
    """
    content = _truncate_utf8(_XML_INVALID_RE.sub("", content), REPLY_MAX_BYTES)
    xml = (
        "<xml>"
        f"<ToUserName>{_cdata(_XML_INVALID_RE.sub('', to_user))}</ToUserName>"
        f"<FromUserName>{_cdata(_XML_INVALID_RE.sub('', from_user))}</FromUserName>"
        f"<CreateTime>{_epoch(now)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )
    return xml.encode("utf-8")


def _error(reason: str) -> ParseError:
    return ParseError(reason, channel=CHANNEL)


def _read_fields(xml_bytes: bytes, max_bytes: int) -> dict[str, str]:
    """Decode, screen and parse the flat <xml> document into {tag: text}."""
    if not isinstance(xml_bytes, (bytes, bytearray)):
        raise _error(f"消息体类型错误 / body must be bytes, got {type(xml_bytes).__name__}")
    if not xml_bytes.strip():
        raise _error("消息体为空 / empty body")
    if len(xml_bytes) > max_bytes:
        raise _error(f"消息体过大 / body too large: {len(xml_bytes)} bytes > {max_bytes}")
    try:
        # The platform always sends UTF-8; parsing a str also makes expat ignore any
        # encoding="..." in the declaration, so the screening below sees what expat sees.
        doc = bytes(xml_bytes).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(f"消息体不是 UTF-8 / body is not UTF-8: {exc}") from None
    if _DTD_RE.search(doc):
        raise _error("拒绝 DTD/实体声明（XXE 防护）/ DOCTYPE or ENTITY declaration refused (XXE)")
    if _MARKUP_DECL_RE.search(doc):
        raise _error("拒绝未知的 <! 声明 / unexpected <! markup declaration refused")
    try:
        root = ET.fromstring(doc)
    except ET.ParseError as exc:
        raise _error(f"XML 格式错误 / malformed XML: {exc}") from None
    if root.tag != "xml":
        raise _error(f"根元素应为 <xml> / root element must be <xml>, got <{root.tag}>")
    fields = {child.tag: (child.text or "") for child in root}
    if "Encrypt" in fields and "MsgType" not in fields:
        raise _error("收到加密消息，需先用安全模式解密 / encrypted (safe mode) push; decrypt first")
    return fields


def _parse_create_time(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        reason = f"CreateTime 不是有效的时间戳 / CreateTime is not a timestamp: {value!r}"
        raise _error(reason) from None


def _body_for(msg_type: str, f: dict[str, str]) -> tuple[str, str | None, str | None]:
    """Return (text, title, query_case) for a non-event message type."""
    def get(name: str) -> str:
        return f.get(name, "").strip()

    if msg_type == "text":
        content = clean_text(f.get("Content", ""))
        if not content:
            raise _error("文本消息内容为空 / text message has empty Content")
        return content, None, parse_query(content)
    if msg_type == "image":
        return f"[图片 / image]\nPicUrl: {get('PicUrl')}\nMediaId: {get('MediaId')}", None, None
    if msg_type == "voice":
        note = f"[语音 / voice]\nMediaId: {get('MediaId')}\nFormat: {get('Format')}"
        spoken = clean_text(f.get("Recognition", ""))
        if not spoken:
            return note.replace("]", "，未识别 / not transcribed]", 1), None, None
        return f"{spoken}\n\n{note}", None, parse_query(spoken)
    if msg_type == "location":
        label = clean_text(f.get("Label", "")) or "（无地址描述 / no label）"
        coords = (f"纬度 / latitude {get('Location_X')}, 经度 / longitude {get('Location_Y')}, "
                  f"缩放 / scale {get('Scale')}")
        return f"[位置 / location] {label}\n{coords}", None, None
    if msg_type in ("video", "shortvideo"):
        return (f"[视频 / video]\nMediaId: {get('MediaId')}\n"
                f"ThumbMediaId: {get('ThumbMediaId')}"), None, None
    if msg_type == "link":
        title = clean_text(f.get("Title", "")) or None
        parts = [f"[链接 / link] {title or ''}".rstrip(), clean_text(f.get("Description", "")),
                 get("Url")]
        return "\n".join(p for p in parts if p), title, None
    raise _error(f"不支持的消息类型 / unsupported MsgType: {msg_type!r}")


def _position(f: dict[str, str]) -> tuple[float, float] | None:
    """A location message's Location_X (latitude) and Location_Y (longitude), when both are
    numbers in range; anything else keeps the text only."""
    try:
        lat, lon = float(f.get("Location_X", "")), float(f.get("Location_Y", ""))
    except ValueError:
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


def _epoch(now: datetime) -> int:
    # A naive datetime would be read as server-local time and silently shift the timestamp.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA: split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    ellipsis = "…"
    cut = encoded[: limit - len(ellipsis.encode("utf-8"))].decode("utf-8", "ignore")
    return cut + ellipsis
