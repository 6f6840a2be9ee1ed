"""Offline anti-abuse for the public mayor's-mailbox form (no outside captcha service).

A small arithmetic question in Chinese is drawn as an inline SVG and bound to a signed token:
HMAC-SHA256 over (issue time, nonce, keyed hash of the answer).  The server keeps no state
until submission; to stop replays the caller stores ``token_id(token)`` for ``max_age`` seconds
after *every* answered attempt (also wrong ones, or the small answer space can be enumerated).

This deters generic form-spam bots, not a targeted attacker: the question glyphs are SVG
<text> elements (shuffled in document order), so pair it with the honeypot, ``min_age`` and
per-IP rate limiting.  Visually impaired citizens need another way in (e.g. the phone line).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

# Name of a form field hidden from humans (CSS, tabindex=-1, autocomplete=off); bots fill it.
HONEYPOT_FIELD = "contact_homepage"
DEFAULT_MAX_AGE = 1800
DEFAULT_MIN_AGE = 2
_VERSION = "v1"
_MAX_TOKEN_LENGTH = 200
_DIGITS_ZH = "零一二三四五六七八九"
_OPERATORS = (("加", lambda a, b: a + b), ("减", lambda a, b: a - b), ("乘以", lambda a, b: a * b))
_MESSAGES = {
    "wrong": "答案不正确，请重新计算 / wrong answer, please try again",
    "expired": "验证题已过期，请刷新页面后重试 / the question has expired, please reload the page",
    "too_fast": "提交过快，请稍候再提交 / submitted too fast, please wait a moment",
    "tampered": "验证信息无效，请刷新页面后重试 / invalid or tampered challenge, please reload",
    "honeypot": "提交被拒绝 / submission rejected",
}


@dataclass(frozen=True)
class Challenge:
    """What the form page needs: an inline SVG question and a hidden-field token."""

    question_svg: str
    token: str


class ChallengeError(ValueError):
    """The submission failed the challenge; ``code`` is one of wrong/expired/too_fast/tampered/
    honeypot and ``message`` is shown to the citizen (zh / en)."""

    def __init__(self, code: str) -> None:
        super().__init__(_MESSAGES[code])
        self.code = code
        self.message = _MESSAGES[code]


def issue(secret: bytes | str, now: datetime, *, rng: random.Random | None = None) -> Challenge:
    """Create a new question and its signed token (``rng`` only for deterministic tests)."""
    rng = rng or secrets.SystemRandom()
    question, answer = _make_question(rng)
    nonce = _b64(rng.getrandbits(128).to_bytes(16, "big"))
    issued = str(_epoch(now))
    answer_mac = _answer_mac(secret, nonce, answer)
    body = f"{_VERSION}.{issued}.{nonce}.{answer_mac}"
    return Challenge(question_svg=render_svg(question, rng), token=f"{body}.{_sign(secret, body)}")


def verify(
    secret: bytes | str,
    token: str | None,
    answer: str | None,
    now: datetime,
    *,
    max_age: int = DEFAULT_MAX_AGE,
    min_age: int = DEFAULT_MIN_AGE,
) -> None:
    """Accept the answer to the question behind ``token`` or raise ``ChallengeError``.

    Checks run in the order tampered, too fast (bots post instantly), expired, wrong answer.
    """
    issued, nonce, answer_mac = _open(secret, token)
    age = _epoch(now) - issued
    if age < min_age:
        raise ChallengeError("too_fast")
    if age > max_age:
        raise ChallengeError("expired")
    value = parse_answer(answer)
    if value is None or not hmac.compare_digest(_answer_mac(secret, nonce, value), answer_mac):
        raise ChallengeError("wrong")


def token_id(token: str) -> str:
    """A short opaque id (the nonce) the caller stores for ``max_age`` to refuse replays.

    It does not check the signature, so only trust it for a token that went through ``verify``.
    """
    parts = (token or "").split(".")
    if len(parts) != 5 or not parts[2]:
        raise ChallengeError("tampered")
    return parts[2]


def check_honeypot(value: str | None) -> None:
    """Raise ``ChallengeError("honeypot")`` when the hidden ``HONEYPOT_FIELD`` was filled in."""
    if value and value.strip():
        raise ChallengeError("honeypot")


def parse_answer(answer: str | None) -> int | None:
    """Read the citizen's answer: "11", "１１", " 11 ", "十一" all mean 11; else None."""
    if answer is None:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", answer)).rstrip("。.")
    if not text or len(text) > 6:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    return _parse_chinese_number(text)


