"""Tests for top terms."""

from __future__ import annotations

import warnings

from hotline.reporting.terms import top_terms

with warnings.catch_warnings():
    # jieba's import path has raised DeprecationWarnings on some Python versions.
    warnings.simplefilter("ignore")
    import jieba


def split(text: str) -> list[str]:
    return text.split()


def test_counts_each_term_once_per_text() -> None:
    texts = ["路灯 路灯 路灯 不亮", "路灯 维修", "噪音 扰民"]
    assert top_terms(texts, tokenize=split) == [("路灯", 2), ("不亮", 1), ("噪音", 1), ("扰民", 1),
                                                ("维修", 1)]


def test_drops_numbers_single_characters_and_punctuation() -> None:
    texts = ["12345 热线 3.5 80% 2026-11-24 10:30 三十 的 了 …… —— ， 热线"]
    assert top_terms(texts, tokenize=split) == [("热线", 1)]


def test_stopwords_k_and_min_len() -> None:
    texts = ["市民 反映 路灯 不亮", "市民 反映 噪音 扰民", "市民 反映 路灯 坏了"]
    got = top_terms(texts, tokenize=split, stopwords={"市民", "反映"}, k=1)
    assert got == [("路灯", 2)]
    assert top_terms(["路灯 不亮 坏"], tokenize=split, min_len=3) == []
    assert top_terms(["灯 坏"], tokenize=split, min_len=1) == [("坏", 1), ("灯", 1)]
    assert top_terms(texts, tokenize=split, k=0) == []


def test_latin_terms_fold_case_and_width() -> None:
    texts = ["WiFi 信号差", "wifi 断网", "ＷＩＦＩ 收费"]
    assert top_terms(texts, tokenize=split, k=1) == [("wifi", 3)]
    assert top_terms(texts, tokenize=split, stopwords={"WIFI"}, k=1)[0][0] != "wifi"


def test_empty_input() -> None:
    assert top_terms([], tokenize=split) == []
    assert top_terms(["", "  "], tokenize=split) == []


def test_accepts_a_generator_once() -> None:
    texts = (t for t in ["路灯 不亮", "路灯 维修"])
    assert top_terms(texts, tokenize=split, k=1) == [("路灯", 2)]


def test_with_jieba_on_real_requests() -> None:
    texts = [
        "人民南路的路灯坏了，晚上很黑，请尽快维修。",
        "建设路的路灯坏了好几天了，2026年11月20日至今未修，路灯一直不亮。",
        "小区门口的路灯坏了，存在安全隐患。",
        "春熙路夜间施工噪音扰民。",
    ]
    terms = dict(top_terms(texts, tokenize=jieba.lcut, stopwords={"至今"}))
    assert terms["路灯"] == 3
    assert terms["噪音"] == 1
    assert "2026" not in terms and "，" not in terms and "的" not in terms
    assert "至今" not in terms
