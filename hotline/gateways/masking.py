"""Masking of recipients before they reach logs (个人信息保护); phone numbers are masked by
:mod:`hotline.phones`, the one place that knows their formats."""

from __future__ import annotations

from hotline.phones import mask_in_text as mask_phone

__all__ = ["mask_phone", "mask_recipient"]


def mask_recipient(recipient: str) -> str:
    """A log-safe form of any recipient: masked phone, ``z***@example.com``, or ``oAbC****wxyz``."""
    masked = mask_phone(recipient)
    if masked != recipient:
        return masked
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) > 8:  # e.g. a WeChat openid: enough to tell them apart, not to reuse
        return f"{recipient[:4]}****{recipient[-4:]}"
    return "*" * len(recipient)
