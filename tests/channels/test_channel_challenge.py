"""Offline arithmetic challenge for the public mailbox form: a picture drawn server-side."""

import io
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from hotline.channels import challenge as module
from hotline.channels.challenge import (
    HONEYPOT_FIELD,
    Challenge,
    ChallengeError,
    check_honeypot,
    issue,
    parse_answer,
    render_png,
    token_id,
    verify,
)

SECRET = b"app-secret-key"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)


def solve(challenge: Challenge, secret: bytes = SECRET) -> int:
    """Find the answer the way a test may: by asking verify (a client reads the picture)."""
    answers = []
    for candidate in range(0, 200):
        try:
            verify(secret, challenge.token, str(candidate), LATER)
        except ChallengeError as exc:
            assert exc.code == "wrong"
            continue
        answers.append(candidate)
    assert len(answers) == 1
    return answers[0]


def question_of(seed: int) -> str:
    """The question ``issue`` draws with ``random.Random(seed)`` (it is drawn first)."""
    return module._make_question(random.Random(seed))[0]


def compute(question: str) -> int:
    a, op, b = re.fullmatch(r"(\d+) ([+\u2212\u00d7]) (\d+) = \?", question).groups()
    return {"+": int(a) + int(b), "\u2212": int(a) - int(b), "\u00d7": int(a) * int(b)}[op]


def test_round_trip() -> None:
    challenge = issue(SECRET, NOW)
    answer = solve(challenge)
    verify(SECRET, challenge.token, str(answer), LATER)


@pytest.mark.parametrize("seed", range(25))
def test_the_picture_shows_the_question_that_the_token_expects(seed: int) -> None:
    challenge = issue(SECRET, NOW, rng=random.Random(seed))
    question = question_of(seed)
    assert compute(question) >= 0
    verify(SECRET, challenge.token, str(compute(question)), LATER)


def test_the_question_is_language_neutral() -> None:
    for seed in range(50):
        assert re.fullmatch(r"\d{1,2} [+\u2212\u00d7] \d{1,2} = \?", question_of(seed))


def test_the_picture_is_a_png_with_no_text_but_its_pixels() -> None:
    challenge = issue(SECRET, NOW, rng=random.Random(3))
    picture = Image.open(io.BytesIO(challenge.image_png))
    assert picture.format == "PNG" and picture.height == module.HEIGHT
    assert picture.width >= module.WIDTH
    assert not picture.info.get("text") and b"tEXt" not in challenge.image_png
    assert challenge.data_uri.startswith("data:image/png;base64,")


def test_the_picture_is_noisy_and_different_each_time() -> None:
    first = render_png("7 + 8 = ?", random.Random(1))
    second = render_png("7 + 8 = ?", random.Random(2))
    assert first != second
    colours = Image.open(io.BytesIO(first)).convert("RGB").getcolors(maxcolors=100_000)
    assert len(colours) > 200  # glyph edges, waves, lines and speckles, not two flat colours


def test_a_font_is_found_without_any_outside_host(monkeypatch) -> None:
    monkeypatch.setattr(module, "FONT_FILES", ("/nonexistent/font.ttf",))
    module._font.cache_clear()
    try:
        assert Image.open(io.BytesIO(render_png("1 + 2 = ?", random.Random(0)))).width > 0
    finally:
        module._font.cache_clear()


@pytest.mark.parametrize("form", ["{}", " {} ", "{}。", "FULLWIDTH"])
def test_answer_forms(form: str) -> None:
    challenge = issue(SECRET, NOW, rng=random.Random(7))
    answer = compute(question_of(7))
    text = (str(answer).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            if form == "FULLWIDTH" else form.format(answer))
    verify(SECRET, challenge.token, text, LATER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("11", 11), (" 7 ", 7), ("１８", 18), ("十一", 11), ("十", 10), ("二十", 20),
     ("三十六", 36), ("两", 2), ("八十一", 81), ("一百", 100), ("零", 0), ("一二", 12),
     ("", None), (None, None), ("abc", None), ("-3", None), ("1e3", None), ("9" * 7, None)],
)
def test_parse_answer(text: str | None, expected: int | None) -> None:
    assert parse_answer(text) == expected


