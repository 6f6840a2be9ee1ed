"""Shared result and error types for every inbound channel.

Each channel parser turns one raw payload into exactly one of: a ``ParsedMessage``, a
``ParseError`` (the caller stores the raw payload together with ``reason`` for a human), or, for
WeChat only, an ``IgnoredMessage`` for platform events that are not citizen requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """One file that came with a request; ``content_type`` is sniffed from the bytes."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        # The default repr would dump megabytes of image bytes into logs and test output.
        return (
            f"Attachment(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.data)})"
        )


@dataclass(frozen=True)
class ParsedMessage:
    """A citizen message from any channel, normalised to clean plain text."""

    channel: str
    external_id: str
    sender: str
    sender_name: str | None
    text: str
    title: str | None
    received_at: datetime | None
    attachments: tuple[Attachment, ...] = ()
    reply_to_case: str | None = None
    query_case: str | None = None
    rating: int | None = None
    #: where the citizen is, when the message is a location (latitude, longitude; WGS84)
    position: tuple[float, float] | None = None


class ParseError(ValueError):
    """The payload cannot become a request; ``reason`` tells a reviewer what is wrong (zh / en)."""

    def __init__(self, reason: str, *, channel: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.channel = channel


class SignatureError(Exception):
    """The payload is not authenticated by the channel's shared secret; reject it unstored."""


class IgnoredMessage(Exception):
    """A well-formed platform event (e.g. WeChat subscribe) that is not a citizen request.

    It is deliberately not a ``ParseError``: nothing is wrong with it, so it must not land in
    the parse-failure queue.  The attributes let the caller answer it (e.g. a welcome reply).
    """

    def __init__(
        self,
        *,
        channel: str,
        kind: str,
        sender: str,
        recipient: str,
        external_id: str,
        event_key: str | None = None,
    ) -> None:
        super().__init__(f"{channel} {kind} from {sender} ignored")
        self.channel = channel
        self.kind = kind
        self.sender = sender
        self.recipient = recipient
        self.external_id = external_id
        self.event_key = event_key
