"""The message, error and adapter types shared by every outbound gateway.

The outbox (in the database, elsewhere) hands an :class:`OutboundMessage` to a gateway's
``send``; the exception it raises tells the outbox whether to retry later or give up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

ChannelName = Literal["sms", "wechat", "email", "console", "webhook"]
CHANNELS: tuple[ChannelName, ...] = ("sms", "wechat", "email", "console", "webhook")


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one recipient (receipt, follow-up survey...), as queued in the outbox.

    ``idempotency_key`` is stable across retries so providers (and people reading mail logs)
    can recognise a duplicate; ``template``/``data`` feed template-based channels like WeChat.
    """

    id: int
    channel: ChannelName
    recipient: str
    subject: str | None
    body: str
    idempotency_key: str
    template: str | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}: expected one of {CHANNELS}")
        if not self.idempotency_key:
            raise ValueError("idempotency_key must not be empty: retries rely on it")


class GatewayError(Exception):
    """Sending failed for a reason that may pass (network, provider busy): retry later.

    ``retry_after`` is the provider's hint in seconds, when it gave one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentGatewayError(GatewayError):
    """The provider refused this message for good (bad recipient, rejected content): give up."""


@runtime_checkable
class Gateway(Protocol):
    """An adapter that delivers a message through one provider."""

    def send(self, msg: OutboundMessage) -> str:
        """Deliver ``msg`` and return the provider's message id; raise GatewayError on failure."""
        ...
