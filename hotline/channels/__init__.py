"""Inbound channel parsers for the 12345 hotline: pure functions from raw payloads to
``ParsedMessage`` or a storable ``ParseError``.

Modules: ``wechat`` (Official Account push), ``sms`` (gateway webhook), ``email`` (IMAP mail),
``uploads`` (file screening), ``challenge`` (offline form anti-abuse), ``similarity`` (repeat
detection).  Nothing here imports Flask; of hotline, only the pure ``hotline.phones``.
"""

from .base import Attachment, IgnoredMessage, ParsedMessage, ParseError, SignatureError
from .html_text import html_to_text

__all__ = [
    "Attachment",
    "IgnoredMessage",
    "ParseError",
    "ParsedMessage",
    "SignatureError",
    "html_to_text",
]
