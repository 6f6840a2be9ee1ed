"""Chinese addresses split into province, city, district, street, road, number and the rest.

Kept libraries were weighed first (see docs/map.md): ``cpca`` and ``addressparser`` find the
province, city and county from a national table but leave the street (街道), the road and the
house number as one unparsed remainder, need pandas (84 MB) and take about 1 ms a call through
a DataFrame; ``addressparser`` 0.2.4 does not even import without an undeclared ``six``. A city
hotline knows its own districts from its gazetteer, and what it needs is the part after them,
so this is a small rule-based splitter on the administrative suffixes (省, 市, 区/县, 街道/镇/乡,
路/街/巷/大道 with 段, 号) that runs in microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = "零〇一二三四五六七八九十"
_PROVINCE = r"(?P<province>[\u4e00-\u9fff]{2,7}?(?:省|自治区)|北京市|天津市|上海市|重庆市)"
_CITY = r"(?P<city>[\u4e00-\u9fff]{2,9}?(?:市|自治州|地区|盟))"
_DISTRICT = r"(?P<district>[\u4e00-\u9fff]{1,8}?(?:区|县|旗))"
_STREET = r"(?P<street>[\u4e00-\u9fff0-9]{1,10}?(?:街道|镇|乡))"
_ROAD = (r"(?P<road>[\u4e00-\u9fffA-Za-z0-9]{1,12}?(?:大道|大街|路|街|巷|道|胡同|里|弄)"
         r"(?:[" + _CN_DIGITS + r"0-9]{1,3}段)?)(?!子)")
_NUMBER = r"(?P<number>[0-9" + _CN_DIGITS + r"]{1,6}(?:-[0-9]{1,4})?号(?:附[0-9]{1,4}号)?)"
# places whose names end in 区 but are no district: a residential compound, a campus...
_NOT_DISTRICTS = ("小区", "社区", "园区", "景区", "校区", "片区", "街区", "新区", "城区")
_WHITESPACE = re.compile(r"\s+")
_PREFIX = re.compile(r"^(?:中国|中华人民共和国)")


@dataclass(frozen=True)
class Address:
    """The parts of an address; any may be None. ``rest`` is what follows the last part found
    (a community, a building, a landmark, or words like 附近)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    road: str | None = None
    number: str | None = None
    rest: str = ""

    @property
    def empty(self) -> bool:
        """True when no part was recognised."""
        return not any((self.province, self.city, self.district, self.street, self.road,
                        self.number))


def _take(pattern: str, text: str) -> tuple[str | None, str]:
    match = re.match(pattern, text)
    if match is None:
        return None, text
    return next(v for v in match.groupdict().values() if v), text[match.end():]


def parse_address(value: str | None) -> Address:
    """Split ``value`` into its administrative parts, left to right, each optional; the road
    and number may also appear after a community or landmark name."""
    text = _PREFIX.sub("", _WHITESPACE.sub("", value or ""))
    province, text = _take(_PROVINCE, text)
    city, text = _take(_CITY, text)
    district, after = _take(_DISTRICT, text)
    if district is not None and not district.endswith(_NOT_DISTRICTS):
        text = after
    else:
        district = None
    street, text = _take(_STREET, text)
    road, number = None, None
    found = re.search(_ROAD + _NUMBER + "?", text)
    if found is not None and not _looks_like_district_road(found.group("road")):
        road, number = found.group("road"), found.group("number")
        rest = (text[:found.start()] + text[found.end():]).strip()
    else:
        rest = text
    if number is None:
        bare = re.search(_NUMBER, rest)
        if bare is not None and road is not None:
            number, rest = bare.group("number"), rest[:bare.start()] + rest[bare.end():]
    return Address(province, city, district, street, road, number, rest.strip())


def _looks_like_district_road(road: str) -> bool:
    """A bare one-character 'road' such as 区道 is a false split."""
    return len(road) < 2
