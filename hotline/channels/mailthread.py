"""E-mail threading and replies to the survey: pure helpers, no database.

- :func:`case_subject` puts the case number into a subject exactly once, however many
  round trips ("Re: 回复: Re: ... [工单号 N] [工单号 N]") the subject has made.
- :func:`references` builds ``References`` from the citizen's mail (RFC 5322 3.6.4).
- :func:`rating_in_reply` finds a 1/2/3 (满意/基本满意/不满意) answer in the citizen's own
  part of a reply, once the quoted survey and the client's signature are gone.
"""

from __future__ import annotations

import re

from .text import parse_rating

NUMBER_TAG = "[工单号 {number}]"
MAX_REFERENCES = 10
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|回复|答复|回覆|转发|轉寄|转寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE)
_TAG_RE = re.compile(r"\s*[\[【(（]\s*工单(?:号|编号)?\s*[:：]?\s*(20\d{12})\s*[\]】)）]")
_MSGID_RE = re.compile(r"<[^<>\s]+>")
# What mail clients put below a reply written on a phone or in webmail.
_SIGNATURE_RE = re.compile(
    r"^(?:--\s*|—+|_{3,}|发自我的.{0,20}|来自.{0,12}(?:邮箱|邮件|客户端|iPhone|iPad|Android)"
    r".{0,12}|sent from .{0,40}|get outlook for .{0,20}"
    r"|发自.{0,12}(?:邮箱|邮件|大师|手机).{0,12})$",
    re.IGNORECASE)


def case_subject(subject: str | None, number: str, *, default: str = "您的来信") -> str:
    """``subject`` with the case number exactly once: earlier number tags and stacked reply
    prefixes are folded into one ``Re:`` and one ``[工单号 N]``."""
    text = " ".join((subject or "").split())
    replying = bool(_PREFIX_RE.match(text))
    text = _PREFIX_RE.sub("", text)
    text = _TAG_RE.sub("", text).strip()
    text = _PREFIX_RE.sub("", text).strip() or default
    if number not in text:
        text = f"{text} {NUMBER_TAG.format(number=number)}"
    return f"Re: {text}" if replying else text


def message_ids(value: str | None) -> list[str]:
    """The ``<id@host>`` tokens of a Message-ID, In-Reply-To or References header."""
    return _MSGID_RE.findall(value or "")


def references(message_id: str | None, earlier: str | None) -> str | None:
    """``References`` for an answer to a mail: its own References, then its Message-ID,
    the oldest kept first and the chain capped at :data:`MAX_REFERENCES`."""
    chain = [m for m in message_ids(earlier) if m != message_id]
    if message_id:
        chain.append(message_id)
    if not chain:
        return None
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1):]
    return " ".join(chain)


def rating_in_reply(own_text: str) -> int | None:
    """1, 2 or 3 when the citizen's own part of a reply is just a rating ("1", "满意",
    "2 基本满意。", "3\\n\\n发自我的iPhone"), else None."""
    lines = [line.strip() for line in own_text.replace("\r", "").split("\n")]
    kept: list[str] = []
    for line in lines:
        if _SIGNATURE_RE.match(line):
            break
        if line and not line.startswith(">"):
            kept.append(line)
    if not kept or len(kept) > 2:
        return None
    return parse_rating(" ".join(kept))
