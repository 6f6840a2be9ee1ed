"""Text normalisation applied before any feature is computed.

Callers type on phones, paste from WeChat and write letters in traditional characters; the
model should see one canonical form. Personal data (phone and ID numbers, URLs, e-mails, bank
cards) is replaced by fixed placeholders so it never becomes a feature and never skews one.
"""

from __future__ import annotations

import re
import unicodedata

from classifier._t2s import PHRASES, TABLE

PHONE = "PHONE"
IDNO = "IDNO"
URL = "URL"
EMAIL = "EMAIL"
CARDNO = "CARDNO"
PLACEHOLDERS = (PHONE, IDNO, URL, EMAIL, CARDNO)

_URL_RE = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# 18-digit resident ID: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check digit or X.
_ID18_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9A-Za-z])"
)
# Old 15-digit IDs are still read out by elderly callers.
_ID15_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])"
)
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){15,18}\d(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9A-Za-z])")
_LANDLINE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[- ]?[2-9]\d{6,7}"
    r"(?:-\d{1,4})?(?![0-9A-Za-z])"
)
_SERVICE_RE = re.compile(r"(?<![0-9A-Za-z])[48]00[- ]?\d{3}[- ]?\d{4}(?![0-9A-Za-z])")
# A bare 7–8 digit local number is only a phone number when the caller says so.
_LOCAL_RE = re.compile(
    r"(电话|座机|号码|手机|联系方式|拨打|打)([:：是为 ]{0,3})[2-9]\d{6,7}(?![0-9])"
)
_SPACE_RE = re.compile(r"\s+")
_OTHER_DIGIT_RE = re.compile(r"(?![0-9])\d")
# Every number pattern above contains three digits in a row; most requests have none.
_THREE_DIGITS_RE = re.compile(r"\d{3}")
_PHRASE_RE = re.compile("|".join(map(re.escape, PHRASES)))


def to_halfwidth(text: str) -> str:
    """Fold full-width letters, digits and punctuation (and other compatibility forms) to ASCII.

    NFKC does exactly this for the full-width block and also folds circled digits and the like,
    so "１３８" and "138" become the same feature.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    """Convert common traditional characters to simplified ones with a compact built-in table."""
    text = _PHRASE_RE.sub(lambda m: PHRASES[m.group(0)], text)
    return text.translate(TABLE)


def normalize_digits(text: str) -> str:
    """Turn every Unicode decimal digit (Arabic-Indic, Devanagari, ...) into its ASCII digit."""
    return _OTHER_DIGIT_RE.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)


def mask_pii(text: str) -> str:
    """Replace URLs, e-mails, ID numbers, bank cards and phone numbers with placeholders."""
    text = _URL_RE.sub(f" {URL} ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(f" {EMAIL} ", text)
    if not _THREE_DIGITS_RE.search(text):
        return text
    text = _ID18_RE.sub(f" {IDNO} ", text)
    text = _CARD_RE.sub(f" {CARDNO} ", text)
    text = _ID15_RE.sub(f" {IDNO} ", text)
    text = _MOBILE_RE.sub(f" {PHONE} ", text)
    text = _LANDLINE_RE.sub(f" {PHONE} ", text)
    text = _SERVICE_RE.sub(f" {PHONE} ", text)
    return _LOCAL_RE.sub(lambda m: f"{m.group(1)}{m.group(2)} {PHONE} ", text)


def normalize(text: str | None, *, pii: bool = True) -> str:
    """Return the canonical form of a request: half-width, simplified, ASCII digits, PII masked.

    Whitespace is collapsed so that pasted line breaks do not change features. ``None`` becomes "".
    """
    if not text:
        return ""
    text = normalize_digits(to_halfwidth(text))
    text = to_simplified(text)
    if pii:
        text = mask_pii(text)
    return _SPACE_RE.sub(" ", text).strip()
