"""mask_phone and mask_recipient, row by row."""

from __future__ import annotations

import pytest

from hotline.gateways import mask_phone, mask_recipient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812341234", "138****1234"),
        ("19912345678", "199****5678"),
        (" 13812341234 ", " 138****1234 "),
        ("+8613812341234", "+86138****1234"),
        ("+86 138 1234 1234", "+86 138 **** 1234"),
        ("0086-13812341234", "0086-138****1234"),
        ("138-1234-1234", "138-****-1234"),
        ("市民张先生，电话13812341234，反映噪音", "市民张先生，电话138****1234，反映噪音"),
        ("13812341234/15987654321", "138****1234/159****4321"),
        ("tel:13812341234;", "tel:138****1234;"),
        # landlines keep the area code and the last four digits
        ("010-12345678", "010-****5678"),
        ("01012345678", "010****5678"),
        ("021 87654321", "021 ****4321"),
        ("0755-1234567", "0755-***4567"),
        ("(010)12345678", "(010)****5678"),
        ("座机0571-87654321转8001", "座机0571-****4321转8001"),
        ("87654321", "****4321"),
        # not phone numbers: left alone
        ("12345", "12345"),
        ("12345 热线", "12345 热线"),
        ("工单号 20261124000123", "工单号 20261124000123"),
        ("110101199003071234", "110101199003071234"),
        ("12812341234", "12812341234"),
        ("400-123-4567", "400-123-4567"),
        ("2026-11-24", "2026-11-24"),
        ("", ""),
    ],
)
def test_mask_phone(text: str, expected: str) -> None:
    assert mask_phone(text) == expected


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("13812341234", "138****1234"),
        ("citizen@example.com", "c***@example.com"),
        ("oABCD1234openid5678", "oABC****5678"),
        ("short", "*****"),
    ],
)
def test_mask_recipient(recipient: str, expected: str) -> None:
    assert mask_recipient(recipient) == expected
