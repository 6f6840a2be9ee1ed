"""Checks on single input values, each naming the field and saying what is wrong."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from hotline import boundary, phones
from hotline.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


def required_text(value: Any, field: str, *, max_chars: int) -> str:
    """A non-blank string within the limit, stripped; blank or too long is refused."""
    text = optional_text(value, field, max_chars=max_chars)
    if not text:
        raise InvalidInput("「{field}」不能为空", field=field)
    return text


def optional_text(value: Any, field: str, *, max_chars: int) -> str | None:
    """A string within the limit, stripped, or None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("「{field}」必须是文本", field=field)
    boundary.check_text(value, field)
    if boundary.is_blank(value):
        return None
    text = value.strip()
    if len(text) > max_chars:
        raise InvalidInput("「{field}」过长：最多 {max} 字，收到 {n} 字", field=field,
                           max=max_chars, n=len(text))
    return text or None


def phone_number(value: Any, field: str = "phone") -> str | None:
    """A plausible phone number in its canonical form (:func:`hotline.phones.normalise`:
    mobiles as 11 digits, landlines with area code and extension), or None when absent."""
    text = optional_text(value, field, max_chars=40)
    if text is None:
        return None
    number = phones.normalise(text)
    if number is None:
        raise InvalidInput("「{field}」不是有效的电话号码：{value}", field=field, value=text)
    return number


def choice(value: Any, enum_cls: type[E], field: str, default: E | None = None) -> E:
    """One of an enum's values; an unknown value is refused with the list of valid ones."""
    if value is None or value == "":
        if default is None:
            raise InvalidInput("「{field}」不能为空", field=field)
        return default
    try:
        return enum_cls(value)
    except ValueError:
        raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field=field,
                           value=str(value), choices=", ".join(m.value for m in enum_cls)) from None


def row_id(value: Any, field: str) -> int:
    """A row id from a body or query: a whole number that can name a row (PostgreSQL INTEGER
    ids); beyond that range PostgreSQL would refuse the comparison, so it is the client's 422."""
    return whole_number(value, field, minimum=1, maximum=boundary.MAX_ROW_ID)


def whole_number(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """An integer within bounds. JSON must carry a number without a fraction (``2.9`` and
    ``2.0`` are refused, never truncated); a string of ASCII digits is accepted because that is
    how a form posts a number."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("「{field}」必须是整数", field=field)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 19):
            raise InvalidInput("「{field}」必须是整数", field=field)
        value = int(text)
    number = value
    if not minimum <= number <= maximum:
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=field,
                           min=minimum, max=maximum)
    return number


#: the calendar dates any field takes: a wider range only overflows date arithmetic
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def calendar_date(value: Any, field: str) -> date | None:
    """A ``YYYY-MM-DD`` date between 2000 and 2099, or None when absent."""
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput("「{field}」必须是 YYYY-MM-DD 格式的日期", field=field)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=field,
                           min=FIRST_DAY.isoformat(), max=LAST_DAY.isoformat())
    return day
