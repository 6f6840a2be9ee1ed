"""Inbound e-mail: one raw RFC 5322 message (bytes from IMAP) to one ``ParsedMessage``.

The MIME structure is parsed with ``policy.default`` (``compat32`` when that raises).  Headers
and parameters, however, are decoded here from their raw form: Chinese clients label GBK and
GB18030 text as "gb2312", split multi-byte characters across encoded words and put raw 8-bit
GBK into headers, and both stdlib policies would decode strictly with the declared charset and
leave mojibake.  ``sender`` is the lower-cased address; ``external_id`` the Message-ID without
angle brackets, else "sha256:<hex of the raw bytes>".

Broken mail degrades gracefully: whatever can be recovered is returned.  ``ParseError`` is
raised only when there is nothing to act on: not a mail at all, no usable From address, or no
subject, text or attachment.  Attachments that are too large or of a refused type are not
returned but listed at the end of ``text`` so a reviewer knows the citizen sent them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from .base import Attachment, ParsedMessage, ParseError
from .html_text import html_to_text
from .mailthread import rating_in_reply
from .text import clean_text, find_case_number
from .uploads import check_attachment

__all__ = ["parse_email", "html_to_text", "is_auto_generated", "decode_header_value",
           "split_quoted"]

CHANNEL = "email"
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ID_LENGTH = 200
# GB2312 and GBK are subsets of GB18030; mislabelled mail decodes correctly with the superset.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "cp936": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "csgb2312": "gb18030",
    "chinese": "gb18030", "gb18030": "gb18030", "utf8": "utf-8", "big5": "big5hkscs",
    "unknown-8bit": "", "x-unknown": "", "us-ascii": "", "ascii": "",
}
_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_WS_RE = re.compile(r"\s+")
_ADDRESS_RE = re.compile(r"[^@\s<>\"',;:()\[\]]+@[^@\s<>\"',;:()\[\]]+\.[^@\s<>\"',;:()\[\]]+")
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|回复|答复|回覆|转发|轉寄|转寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_FORWARD_SUBJECT_RE = re.compile(r"^\s*(?:fw|fwd|转发|轉寄|转寄)\s*[:：]", re.IGNORECASE)
_REPLY_SUBJECT_RE = re.compile(r"^\s*(?:re|aw|sv|回复|答复|回覆)\s*(?:\[\d+\])?\s*[:：]",
                               re.IGNORECASE)
_SEPARATOR_RE = re.compile(
    r"^-{2,}\s*(?:原始邮件|original message|original|邮件原文|原邮件)\s*-{2,}$", re.IGNORECASE
)
_FORWARD_SEPARATOR_RE = re.compile(
    r"^-{2,}\s*(?:forwarded message|转发邮件信息|转发的邮件|转发邮件|begin forwarded message)"
    r"\s*-{2,}$",
    re.IGNORECASE,
)
_WROTE_RE = re.compile(r"^(?:on\s.+\swrote|.*[0-9@].*写道)\s*[:：]$", re.IGNORECASE)
_ON_RE = re.compile(r"^on\s.+", re.IGNORECASE)
_HEADER_START_RE = re.compile(r"^(?:发件人|from)\s*[:：]", re.IGNORECASE)
_HEADER_NEXT_RE = re.compile(
    r"^(?:发送时间|发送日期|日期|时间|收件人|主题|抄送|sent|date|to|subject|cc)\s*[:：]",
    re.IGNORECASE,
)
_UNDERSCORE_RULE_RE = re.compile(r"^_{10,}$")
# RecursionError: hostile mail nesting thousands of multiparts exhausts the parser's stack.
_PARSE_FAILURES = (email_errors.MessageError, ValueError, LookupError, IndexError, TypeError,
                   AttributeError, AssertionError, RecursionError)
_MAX_DEPTH = 40


def parse_email(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedMessage:
    """Parse one raw e-mail into a ``ParsedMessage`` (see the module docstring for the rules).

    ``reply_to_case`` comes from a case number in the subject, checked before any quoted
    history is trimmed from the body.
    """
    if not isinstance(raw, (bytes, bytearray)):
        raise _error(f"邮件类型错误 / raw mail must be bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise _error("邮件为空 / empty mail")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        return _extract(msg, raw, max_attachment_bytes)
    except ParseError:
        raise
    except _PARSE_FAILURES:
        pass  # policy.default's structured headers choke on some real mail; retry plainly
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
        return _extract(msg, raw, max_attachment_bytes)
    except _PARSE_FAILURES as exc:
        raise _error(f"邮件结构无法解析 / unparseable mail structure: {exc!r}") from None


def decode_header_value(value: str) -> str:
    """Decode a raw header value (RFC 2047 words and/or raw 8-bit bytes) to a one-line string.

    Adjacent encoded words are joined at byte level first, because Chinese clients split
    multi-byte characters across them.
    """
    text = _FOLD_RE.sub("", value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = _decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # run of adjacent encoded words
    pos = 0
    for match in _ENCODED_WORD_RE.finditer(text):
        between = text[pos:match.start()]
        word = _decode_word(match.group(1), match.group(2), match.group(3))
        if word is None:  # undecodable: keep it literally rather than lose it
            if pending:
                out.append(_flush_words(pending))
            out.append(between + match.group(0))
        else:
            # Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
            if not pending or between.strip():
                if pending:
                    out.append(_flush_words(pending))
                out.append(between)
            pending.append(word)
        pos = match.end()
    if pending:
        out.append(_flush_words(pending))
    out.append(text[pos:])
    return _one_line("".join(out))


def split_quoted(text: str) -> tuple[str, str, bool]:
    """Split a plain-text body into (own text, quoted history, history-is-a-forward).

    Recognises "-----原始邮件-----", "------------------ Original ------------------",
    "On ... wrote:", "... 写道：", Outlook header blocks and ">"-quoted lines.
    """
    lines = text.split("\n")
    cut, forward = _find_history_start(lines)
    own_lines = lines[:cut]
    quoted = lines[cut:]
    kept = [line for line in own_lines if not line.lstrip().startswith(">")]
    quoted = [line for line in own_lines if line.lstrip().startswith(">")] + quoted
    return clean_text("\n".join(kept)), clean_text("\n".join(quoted)), forward


def is_auto_generated(raw: bytes) -> bool:
    """True for bounces, out-of-office and other machine mail (RFC 3834), which must not open
    cases or be auto-acknowledged (mail loops)."""
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    except _PARSE_FAILURES:
        return False
    headers = {name.lower(): str(value).strip().lower() for name, value in msg.raw_items()}
    if headers.get("auto-submitted", "no") not in ("", "no"):
        return True
    # X-Auto-Response-Suppress is deliberately not checked: Outlook sets it on ordinary mail.
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    if headers.get("precedence") in ("bulk", "junk", "list", "auto_reply"):
        return True
    if headers.get("content-type", "").startswith("multipart/report"):
        return True
    if headers.get("return-path") == "<>":
        return True  # null envelope sender: a delivery status notification
    sender = headers.get("from", "")
    return "mailer-daemon@" in sender or "postmaster@" in sender


# --- extraction ------------------------------------------------------------------------------

@dataclass
class _Collected:
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _error(reason: str) -> ParseError:
    return ParseError(reason, channel=CHANNEL)


def _extract(msg: Message, raw: bytes, max_attachment_bytes: int) -> ParsedMessage:
    if not list(msg.raw_items()):
        raise _error("不是邮件格式（没有邮件头）/ not an e-mail: no header section found")
    sender, sender_name = _sender(msg)
    subject = decode_header_value(_raw_header(msg, "subject") or "")
    collected = _Collected()
    _collect(msg, collected, max_attachment_bytes, want_text=True)
    body = clean_text("\n\n".join(t for t in collected.texts if t.strip()))
    reply_to_case = find_case_number(subject)  # before trimming, as the quoted part goes away
    text, quoted_case = _trim_history(body, subject, msg)
    title = _PREFIX_RE.sub("", subject).strip() or None
    # A reply that is only "1", "满意"... answers the survey it quotes.
    rating = rating_in_reply(text) if _is_reply(subject, msg) and text else None
    text = _with_dropped_note(text or title or "", collected.dropped)
    if not text and not collected.attachments:
        raise _error("邮件没有主题、正文或附件 / mail has no subject, text or attachment")
    return ParsedMessage(
        channel=CHANNEL,
        external_id=_message_id(msg, raw),
        sender=sender,
        sender_name=sender_name,
        text=text,
        title=title,
        received_at=_date(msg),
        attachments=tuple(collected.attachments),
        reply_to_case=reply_to_case or quoted_case,
        rating=rating,
    )


def _is_reply(subject: str, msg: Message) -> bool:
    return bool(_REPLY_SUBJECT_RE.match(subject) or _raw_header(msg, "in-reply-to")
                or _raw_header(msg, "references"))


def _trim_history(body: str, subject: str, msg: Message) -> tuple[str, str | None]:
    """Drop quoted history from replies; keep everything else.

    Only replies are trimmed: in a new mail or a forward, text after "-----原始邮件-----" is
    what the citizen wants us to read (a forwarded notice, a pasted exchange).  Returns
    (text, case number labelled "工单号" in the quoted history).
    """
    if not _is_reply(subject, msg) or _FORWARD_SUBJECT_RE.match(subject):
        return body, None
    own, quoted, forward = split_quoted(body)
    if forward or not quoted:
        return body, None
    # Bottom-posters write below the quote: an empty "own" part means trimming would lose it.
    return (own or body), find_case_number(quoted, labelled_only=True)


def _find_history_start(lines: list[str]) -> tuple[int, bool]:
    """Index of the first line of quoted/forwarded history (len(lines) if none) and whether it
    is a forward."""
    stripped = [line.strip() for line in lines]
    for i, line in enumerate(stripped):
        if not line:
            continue
        if _FORWARD_SEPARATOR_RE.match(line):
            return i, True
        if _SEPARATOR_RE.match(line) or _WROTE_RE.match(line):
            return i, False
        nxt = next((s for s in stripped[i + 1:i + 3] if s), "")
        if _ON_RE.match(line) and re.search(r"wrote\s*:$", nxt, re.IGNORECASE):
            return i, False
        if _UNDERSCORE_RULE_RE.match(line) and _HEADER_START_RE.match(nxt):
            return i, False
        if _HEADER_START_RE.match(line) and any(
            _HEADER_NEXT_RE.match(s) for s in stripped[i + 1:i + 5]
        ):
            return i, False
    return len(lines), False


def _collect(
    part: Message, out: _Collected, max_bytes: int, *, want_text: bool, depth: int = 0
) -> None:
    """Walk the MIME tree: body text in reading order, files as attachments."""
    if depth > _MAX_DEPTH:
        out.dropped.append("邮件嵌套过深，其余部分未读取 / MIME nesting too deep, rest skipped")
        return
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if part.get_content_type() == "message/rfc822":
            if want_text:
                out.texts.extend(_forwarded_header(inner) for inner in children)
            chosen = None
        elif part.get_content_type() == "multipart/alternative":
            chosen = _best_alternative(children)
        else:
            chosen = None
        for child in children:
            # Non-chosen alternatives still contribute files (e.g. screenshots pasted inline).
            keep_text = want_text and (chosen is None or child is chosen)
            _collect(child, out, max_bytes, want_text=keep_text, depth=depth + 1)
        return
    _collect_leaf(part, out, max_bytes, want_text=want_text)


def _collect_leaf(part: Message, out: _Collected, max_bytes: int, *, want_text: bool) -> None:
    ctype = part.get_content_type()
    disposition = (_param_header_value(part, "content-disposition") or "").lower()
    filename = _filename(part)
    if ctype.startswith(("multipart/", "message/")):
        # A container the parser could not split (missing boundary): its raw text is all
        # there is, so read it rather than refuse it as an unknown file type.
        if want_text:
            out.texts.append(_part_text(part))
        return
    if ctype in ("text/plain", "text/html") and disposition != "attachment":
        if want_text:
            out.texts.append(_part_text(part))
        return
    data = part.get_payload(decode=True) or b""
    name = filename or f"附件{len(out.attachments) + len(out.dropped) + 1}"
    if ctype == "text/plain" and 0 < len(data) <= max_bytes:
        # A .txt attachment is readable content; include it rather than refuse it.
        out.texts.append(f"[附件 / attachment {name}]\n{_part_text(part)}")
        return
    if not data:
        out.dropped.append(f"{name}：附件为空 / empty attachment")
        return
    try:
        out.attachments.append(check_attachment(name, data, max_bytes=max_bytes))
    except ParseError as exc:
        out.dropped.append(exc.reason)


def _best_alternative(children: list[Message]) -> Message | None:
    """Prefer a non-empty text/plain alternative, else the last (richest) one."""
    for child in children:
        if child.get_content_type() == "text/plain" and _part_text(child).strip():
            return child
    return children[-1] if children else None


def _part_text(part: Message) -> str:
    """The text of a body part; ``ParseError`` when it cannot be read at all, so that a
    person reads the raw mail instead of a case of garbled text."""
    data = part.get_payload(decode=True) or b""
    if any(isinstance(defect, email_errors.InvalidBase64LengthDefect)
           for defect in getattr(part, "defects", ())):
        raise _error("邮件正文的 base64 编码已损坏，原文已保留 / the body's base64 is broken; "
                     "the raw mail is kept for review")
    charset = _param(part, "content-type", "charset")
    text = _decode_bytes(data, charset, strict=True)
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return clean_text(text)


def _forwarded_header(inner: Message) -> str:
    fields = [("发件人 / From", "from"), ("日期 / Date", "date"), ("主题 / Subject", "subject")]
    lines = ["[转发的邮件 / forwarded message]"]
    for label, name in fields:
        value = decode_header_value(_raw_header(inner, name) or "")
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def _with_dropped_note(text: str, dropped: list[str]) -> str:
    if not dropped:
        return text
    note = "\n".join(f"- {reason}" for reason in dropped)
    return f"{text}\n\n[未保存的附件或内容 / attachments or parts not kept]\n{note}".strip()


# --- headers ---------------------------------------------------------------------------------

def _raw_header(msg: Message, name: str) -> str | None:
    """The first header ``name`` exactly as received (no policy decoding)."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _param_message(part: Message, header: str) -> Message | None:
    # compat32 parameter parsing on the raw value keeps RFC 2231 (charset, lang, value)
    # tuples and encoded words intact, so we choose the charset rather than the policy.
    raw = _raw_header(part, header)
    if raw is None:
        return None
    shim = Message(policy=policy.compat32)
    shim[header] = _FOLD_RE.sub("", raw)
    return shim


