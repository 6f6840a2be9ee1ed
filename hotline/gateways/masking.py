"""Masking of phone numbers and other recipients before they reach logs (个人信息保护)."""

from __future__ import annotations

import re

# A mainland mobile, optionally with +86/0086 and "-" or space separators (138-1234-1234);
# digit look-arounds keep longer numbers (case numbers, ID numbers) untouched.
_MOBILE = re.compile(
    r"(?<![0-9])((?:\+|00)?86[-\s]?)?(1[3-9][0-9])([-\s]?)[0-9]{4}([-\s]?)([0-9]{4})(?![0-9])"
)
# A landline: area code (010, 02x, or four digits), optional separator, 7–8 digit number.
_LANDLINE = re.compile(
    r"(?<![0-9])(\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?)([-\s]?)([0-9]{3,4})([0-9]{4})(?![0-9])"
)
_BARE_LOCAL = re.compile(r"([0-9]{3,4})([0-9]{4})")


def mask_phone(text: str) -> str:
    """Hide the middle of phone numbers in ``text``: ``13812341234`` -> ``138****1234``.

    Mobiles anywhere in the string keep their first 3 and last 4 digits; landlines keep the
    area code and last 4 digits (``010-****5678``); other text is left as it is.
    """
    bare = _BARE_LOCAL.fullmatch(text.strip())
    if bare:
        return "*" * len(bare.group(1)) + bare.group(2)
    text = _MOBILE.sub(
        lambda m: f"{m.group(1) or ''}{m.group(2)}{m.group(3)}****{m.group(4)}{m.group(5)}",
        text,
    )
    return _LANDLINE.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{'*' * len(m.group(3))}{m.group(4)}", text
    )


def mask_recipient(recipient: str) -> str:
    """A log-safe form of any recipient: masked phone, ``z***@example.com``, or ``oAbC****wxyz``."""
    masked = mask_phone(recipient)
    if masked != recipient:
        return masked
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) > 8:  # e.g. a WeChat openid: enough to tell them apart, not to reuse
        return f"{recipient[:4]}****{recipient[-4:]}"
    return "*" * len(recipient)
