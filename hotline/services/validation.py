"""Checks on single input values, each naming the field and saying what is wrong."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from hotline.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

PHONE_CHARS = re.compile(r"^\+?[\d\s\-()]{5,24}$")


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
    text = value.strip()
    if len(text) > max_chars:
        raise InvalidInput("「{field}」过长：最多 {max} 字，收到 {n} 字", field=field,
                           max=max_chars, n=len(text))
    return text or None


def phone_number(value: Any, field: str = "phone") -> str | None:
    """A plausible phone number reduced to digits (and a leading +), or None when absent."""
    text = optional_text(value, field, max_chars=40)
    if text is None:
        return None
    if not PHONE_CHARS.match(text):
        raise InvalidInput("「{field}」不是有效的电话号码：{value}", field=field, value=text)
    digits = re.sub(r"[^\d+]", "", text)
    if not 5 <= len(digits.lstrip("+")) <= 20:
        raise InvalidInput("「{field}」不是有效的电话号码：{value}", field=field, value=text)
    return digits


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


def whole_number(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """An integer within bounds; strings of digits are accepted from forms."""
    if isinstance(value, bool):
        raise InvalidInput("「{field}」必须是整数", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("「{field}」必须是整数", field=field) from None
    if not minimum <= number <= maximum:
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=field,
                           min=minimum, max=maximum)
    return number


def mask_phone(phone: str | None) -> str:
    """138****1234: enough to recognise a caller, not enough to call them."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) > 4:
        return f"{'*' * (len(phone) - 4)}{phone[-4:]}"
    return "****"