def _param_header_value(part: Message, header: str) -> str | None:
    shim = _param_message(part, header)
    if shim is None:
        return None
    return str(shim.get(header, "")).split(";", 1)[0].strip() or None


def _param(part: Message, header: str, name: str) -> str | None:
    shim = _param_message(part, header)
    if shim is None:
        return None
    value = shim.get_param(name, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _lang, text = value
        data = str(text).encode("latin-1", "surrogateescape")
        return _one_line(_decode_bytes(data, charset))
    return decode_header_value(str(value))


def _filename(part: Message) -> str | None:
    name = _param(part, "content-disposition", "filename") or _param(part, "content-type", "name")
    return name or None


def _sender(msg: Message) -> tuple[str, str | None]:
    raw = _raw_header(msg, "from")
    if raw is None:
        raise _error("缺少发件人 / missing From header")
    unfolded = _FOLD_RE.sub("", raw)
    if any("\udc80" <= ch <= "\udcff" for ch in unfolded):
        unfolded = _decode_bytes(unfolded.encode("utf-8", "surrogateescape"), None)
    for name, address in getaddresses([unfolded]):
        if len(address.strip()) <= 254 and _ADDRESS_RE.fullmatch(address.strip()):
            return address.strip().lower(), decode_header_value(name) or None
    found = _ADDRESS_RE.search(unfolded)
    if found and len(found.group(0)) <= 254:
        return found.group(0).lower(), None
    raise _error(f"发件人地址无效 / no usable address in From: {_one_line(unfolded)[:200]!r}")


def _message_id(msg: Message, raw: bytes) -> str:
    value = _WS_RE.sub("", _raw_header(msg, "message-id") or "").strip("<>")
    if len(value) > MAX_ID_LENGTH:
        # Hostile or broken ids must still fit the idempotency column.
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
    if value:
        return value
    # Stable across re-fetches of the same mail, so still an idempotency key.
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(_one_line(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # an unreadable Date is not worth losing the mail over
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # "-0000": UTC, local zone unknown
    return parsed.astimezone(UTC)


# --- decoding ---------------------------------------------------------------------------------

def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower().split("*", 1)[0]
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return None
    try:
        "".encode(name)
    except LookupError:
        return None
    return name


def _decode_bytes(data: bytes, charset: str | None, *, strict: bool = False) -> str:
    """Decode with the declared charset, then UTF-8, then GB18030. Never raises, unless
    ``strict`` (a body part): then bytes none of them reads are a ``ParseError``."""
    codec = _codec(charset)
    candidates = [codec, "utf-8", "gb18030"]
    if codec == "gb18030" and _looks_like_utf8(data):
        # Some PHP mailers label UTF-8 as gb2312; GB18030 would decode it without error into
        # mojibake, while real GBK text of this length is practically never valid UTF-8.
        candidates.insert(0, "utf-8")
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    if strict:
        raise _error(f"邮件正文无法解码（声明的字符集 {charset or '无'}），原文已保留 / the body "
                     f"decodes as neither {charset or 'its charset'}, UTF-8 nor GB18030; the "
                     f"raw mail is kept for review")
    return data.decode(codec or "gb18030", "replace")


def _looks_like_utf8(data: bytes) -> bool:
    if sum(b >= 0x80 for b in data) < 6:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_word(charset: str, encoding: str, payload: str) -> tuple[str, bytes] | None:
    try:
        if encoding.lower() == "b":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None
    return charset, data


def _flush_words(pending: list[tuple[str, bytes]]) -> str:
    """Decode a run of adjacent encoded words, joining bytes that share a charset."""
    parts: list[str] = []
    charset, chunk = pending[0][0], b""
    for word_charset, data in pending:
        if word_charset.lower() != charset.lower():
            parts.append(_decode_bytes(chunk, charset))
            charset, chunk = word_charset, b""
        chunk += data
    parts.append(_decode_bytes(chunk, charset))
    pending.clear()
    return "".join(parts)


def _one_line(text: str) -> str:
    return _WS_RE.sub(" ", clean_text(text)).strip()
