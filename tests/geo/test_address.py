"""Chinese addresses split into their parts (hotline.geo.address), row by row."""

from __future__ import annotations

import pytest

from hotline.geo.address import parse_address

ROWS = [
    ("四川省成都市锦江区春熙路街道红星路二段85号",
     ("四川省", "成都市", "锦江区", "春熙路街道", "红星路二段", "85号", "")),
    ("成都市武侯区玉林南路12号附2号",
     (None, "成都市", "武侯区", None, "玉林南路", "12号附2号", "")),
    ("中国北京市朝阳区建国路88号", ("北京市", None, "朝阳区", None, "建国路", "88号", "")),
    ("锦江区 书院街", (None, None, "锦江区", None, "书院街", None, "")),
    ("成华区建设北路二段4号理工小区3栋",
     (None, None, "成华区", None, "建设北路二段", "4号", "理工小区3栋")),
    ("武侯区簇桥街道锦城社区", (None, None, "武侯区", "簇桥街道", None, None, "锦城社区")),
    # names ending in 区 that are no district, and a 巷子 that is no 巷
    ("玉林小区6栋", (None, None, None, None, None, None, "玉林小区6栋")),
    ("四川大学望江校区", (None, None, None, None, None, None, "四川大学望江校区")),
    ("青羊区宽窄巷子附近", (None, None, "青羊区", None, None, None, "宽窄巷子附近")),
    ("", (None, None, None, None, None, None, "")),
]


@pytest.mark.parametrize(("text", "parts"), ROWS)
def test_parts(text, parts):
    found = parse_address(text)
    assert (found.province, found.city, found.district, found.street, found.road,
            found.number, found.rest) == parts


def test_empty_says_so():
    assert parse_address("附近").empty
    assert not parse_address("锦江区").empty


def test_odd_input_never_raises():
    for text in ("号号号", "路" * 400, "\x00锦江区", "１２号", None):
        parse_address(text)
