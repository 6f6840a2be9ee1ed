"""Shared text helpers: cleaning, case numbers, progress queries and satisfaction ratings."""

import pytest

from hotline.channels.text import (
    clean_text,
    find_case_number,
    is_valid_case_number,
    parse_query,
    parse_rating,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("  前后空白  \n", "前后空白"),
        ("一\n\n\n\n\n二", "一\n\n二"),
        ("行尾空格   \n下一行", "行尾空格\n下一行"),
        ("零宽\u200b字符\ufeff", "零宽字符"),
        ("bidi\u202egpj.exe", "bidigpj.exe"),
        ("响铃\x07与\x00空字符", "响铃与空字符"),
        ("不间断\xa0空格\t制表", "不间断 空格 制表"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ emoji sequences survive
        ("全角，标点。保留", "全角，标点。保留"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("20261124000123", True),
        ("20240229000001", True),   # leap day
        ("20250229000001", False),  # no such date
        ("20261324000123", False),  # month 13
        ("19991124000123", False),  # before the system existed
        ("2026112400012", False),   # 13 digits
        ("202611240001234", False),  # 15 digits
        ("２０２６１１２４０００１２３", False),  # full-width must be folded by the caller
    ],
)
def test_is_valid_case_number(number: str, valid: bool) -> None:
    assert is_valid_case_number(number) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Re: 您的诉求已受理（工单号 20261124000123）", "20261124000123"),
        ("工单号：20261124000123", "20261124000123"),
        ("工单编号为20261124000123，请查收", "20261124000123"),
        ("关于２０２６１１２４０００１２３的补充", "20261124000123"),
        ("电话13800138000，工单号 20261124000123", "20261124000123"),
        ("身份证 110101202611240001 不是工单号", None),
        ("订单 20261199000123", None),  # invalid date
        ("没有编号", None),
    ],
)
def test_find_case_number(text: str, expected: str | None) -> None:
    assert find_case_number(text) == expected


def test_find_case_number_prefers_labelled_number() -> None:
    text = "上次的 20261101000001 没解决，工单号 20261124000123"
    assert find_case_number(text) == "20261124000123"


def test_find_case_number_labelled_only() -> None:
    assert find_case_number("见 20261124000123", labelled_only=True) is None
    assert find_case_number("工单号 20261124000123", labelled_only=True) == "20261124000123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("查询 20261124000123", "20261124000123"),
        ("查询20261124000123", "20261124000123"),
        ("  查询：20261124000123 ", "20261124000123"),
        ("查询工单号 20261124000123", "20261124000123"),
        ("查询进度：20261124000123", "20261124000123"),
        ("查询　２０２６１１２４０００１２３", "20261124000123"),  # ideographic space, full-width
        ("查询 20261124000123 怎么还没处理", "20261124000123"),
        ("查询", None),
        ("查询 20261399000123", None),
        ("查询 2026112400012", None),
        ("我想查询20261124000123", None),  # not a command: a human reads it
        ("20261124000123", None),
    ],
)
def test_parse_query(text: str, expected: str | None) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("２", 2),
        (" 3 ", 3),
        ("\u30003\u3000", 3),
        ("1满意", 1),
        ("2 基本满意", 2),
        ("3不满意。", 3),
        ("１！", 1),
        ("满意", 1),
        ("非常满意", 1),
        ("基本满意", 2),
        ("不满意", 3),
        ("很不满意！！", 3),
    ],
)
def test_parse_rating(text: str, expected: int) -> None:
    assert parse_rating(text) == expected


@pytest.mark.parametrize(
    "text", ["", " ", "0", "4", "12", "1不满意", "3满意", "1号楼漏水", "满意吗？", "１２３"]
)
def test_parse_rating_rejects_non_ratings(text: str) -> None:
    assert parse_rating(text) is None
