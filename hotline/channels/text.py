"""Text helpers shared by the channel parsers: cleaning, case numbers, queries and ratings."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# A case number is YYYYMMDD + a 6-digit daily sequence; ASCII digits only after NFKC so that
# full-width input (２０２６…) still matches but other scripts' digits do not.
_CASE_RE = re.compile(r"(?<![0-9])((20[0-9]{2})([0-9]{2})([0-9]{2})[0-9]{6})(?![0-9])")
_LABELLED_CASE_RE = re.compile(
    r"工单\s*(?:编号|编码|号码|号)?\s*(?:为|是)?\s*[:：#＃]?\s*"
    r"(?<![0-9])(20[0-9]{12})(?![0-9])"
)
_QUERY_RE = re.compile(
    r"^查询\s*(?:工单|诉求|进度|办理)?\s*(?:进度|编号|号码|号)?\s*[:：#]?\s*"
    r"([0-9]{14})(?![0-9])"
)
_RATING_WORDS = {"满意": 1, "非常满意": 1, "很满意": 1, "基本满意": 2, "不满意": 3,
                 "很不满意": 3, "非常不满意": 3}
_RATING_RE = re.compile(r"^([123])?(非常满意|很满意|基本满意|非常不满意|很不满意|不满意|满意)?$")
_TRAILING_PUNCT_RE = re.compile(r"[。.!！~～,，;；]+$")
_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")
_KEPT_FORMAT_CHARS = {"\u200d"}  # zero-width joiner builds emoji sequences; keep it


def normalize_for_matching(text: str) -> str:
    """NFKC-fold text (full-width digits and spaces become ASCII) for pattern detection only.

    The stored text is never NFKC-folded because that would also rewrite Chinese punctuation.
    """
    return unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """Normalise newlines, drop control/invisible characters and surplus blank lines.

    Channels feed this whatever a phone or mail client produced; staff screens and exports
    need plain, printable text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Classify each distinct character once: a mail body has ~10^6 characters but only a few
    # thousand distinct ones, so this is far cheaper than a per-character loop.
    table = {ord(ch): new for ch in set(text) if (new := _replacement(ch)) != ch}
    lines = [line.rstrip() for line in text.translate(table).split("\n")]
    return _MANY_BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def _replacement(ch: str) -> str:
    if ch == "\n":
        return ch
    if ch in "\u2028\u2029":
        return "\n"
    if ch in "\t\xa0":
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and ch not in _KEPT_FORMAT_CHARS):
        return ""
    return ch


def is_valid_case_number(number: str) -> bool:
    """True when ``number`` is 14 ASCII digits whose first eight form a real calendar date."""
    match = _CASE_RE.fullmatch(number)
    if not match:
        return False
    try:
        date(int(match.group(2)), int(match.group(3)), int(match.group(4)))
    except ValueError:
        return False
    return True


def find_case_number(text: str, *, labelled_only: bool = False) -> str | None:
    """Return the case number mentioned in ``text`` (a "工单号" label wins), else None.

    With ``labelled_only`` a bare 14-digit number is not enough, which is what quoted mail
    history needs to avoid picking up unrelated numbers.
    """
    folded = normalize_for_matching(text)
    for match in _LABELLED_CASE_RE.finditer(folded):
        if is_valid_case_number(match.group(1)):
            return match.group(1)
    if labelled_only:
        return None
    for match in _CASE_RE.finditer(folded):
        if is_valid_case_number(match.group(1)):
            return match.group(1)
    return None


def parse_query(text: str) -> str | None:
    """Return the case number of a "查询 20261124000123" progress query, else None."""
    match = _QUERY_RE.match(normalize_for_matching(text).strip())
    if match and is_valid_case_number(match.group(1)):
        return match.group(1)
    return None


def parse_rating(text: str) -> int | None:
    """Return 1/2/3 for a satisfaction reply ("1", "２", " 3 ", "1满意", "不满意"), else None.

    A digit that contradicts its word ("1不满意") is not a rating: a human should read it.
    """
    folded = re.sub(r"\s+", "", normalize_for_matching(text))
    folded = _TRAILING_PUNCT_RE.sub("", folded)
    match = _RATING_RE.fullmatch(folded)
    if not match or not (match.group(1) or match.group(2)):
        return None
    digit = int(match.group(1)) if match.group(1) else None
    word = _RATING_WORDS[match.group(2)] if match.group(2) else None
    if digit is not None and word is not None and digit != word:
        return None
    return digit if digit is not None else word


_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")


def language_of(text: str | None) -> str | None:
    """The language a citizen wrote in, among the two the hotline speaks: ``zh_CN`` when
    the text has Chinese characters, ``en`` when it has none but at least three Latin
    words, else None (digits, a rating, an emoji: the deployment's language applies).

    A two-way choice on the script, not language identification: a message with any Chinese
    in it is answered in Chinese."""
    if not text:
        return None
    if _HAN_RE.search(text):
        return "zh_CN"
    return "en" if len(_LATIN_WORD_RE.findall(text)) >= 3 else None
