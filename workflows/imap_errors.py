"""One line for each way reading the IMAP mailbox fails, naming the setting to check, so
``hotline mail poll`` and the worker log say what to fix instead of printing a traceback."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Mapping
from typing import Any

from imapclient.exceptions import IMAPClientError, LoginError

__all__ = ["IMAPClientError", "describe", "text"]


def text(exc: BaseException) -> str:
    """The server's or the library's words, on one line."""
    words = exc.args[0] if exc.args else exc
    if isinstance(words, bytes):
        words = words.decode("utf-8", "replace")
    words = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", str(words))  # imapclient's b'...' reprs
    return " ".join(words.split())[:300] or type(exc).__name__


def describe(exc: BaseException, config: Mapping[str, Any]) -> str:
    """What went wrong talking to the configured server, and which setting to check."""
    where = f"IMAP {config.get('IMAP_HOST')}:{config.get('IMAP_PORT')}"
    tls = "STARTTLS" if config.get("IMAP_STARTTLS") else (
        "TLS" if config.get("IMAP_SSL") else "plain text")
    if isinstance(exc, LoginError):
        return (f"{where}: login refused for {config.get('IMAP_USER')!r} ({text(exc)}): "
                f"check HOTLINE_IMAP_USER and HOTLINE_IMAP_PASSWORD")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"{where}: the server's certificate is not trusted ({exc.verify_message}): "
                f"set HOTLINE_MAIL_CA_BUNDLE to the CA that signed it")
    if isinstance(exc, ssl.SSLError):
        return (f"{where}: TLS failed over {tls} ({exc.reason or text(exc)}): check "
                f"HOTLINE_IMAP_PORT with HOTLINE_IMAP_SSL (993) or HOTLINE_IMAP_STARTTLS (143)")
    if isinstance(exc, socket.gaierror):
        return f"{where}: host not found ({exc.strerror}): check HOTLINE_IMAP_HOST"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused: check HOTLINE_IMAP_HOST and HOTLINE_IMAP_PORT"
    if isinstance(exc, TimeoutError | socket.timeout):
        return (f"{where}: no answer in time over {tls}: check HOTLINE_IMAP_PORT and "
                f"HOTLINE_IMAP_SSL / HOTLINE_IMAP_STARTTLS")
    if isinstance(exc, IMAPClientError) and "starttls" in text(exc).lower():
        return (f"{where}: the server offers no STARTTLS ({text(exc)}): use HOTLINE_IMAP_SSL "
                f"on port 993 instead of HOTLINE_IMAP_STARTTLS")
    if isinstance(exc, IMAPClientError):
        return f"{where}: the server refused ({text(exc)}) over {tls}"
    if isinstance(exc, OSError):
        return f"{where}: connection failed ({exc.strerror or text(exc)}) over {tls}"
    return f"{where}: {type(exc).__name__}: {text(exc)}"
