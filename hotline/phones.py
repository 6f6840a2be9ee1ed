"""Phone numbers, in one place: parse, normalise and mask (个人信息保护).

A ground-floor library with no knowledge of Flask. Validation, the channels, the log filter,
the gateways' masking, the follow-up and the agent's caller look-up all use it, so a number
typed as ``+86 139-1111-7777`` and one sent as ``13911117777`` are the same citizen, and a
log line masks every format the gateways mask.

Canonical forms (what is stored):

* a mainland mobile: 11 digits, ``13911117777`` (``+86``/``0086``/``86``, spaces, dashes,
  dots and brackets dropped);
* a landline: area code and number as digits, ``01012345678``; with an extension
  ``057187654321-8001`` (typed ``0571-87654321转8001``, ``ext. 8001``, ``x8001``, ``#8001``);
* a foreign number: E.164, ``+442079460958``;
* anything else plausible (a local number without area code, a short service number): its
  digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MOBILE = "mobile"
LANDLINE = "landline"
FOREIGN = "foreign"
OTHER = "other"

_NOISE = re.compile(r"[\s\-().·]")
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1[3-9][0-9]{9}$|0?[1-9][0-9]{8,10}$)")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE_RE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))([1-9][0-9]{6,7})")
_FOREIGN_RE = re.compile(r"(?:\+|00)([1-9][0-9]{6,14})")
_EXTENSION = re.compile(r"^(.*?)(?:转|分机|ext\.?|x|#|,)\s*([0-9]{1,6})$", re.IGNORECASE)
_PLAUSIBLE = re.compile(r"^[0-9\s\-().·+]{5,30}$")
_COMPACT = re.compile(r"\+?[0-9]+")

# In running text (log lines, message bodies): a mobile with optional +86/0086 and "-" or
# space separators, or a landline with its area code; digit look-arounds keep longer numbers
# (case numbers, ID numbers) untouched.
_MOBILE_IN_TEXT = re.compile(
    r"(?<![0-9])((?:\+|00)?86[-\s]?)?(1[3-9][0-9])([-\s]?)[0-9]{4}([-\s]?)([0-9]{4})(?![0-9])"
)
_LANDLINE_IN_TEXT = re.compile(
    r"(?<![0-9])(\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?)([-\s]?)([0-9]{3,4})([0-9]{4})(?![0-9])"
)
_BARE_LOCAL = re.compile(r"([0-9]{3,4})([0-9]{4})")


@dataclass(frozen=True)
class Phone:
    """A parsed number: its kind and canonical form, plus the parts a landline has."""

    kind: str
    number: str
    area: str | None = None
    extension: str | None = None


def parse(raw: str | None) -> Phone | None:
    """Read a number as people type it; None when it is not a plausible phone number."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    extension = None
    split = _EXTENSION.match(text)
    if split:
        text, extension = split.group(1).strip(), split.group(2)
    if not _PLAUSIBLE.match(text):
        return None
    compact = _NOISE.sub("", text)
    if not _COMPACT.fullmatch(compact):
        return None
    local = _CN_PREFIX.sub("", compact)
    if _MOBILE_RE.fullmatch(local) and extension is None:
        return Phone(MOBILE, local)
    if local != compact and not local.startswith("0"):  # +86 10 12345678: the 0 is dropped
        local = "0" + local
    landline = _LANDLINE_RE.fullmatch(local)
    if landline:
        number = local + (f"-{extension}" if extension else "")
        return Phone(LANDLINE, number, area=landline.group(1), extension=extension)
    foreign = _FOREIGN_RE.fullmatch(compact)
    if foreign and not foreign.group(1).startswith("86") and extension is None:
        return Phone(FOREIGN, "+" + foreign.group(1))
    digits = compact.lstrip("+")
    if digits.isdigit() and 5 <= len(digits) <= 20 and extension is None:
        return Phone(OTHER, digits)
    return None


def normalise(raw: str | None) -> str | None:
    """The canonical form of a typed number (see the module's text), or None."""
    phone = parse(raw)
    return phone.number if phone else None


def mobile(raw: str | None) -> str | None:
    """The 11-digit mainland mobile in ``raw``, or None (an SMS can go only there)."""
    phone = parse(raw)
    return phone.number if phone and phone.kind == MOBILE else None


def sms_sender(raw: str | None) -> str | None:
    """Who sent an SMS: a mainland mobile (11 digits) or a foreign number (E.164); a landline
    or a short number is not a sender the gateway can have."""
    phone = parse(raw)
    return phone.number if phone and phone.kind in (MOBILE, FOREIGN) else None


def lookup_prefix(typed: str | None) -> str:
    """The digits to search stored numbers by while an agent types one: ``+86 139-1111``
    and ``0086 1391111`` both look for numbers starting ``1391111``."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", typed or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and digits[len(prefix):][:1] == "1":
            return digits[len(prefix):]
    return digits


def prefix_upper_bound(digits: str) -> str | None:
    """The smallest digit string above every number starting with ``digits``: ``1389`` ->
    ``139``; None for all nines. ``phone >= digits AND phone < bound`` is a prefix search an
    ordinary index answers in any collation, unlike ``LIKE 'digits%'`` on PostgreSQL."""
    stripped = digits.rstrip("9")
    if not stripped or stripped[-1] not in "012345678":  # also other scripts' digits
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def mask_in_text(text: str) -> str:
    """Hide the middle of every phone number in ``text``: ``13812341234`` -> ``138****1234``.

    Mobiles anywhere in the string keep their first 3 and last 4 digits; landlines keep the
    area code and last 4 digits (``010-****5678``); other text is left as it is.
    """
    bare = _BARE_LOCAL.fullmatch(text.strip())
    if bare:
        return "*" * len(bare.group(1)) + bare.group(2)
    text = _MOBILE_IN_TEXT.sub(
        lambda m: f"{m.group(1) or ''}{m.group(2)}{m.group(3)}****{m.group(4)}{m.group(5)}",
        text,
    )
    return _LANDLINE_IN_TEXT.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{'*' * len(m.group(3))}{m.group(4)}", text
    )


def find_in_text(text: str | None) -> list[str]:
    """Every mainland mobile and landline written in ``text``, canonical (the same forms
    :func:`normalise` gives), in order of appearance and without repeats."""
    found: list[str] = []
    for pattern in (_MOBILE_IN_TEXT, _LANDLINE_IN_TEXT):
        for match in pattern.finditer(unicodedata.normalize("NFKC", text or "")):
            number = normalise(match.group(0))
            if number and number not in found:
                found.append(number)
    return found


def mask(phone: str | None) -> str:
    """One stored number for display: ``138****1234``, ``010****5678``, else all but the
    last four digits hidden. Enough to recognise a caller, not enough to call them."""
    if not phone:
        return ""
    masked = mask_in_text(phone)
    if masked != phone:
        return masked
    if len(phone) > 4:
        return f"{'*' * (len(phone) - 4)}{phone[-4:]}"
    return "****"
