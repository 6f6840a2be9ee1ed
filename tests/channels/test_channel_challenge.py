"""Offline arithmetic challenge for the public mailbox form."""

import random
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from hotline.channels.challenge import (
    HONEYPOT_FIELD,
    Challenge,
    ChallengeError,
    check_honeypot,
    issue,
    parse_answer,
    render_svg,
    token_id,
    verify,
)

SECRET = b"app-secret-key"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)
SVG_NS = "{http://www.w3.org/2000/svg}"


def solve(challenge: Challenge, secret: bytes = SECRET) -> int:
    """Find the answer the way a test may: by asking verify (a real client must read the SVG)."""
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


def question_of(svg: str) -> str:
    """Reassemble the question from glyph x positions (document order is shuffled)."""
    root = ET.fromstring(svg)
    glyphs = [(float(t.get("x")), t.text) for t in root.iter(f"{SVG_NS}text")]
    return "".join(text for _, text in sorted(glyphs))


def compute(question: str) -> int:
    zh = {c: i for i, c in enumerate("零一二三四五六七八九")}

    def number(s: str) -> int:
        if s.isdigit():
            return int(s)
        if "十" in s:
            tens, _, ones = s.partition("十")
            return (zh[tens] if tens else 1) * 10 + (zh[ones] if ones else 0)
        return zh[s]

    a, op, b = re.fullmatch(r"(.+?)(加|减|乘以)(.+?)等于几？", question).groups()
    return {"加": number(a) + number(b), "减": number(a) - number(b),
            "乘以": number(a) * number(b)}[op]


def test_round_trip() -> None:
    challenge = issue(SECRET, NOW)
    answer = solve(challenge)
    verify(SECRET, challenge.token, str(answer), LATER)


@pytest.mark.parametrize("seed", range(25))
def test_svg_shows_the_question_that_the_token_expects(seed: int) -> None:
    challenge = issue(SECRET, NOW, rng=random.Random(seed))
    question = question_of(challenge.question_svg)
    assert question.endswith("等于几？")
    verify(SECRET, challenge.token, str(compute(question)), LATER)
    assert compute(question) >= 0


def test_svg_is_self_contained_and_well_formed() -> None:
    svg = issue(SECRET, NOW).question_svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert 'font-family="sans-serif"' in svg
    for forbidden in ("href", "url(", "@import", "<image", "<script", "<foreignObject"):
        assert forbidden not in svg
    assert len(list(root.iter(f"{SVG_NS}path"))) >= 3  # noise lines


def test_glyph_document_order_is_shuffled() -> None:
    shuffled = 0
    for seed in range(10):
        svg = issue(SECRET, NOW, rng=random.Random(seed)).question_svg
        glyphs = [t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text")]
        shuffled += "".join(glyphs) != question_of(svg)
    assert shuffled >= 9


def test_render_svg_escapes_text() -> None:
    svg = render_svg("<&>", random.Random(1))
    ET.fromstring(svg)
    assert "<&>" not in svg


@pytest.mark.parametrize("form", ["{}", " {} ", "{}。", "FULLWIDTH"])
def test_answer_forms(form: str) -> None:
    challenge = issue(SECRET, NOW, rng=random.Random(7))
    answer = compute(question_of(challenge.question_svg))
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
        assert "答案不正确" in info.value.message and "wrong answer" in info.value.message


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
        answer = compute(question_of(challenge.question_svg))
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