def render_svg(question: str, rng: random.Random | None = None) -> str:
    """Draw ``question`` as a noisy inline SVG without external fonts or resources."""
    rng = rng or secrets.SystemRandom()
    width, height = 260, 64
    glyphs: list[str] = []
    x = 12.0
    for ch in question:
        if ch == " ":
            x += 8
            continue
        size = rng.randint(22, 28)
        y = rng.uniform(38, 48)
        angle = rng.uniform(-18, 18)
        color = f"#{rng.randint(0x10, 0x60):02x}{rng.randint(0x10, 0x60):02x}" \
                f"{rng.randint(0x30, 0x90):02x}"
        glyphs.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" '
            f'transform="rotate({angle:.1f} {x + size / 2:.1f} {y - size / 3:.1f})">'
            f"{html.escape(ch)}</text>"
        )
        x += size * (0.62 if ch.isascii() else 1.02) + rng.uniform(0, 3)
    rng.shuffle(glyphs)  # document order no longer spells the question
    noise = [_noise_line(rng, width, height) for _ in range(5)]
    noise += [
        f'<circle cx="{rng.uniform(0, width):.1f}" cy="{rng.uniform(0, height):.1f}" '
        f'r="{rng.uniform(0.8, 1.8):.1f}" fill="#{rng.randint(0x80, 0xc0):02x}8890"/>'
        for _ in range(40)
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(width, int(x) + 8)}" '
        f'height="{height}" viewBox="0 0 {max(width, int(x) + 8)} {height}" role="img" '
        'aria-label="算术验证题 / arithmetic question">'
        f'<rect width="100%" height="100%" fill="#f4f6f8"/>'
        f'<g font-family="sans-serif" font-weight="bold">{"".join(glyphs)}</g>'
        f"{''.join(noise)}</svg>"
    )


def _make_question(rng: random.Random) -> tuple[str, int]:
    word, op = _OPERATORS[rng.randrange(len(_OPERATORS))]
    if word == "乘以":
        a, b = rng.randint(2, 9), rng.randint(2, 9)
    else:
        a, b = rng.randint(1, 20), rng.randint(1, 20)
        if word == "减" and b > a:
            a, b = b, a  # no negative answers
    return f"{_spell(a, rng)} {word} {_spell(b, rng)} 等于几？", op(a, b)


def _spell(n: int, rng: random.Random) -> str:
    # Mixing Arabic and Chinese numerals makes naive OCR slightly harder.
    if rng.random() < 0.5:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS_ZH[ones]
    return ("" if tens == 1 else _DIGITS_ZH[tens]) + "十" + (_DIGITS_ZH[ones] if ones else "")


def _parse_chinese_number(text: str) -> int | None:
    text = text.replace("两", "二").replace("〇", "零")
    digits = {ch: i for i, ch in enumerate(_DIGITS_ZH)}
    if all(ch in digits for ch in text):
        return int("".join(str(digits[ch]) for ch in text))
    match = re.fullmatch(r"([一二三四五六七八九])?十([一二三四五六七八九])?", text)
    if match:
        tens = digits[match.group(1)] if match.group(1) else 1
        return tens * 10 + (digits[match.group(2)] if match.group(2) else 0)
    match = re.fullmatch(r"([一二三四五六七八九])百(?:零?([一二三四五六七八九]))?", text)
    if match:
        return digits[match.group(1)] * 100 + (digits[match.group(2)] if match.group(2) else 0)
    return None


def _noise_line(rng: random.Random, width: int, height: int) -> str:
    points = " ".join(f"{rng.uniform(0, width):.1f} {rng.uniform(0, height):.1f}"
                      for _ in range(3))
    color = f"#{rng.randint(0x90, 0xc8):02x}{rng.randint(0x90, 0xc8):02x}" \
            f"{rng.randint(0x90, 0xd8):02x}"
    return (f'<path d="M {rng.uniform(0, width):.1f} {rng.uniform(0, height):.1f} Q {points}" '
            f'stroke="{color}" stroke-width="{rng.uniform(1, 2.2):.1f}" fill="none"/>')


def _open(secret: bytes | str, token: str | None) -> tuple[int, str, str]:
    """Check the token's signature and return (issued, nonce, answer_mac)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise ChallengeError("tampered")
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != _VERSION or not parts[1].isdigit():
        raise ChallengeError("tampered")
    body, signature = token.rsplit(".", 1)
    if not hmac.compare_digest(_sign(secret, body).encode(), signature.encode("utf-8")):
        raise ChallengeError("tampered")
    return int(parts[1]), parts[2], parts[3]


def _key(secret: bytes | str, purpose: str) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not raw:
        raise ValueError("challenge secret must not be empty")
    # Domain separation: the app secret also signs sessions; never reuse it directly.
    return hmac.new(raw, f"hotline.channels.challenge.{_VERSION}.{purpose}".encode(),
                    hashlib.sha256).digest()


def _sign(secret: bytes | str, body: str) -> str:
    return _b64(hmac.new(_key(secret, "token"), body.encode(), hashlib.sha256).digest())


def _answer_mac(secret: bytes | str, nonce: str, answer: int) -> str:
    # Keyed, because an unkeyed hash of a two-digit answer is reversed by trying 0..99.
    mac = hmac.new(_key(secret, "answer"), f"{nonce}|{answer}".encode(), hashlib.sha256)
    return _b64(mac.digest()[:16])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _epoch(now: datetime) -> int:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())