def test_wrong_answer() -> None:
    challenge = issue(SECRET, NOW)
    answer = solve(challenge)
    for bad in (str(answer + 1), "", None, "不知道"):
        with pytest.raises(ChallengeError) as info:
            verify(SECRET, challenge.token, bad, LATER)
        assert info.value.code == "wrong"
        assert info.value.message == "答案不正确，请重新计算"  # the id the page translates


def test_too_fast_expired_and_boundaries() -> None:
    challenge = issue(SECRET, NOW)
    answer = str(solve(challenge))
    for when, code in [(NOW, "too_fast"), (NOW + timedelta(seconds=1), "too_fast"),
                       (NOW - timedelta(seconds=5), "too_fast"),
                       (NOW + timedelta(seconds=1801), "expired")]:
        with pytest.raises(ChallengeError) as info:
            verify(SECRET, challenge.token, answer, when)
        assert info.value.code == code
    verify(SECRET, challenge.token, answer, NOW + timedelta(seconds=2))
    verify(SECRET, challenge.token, answer, NOW + timedelta(seconds=1800))
    verify(SECRET, challenge.token, answer, NOW + timedelta(seconds=50), max_age=60, min_age=0)


def test_expired_is_reported_before_wrong_answer() -> None:
    challenge = issue(SECRET, NOW)
    with pytest.raises(ChallengeError) as info:
        verify(SECRET, challenge.token, "-1", NOW + timedelta(hours=2))
    assert info.value.code == "expired"
    assert "过期" in str(info.value)


def tamper(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def test_tampered_tokens() -> None:
    token = issue(SECRET, NOW).token
    older = str(int(NOW.timestamp()) - 10)
    candidates = [
        tamper(token, 1, older),                 # move issue time to dodge expiry
        tamper(token, 2, "A" * 22),              # swap nonce (replay evasion)
        tamper(token, 3, "B" * 22),              # swap answer hash for a known one
        tamper(token, 4, "C" * 43),              # forged signature
        tamper(token, 0, "v2"),
        token + ".extra",
        token[:-1],
        "",
        None,
        "not-a-token",
        "v1.x.y.z.w",
        token + "A" * 300,
    ]
    for candidate in candidates:
        with pytest.raises(ChallengeError) as info:
            verify(SECRET, candidate, "1", LATER)
        assert info.value.code == "tampered"
    with pytest.raises(ChallengeError) as info:
        verify(b"other-secret", token, "1", LATER)
    assert info.value.code == "tampered"


def test_answer_hash_is_salted_per_token() -> None:
    # The same answer must not produce the same hash, or a bot could learn hash -> answer.
    by_answer: dict[int, set[str]] = {}
    for seed in range(40):
        challenge = issue(SECRET, NOW, rng=random.Random(seed))
        answer = compute(question_of(seed))
        by_answer.setdefault(answer, set()).add(challenge.token.split(".")[3])
    repeated = [hashes for hashes in by_answer.values() if len(hashes) > 1]
    assert repeated, "expected some answers to repeat across 40 questions"
    total = sum(len(h) for h in by_answer.values())
    assert total == 40


def test_token_id_for_replay_protection() -> None:
    a, b = issue(SECRET, NOW), issue(SECRET, NOW)
    assert token_id(a.token) == token_id(a.token)
    assert token_id(a.token) != token_id(b.token)
    assert len(token_id(a.token)) <= 32
    for bad in ("", "a.b", "v1.1..x.y"):
        with pytest.raises(ChallengeError):
            token_id(bad)


def test_str_and_bytes_secret_are_equivalent() -> None:
    challenge = issue("app-secret-key", NOW)
    verify(SECRET, challenge.token, str(solve(challenge)), LATER)


def test_empty_secret_and_naive_time_fail_loudly() -> None:
    with pytest.raises(ValueError):
        issue(b"", NOW)
    with pytest.raises(ValueError):
        issue(SECRET, datetime(2026, 11, 24, 9, 0))
    challenge = issue(SECRET, NOW)
    with pytest.raises(ValueError):
        verify(SECRET, challenge.token, "1", datetime(2026, 11, 24, 9, 1))


def test_honeypot() -> None:
    assert HONEYPOT_FIELD and HONEYPOT_FIELD.isidentifier()
    check_honeypot(None)
    check_honeypot("")
    check_honeypot("   ")
    with pytest.raises(ChallengeError) as info:
        check_honeypot("http://spam.example")
    assert info.value.code == "honeypot"
