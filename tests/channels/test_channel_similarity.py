"""Repeat detection on Chinese complaints."""

import pytest

from hotline.channels.similarity import (
    is_exact_repeat,
    jaccard,
    normalize,
    shingles,
    similarity,
)

ORIGINAL = "幸福路88号小区门口的路灯已经坏了两个星期，晚上出行很不安全，希望尽快派人维修。"
RESENT = [
    "幸福路88号小区门口的路灯已经坏了三个星期，晚上出行很不安全，希望尽快派人维修！",
    "幸福路88号小区门口路灯已经坏了两个星期了，晚上出行很不安全，请尽快派人维修。",
    "再次反映：幸福路88号小区门口的路灯已经坏了两个星期，晚上出行很不安全，希望尽快派人维修。",
    "幸福路 88 号小区门口的路灯已经坏了两个星期 晚上出行很不安全 希望尽快派人维修",
]
OTHER_TOPICS = [
    "建设路与人民路交叉口红绿灯故障，早高峰车辆拥堵严重。",
    "楼下烧烤摊每天营业到凌晨两点，油烟和噪音扰民。",
    "公司拖欠工资三个月，老板联系不上，要求劳动监察介入。",
    "医保卡异地报销手续太复杂，希望简化流程。",
]


@pytest.mark.parametrize("resent", RESENT)
def test_resent_complaint_with_small_edits_is_similar(resent: str) -> None:
    assert similarity(ORIGINAL, resent) >= 0.6


@pytest.mark.parametrize("other", OTHER_TOPICS)
def test_different_topics_are_dissimilar(other: str) -> None:
    assert similarity(ORIGINAL, other) <= 0.2


def test_similar_complaints_about_same_street_differ_from_exact_copies() -> None:
    related = "幸福路88号小区门口的垃圾桶满了没人清理，臭味很大。"
    assert 0.1 < similarity(ORIGINAL, related) < 0.6


def test_similarity_properties() -> None:
    for a in [ORIGINAL, *OTHER_TOPICS]:
        assert similarity(a, a) == 1.0
        for b in RESENT + OTHER_TOPICS:
            value = similarity(a, b)
            assert 0.0 <= value <= 1.0
            assert value == similarity(b, a)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0.0),
        ("路灯坏了", "", 0.0),
        ("，。！", "？？", 0.0),  # punctuation only normalises to nothing
        ("灯", "灯", 1.0),
        ("灯", "路灯", 0.0),
    ],
)
def test_similarity_edge_cases(a: str, b: str, expected: float) -> None:
    assert similarity(a, b) == expected


def test_normalize_drops_whitespace_punctuation_and_folds_width() -> None:
    assert normalize("路灯 坏了，ＡＢＣ！\n１２３ 😀") == "路灯坏了abc123"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (ORIGINAL, ORIGINAL, True),
        (ORIGINAL, ORIGINAL.replace("，", ",").replace("。", "."), True),
        (ORIGINAL, " ".join(ORIGINAL), True),
        ("路灯坏了ABC", "路灯坏了ａｂｃ", True),
        (ORIGINAL, RESENT[0], False),
        ("", "", False),
        ("。", "！", False),
    ],
)
def test_is_exact_repeat(a: str, b: str, expected: bool) -> None:
    assert is_exact_repeat(a, b) is expected


def test_precomputed_shingles_give_the_same_answer() -> None:
    stored = shingles(ORIGINAL)
    assert jaccard(stored, shingles(RESENT[0])) == similarity(ORIGINAL, RESENT[0])
    assert shingles("ab") == frozenset({"ab"})
    assert shingles("a") == frozenset({"a"})
