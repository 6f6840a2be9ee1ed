"""Delivering one outbox message: three steps, each in a transaction of its own.

The claim is committed before the send so that a second job sees the message as taken; the
send runs outside any transaction (no lock is held across the network); the outcome is
committed after. A worker that dies between the steps leaves the message ``sending``, and
the sweep takes it up again once the claim is stale.
"""

from __future__ import annotations

from datetime import datetime

from hotline.models import utcnow
from hotline.services import outbox
from hotline.unit_of_work import unit_of_work


def deliver(message_id: int, *, now: datetime | None = None) -> outbox.Delivery:
    """Send one message if it is due and nobody else holds it, and record the outcome."""
    now = now or utcnow()
    with unit_of_work():
        claimed = outbox.claim(message_id, now)
    if claimed is None:
        return outbox.Delivery(message_id, "skipped")
    attempt = outbox.send(claimed, now)
    with unit_of_work():
        return outbox.record_attempt(message_id, attempt, now)
