"""Offline anti-abuse for the public mayor's-mailbox form (no outside captcha service).

A small arithmetic question (digits and + − × only, so it reads the same in every interface
language) is drawn server-side into a PNG with Pillow: each character in its own size, angle
and colour, a wave bent through the whole picture, noise lines and speckles on top. The page
carries only that picture (a ``data:`` URI) and a signed token: HMAC-SHA256 over (issue time,
nonce, keyed hash of the answer), so neither the question nor its answer is in the markup or
the token. The server keeps no state until submission; to stop replays the caller stores
``token_id(token)`` for ``max_age`` seconds after *every* answered attempt (also wrong ones, or
the small answer space can be enumerated).

The font is DejaVu Sans (Debian's fonts-dejavu-core) when installed, else the free font that
Pillow itself bundles. This deters generic form-spam bots and scripts that read markup, not a
targeted attacker with OCR: pair it with the honeypot, ``min_age`` and per-client rate limits.
Visually impaired citizens need another way in (e.g. the phone line).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import math
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Name of a form field hidden from humans (CSS, tabindex=-1, autocomplete=off); bots fill it.
HONEYPOT_FIELD = "contact_homepage"
DEFAULT_MAX_AGE = 1800
DEFAULT_MIN_AGE = 2
_VERSION = "v1"
_MAX_TOKEN_LENGTH = 200
_DIGITS_ZH = "零一二三四五六七八九"
_OPERATORS = (("+", lambda a, b: a + b), ("\u2212", lambda a, b: a - b),
              ("\u00d7", lambda a, b: a * b))
WIDTH, HEIGHT = 220, 72  # the width grows with the question
#: Debian's DejaVu (fonts-dejavu-core) when present; Pillow's bundled free font otherwise
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
#: what each refusal says, in Chinese: the message id the pages translate (one language a page)
_MESSAGES = {
    "wrong": "答案不正确，请重新计算",
    "expired": "验证题已过期，请刷新页面后重试",
    "too_fast": "提交过快，请稍候再提交",
    "tampered": "验证信息无效，请刷新页面后重试",
    "honeypot": "提交被拒绝",
}


@dataclass(frozen=True)
class Challenge:
    """What the form page needs: the question drawn as a PNG and a hidden-field token."""

    image_png: bytes
    token: str

    @property
    def data_uri(self) -> str:
        """The picture as a ``data:`` URI for an ``<img>`` (the page's CSP allows data:)."""
        return "data:image/png;base64," + base64.b64encode(self.image_png).decode("ascii")


class ChallengeError(ValueError):
    """The submission failed the challenge; ``code`` is one of wrong/expired/too_fast/tampered/
    honeypot and ``message`` the Chinese message id the page shows translated."""

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
    return Challenge(image_png=render_png(question, rng), token=f"{body}.{_sign(secret, body)}")


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


def render_png(question: str, rng: random.Random | None = None) -> bytes:
    """Draw ``question`` as a distorted, noisy PNG (no text anywhere but in the pixels)."""
    rng = rng or secrets.SystemRandom()
    glyphs = [None if ch == " " else _glyph(ch, rng) for ch in question]
    advances = [rng.uniform(4, 9) if g is None else g.width * rng.uniform(0.72, 0.9)
                for g in glyphs]
    width = max(WIDTH, int(sum(advances)) + 40)
    image = Image.new("RGB", (width, HEIGHT), _colour(rng, 0xe8, 0xf8))
    draw = ImageDraw.Draw(image)
    for _ in range(3):  # lines under the glyphs
        _noise_line(draw, rng, 0xa0, 0xd0)
    x = rng.uniform(10, 18)
    for glyph, advance in zip(glyphs, advances, strict=True):
        if glyph is not None:
            y = rng.uniform(2, HEIGHT - glyph.height - 2) if glyph.height < HEIGHT - 4 else 0
            image.paste(_colour(rng, 0x10, 0x60), (int(x), int(y)), glyph)
        x += advance
    image = _wave(image, rng)
    draw = ImageDraw.Draw(image)
    for _ in range(4):  # lines through the glyphs
        _noise_line(draw, rng, 0x30, 0x90)
    for _ in range(width):  # speckles
        draw.point((rng.randrange(width), rng.randrange(HEIGHT)), fill=_colour(rng, 0x20, 0xc0))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _glyph(ch: str, rng: random.Random) -> Image.Image:
    """One character as a rotated mask, in a random face and size."""
    font = _font(rng.randrange(len(FONT_FILES)), rng.choice((30, 34, 38, 42)))
    left, top, right, bottom = font.getbbox(ch)
    mask = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(mask).text((4 - left, 4 - top), ch, font=font, fill=255)
    tilt = 28 if ch.isdigit() else 10  # a × tilted far reads as +
    return mask.rotate(rng.uniform(-tilt, tilt), resample=Image.Resampling.BICUBIC, expand=True)


@lru_cache(maxsize=32)
def _font(face: int, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_FILES[face]
    if Path(path).exists():
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Pillow's own free font (Pillow >= 10.1)


def _wave(image: Image.Image, rng: random.Random) -> Image.Image:
    """Bend the picture along a sine wave in both directions (a mesh of thin strips)."""
    amplitude, period, phase = rng.uniform(3, 6), rng.uniform(40, 90), rng.uniform(0, 6.3)
    lift = rng.uniform(1.5, 3.5)
    mesh = []
    step, width = 8, image.width
    for left in range(0, width, step):
        right = min(left + step, width)
        dy0 = amplitude * math.sin(left / period * 6.283 + phase)
        dy1 = amplitude * math.sin(right / period * 6.283 + phase)
        dx = lift * math.sin(left / 23 + phase)
        mesh.append(((left, 0, right, HEIGHT),
                     (left + dx, dy0, left + dx, HEIGHT + dy0,
                      right + dx, HEIGHT + dy1, right + dx, dy1)))
    background = image.getpixel((0, 0))
    return image.transform(image.size, Image.Transform.MESH, mesh,
                           resample=Image.Resampling.BILINEAR, fillcolor=background)


def _colour(rng: random.Random, low: int, high: int) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _noise_line(draw: ImageDraw.ImageDraw, rng: random.Random, low: int, high: int) -> None:
    width = draw.im.size[0]
    points = [(rng.uniform(0, width), rng.uniform(0, HEIGHT)) for _ in range(rng.randint(2, 4))]
    draw.line(points, fill=_colour(rng, low, high), width=rng.randint(1, 2))


def _make_question(rng: random.Random) -> tuple[str, int]:
    """Digits and a sign: the same question in every interface language."""
    sign, op = _OPERATORS[rng.randrange(len(_OPERATORS))]
    if sign == "\u00d7":
        a, b = rng.randint(2, 9), rng.randint(2, 9)
    else:
        a, b = rng.randint(1, 20), rng.randint(1, 20)
        if sign == "\u2212" and b > a:
            a, b = b, a  # no negative answers
    return f"{a} {sign} {b} = ?", op(a, b)


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
