"""Outbound messages: stored with the decision to send, delivered later exactly once.

:func:`enqueue` writes into the caller's transaction, so a message exists if and only if
the change that caused it was committed. :func:`deliver` is what a job runs: it claims the
row with a compare-and-set, so two jobs for the same message cannot both send it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from hotline.extensions import db
from hotline.gateways import (
    GatewayError,
    OutboundMessage,
    PermanentGatewayError,
    build_gateways,
    mask_recipient,
)
from hotline.models import utcnow
from hotline.models.outbox import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
STALE_SENDING = timedelta(minutes=10)


def enqueue(channel: str, recipient: str, body: str, *, idempotency_key: str,
            subject: str | None = None, template: str | None = None,
            data: dict[str, Any] | None = None, case_id: int | None = None) -> OutboxMessage:
    """Store a message to send (once per idempotency key) in the current transaction."""
    existing = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key == idempotency_key)).first()
    if existing is not None:
        return existing
    message = OutboxMessage(channel=channel, recipient=recipient, body=body, subject=subject,
                            template=template, data=data or {}, idempotency_key=idempotency_key,
                            case_id=case_id, next_attempt_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # another transaction stored the same key first
        return db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.idempotency_key == idempotency_key)).one()
    # read after commit by workflows.scheduling, which enqueues the delivery job
    db.session.info.setdefault("hotline.outbox_new", []).append(message.id)
    return message


@dataclass(frozen=True)
class Delivery:
    message_id: int
    outcome: str  # sent | retry | dead | skipped


def deliver(message_id: int, *, now: datetime | None = None) -> Delivery:
    """Send one message if it is due and nobody else holds it; record the outcome."""
    now = now or utcnow()
    if not _claim(message_id, now):
        return Delivery(message_id, "skipped")
    message = db.session.get(OutboxMessage, message_id)
    gateway = gateways().get(message.channel) or gateways()["console"]
    try:
        provider_id = gateway.send(_outbound(message))
    except PermanentGatewayError as exc:
        _finish(message, status="dead", error=str(exc), now=now)
        return Delivery(message_id, "dead")
    except GatewayError as exc:
        status = "dead" if message.attempts >= MAX_ATTEMPTS else "pending"
        _finish(message, status=status, error=str(exc), now=now,
                retry_at=now + backoff(message.attempts))
        return Delivery(message_id, "retry" if status == "pending" else "dead")
    _finish(message, status="sent", provider_id=provider_id, now=now)
    log.info("sent message %s to %s", message.id, mask_recipient(message.recipient))
    return Delivery(message_id, "sent")


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _claim(message_id: int, now: datetime) -> bool:
    """Compare-and-set pending (or a long-stuck sending) to sending, counting the attempt."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               or_(and_(OutboxMessage.status == "pending",
                        OutboxMessage.next_attempt_at <= now),
                   and_(OutboxMessage.status == "sending",
                        OutboxMessage.claimed_at <= now - STALE_SENDING)))
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _finish(message: OutboxMessage, *, status: str, now: datetime, error: str | None = None,
            provider_id: str | None = None, retry_at: datetime | None = None) -> None:
    message.status = status
    message.last_error = error
    if provider_id is not None:
        message.provider_id = str(provider_id)
    if status == "sent":
        message.sent_at = now
    if retry_at is not None:
        message.next_attempt_at = retry_at
    db.session.commit()


def _outbound(message: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(id=message.id, channel=message.channel, recipient=message.recipient,
                           subject=message.subject, body=message.body,
                           idempotency_key=message.idempotency_key, template=message.template,
                           data=message.data or {})


def gateways():
    """The gateways for this app, built once from its settings."""
    built = current_app.extensions.get("hotline.gateways")
    if built is None:
        built = build_gateways(current_app.config)
        current_app.extensions["hotline.gateways"] = built
    return built


def due_ids(now: datetime, limit: int = 500) -> list[int]:
    """Messages waiting to be (re)tried now, for the sweep."""
    return list(db.session.scalars(
        select(OutboxMessage.id).where(or_(
            and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending",
                 OutboxMessage.claimed_at <= now - STALE_SENDING)))
        .order_by(OutboxMessage.id).limit(limit)))
