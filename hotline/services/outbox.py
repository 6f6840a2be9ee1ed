"""Outbound messages: stored with the decision to send, delivered later exactly once.

:func:`enqueue` writes into the caller's transaction, so a message exists if and only if
the change that caused it was committed. A job delivers in three steps of its own
(:func:`claim`, :func:`send`, :func:`record_attempt`): the claim is a compare-and-set
committed before sending, so two jobs for the same message cannot both send it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, inspect, or_, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from hotline.channels import mailthread
from hotline.extensions import db
from hotline.gateways import (
    GatewayError,
    OutboundMessage,
    PermanentGatewayError,
    build_gateways,
    mask_recipient,
)
from hotline.models import Case, InboundMessage, OutboxStatus, utcnow
from hotline.models.outbox import OutboxMessage
from hotline.services import links

log = logging.getLogger(__name__)
#: the messages a transaction stored, delivered once it commits (workflows.scheduling)
NEW_MESSAGES = "hotline.outbox_new"
MAX_ATTEMPTS = 8
S = OutboxStatus
# How long one send may take: each network step (connect, TLS, write, read) is bounded by the
# gateway's timeout; gateways with more round trips (SMTP's dialogue, WeChat's token fetch)
# say how many steps they take (``send_steps``). A local file write gets LOCAL_SEND.
HTTP_SEND_STEPS = 4
LOCAL_SEND = timedelta(seconds=10)
# A claim is taken over only this long after the longest send could have ended.
RECLAIM_MARGIN = timedelta(seconds=60)
# The delivery job is stopped (RQ kills its work horse, closing its connections) this long
# after the longest send, well before its claim may be taken over: a message is never sent
# again while the first send may still be in flight.
JOB_MARGIN = timedelta(seconds=10)


def enqueue(channel: str, recipient: str, body: str, *, idempotency_key: str,
            subject: str | None = None, template: str | None = None,
            data: dict[str, Any] | None = None, case_id: int | None = None,
            not_before: datetime | None = None, reply_now: bool = False,
            new_key: bool = False) -> OutboxMessage:
    """Store a message to send (once per idempotency key) in the current transaction.

    A WeChat message about a case links to the citizen's tracking page (the template's
    ``url``); an e-mail about a case carries its number once in the subject and threads to
    the citizen's latest mail (``In-Reply-To``, ``References``). ``not_before`` holds it
    until then. An SMS is held until the quiet hours end (:func:`quiet_until`) unless
    ``reply_now`` says it answers what the citizen did just now (a one-time code, the answer
    to their message, their registration). ``new_key``: the key is new by construction (it
    names a row this transaction wrote, such as a case event), so no other transaction can
    hold it and no look-up or savepoint is needed."""
    if not_before is None and not reply_now:
        not_before = quiet_until(utcnow(), channel)
    if not new_key:
        existing = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.idempotency_key == idempotency_key)).first()
        if existing is not None:
            return existing
    data = dict(data or {})
    case = db.session.get(Case, case_id) if case_id is not None else None
    if channel == "wechat" and case is not None:
        data.setdefault("url", links.tracking_url(case))
    if channel == "email" and case is not None:
        subject = mailthread.case_subject(subject, case.number)[:200]
        data.update(_thread_headers(case.id))
    message = OutboxMessage(channel=channel, recipient=recipient, body=body, subject=subject,
                            template=template, data=data, idempotency_key=idempotency_key,
                            case_id=case_id, next_attempt_at=not_before or utcnow())
    if new_key:
        db.session.add(message)  # written with the transaction's next flush
    else:
        try:
            with db.session.begin_nested():
                db.session.add(message)
        except IntegrityError:  # another transaction stored the same key first
            return db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.idempotency_key == idempotency_key)).one()
    # read after commit by workflows.scheduling, which enqueues the delivery job
    db.session.info.setdefault(NEW_MESSAGES, []).append(message)
    return message



def committed_ids(new: list[OutboxMessage | int]) -> list[int]:
    """The ids of the messages booked as new (objects, or ids of rows changed by a
    statement) that the committed transaction wrote; a message added but never flushed
    (a rolled-back savepoint) is left out."""
    ids = []
    for item in new:
        if isinstance(item, int):
            ids.append(item)
            continue
        identity = inspect(item).identity
        if identity is not None:
            ids.append(identity[0])
    return ids


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_new(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:  # nothing of a rolled-back transaction is to be delivered
        session.info.pop(NEW_MESSAGES, None)


def quiet_until(at: datetime, channel: str = "sms") -> datetime | None:
    """When an automatic SMS decided at ``at`` may go: the end of the quiet hours
    (``HOTLINE_SMS_QUIET_HOURS``, local time; UTC returned) when ``at`` falls inside them,
    else None (now). Other channels are never held."""
    quiet: tuple[time, time] | None = current_app.config.get("SMS_QUIET_HOURS")
    if channel != "sms" or not quiet:
        return None
    start, end = quiet
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = at.astimezone(zone)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def _thread_headers(case_id: int) -> dict[str, str]:
    """``in_reply_to`` and ``references`` to the citizen's latest mail about the case."""
    latest = db.session.execute(
        select(InboundMessage.mail_message_id, InboundMessage.mail_references)
        .where(InboundMessage.case_id == case_id, InboundMessage.channel == "email",
               InboundMessage.mail_message_id.is_not(None))
        .order_by(InboundMessage.id.desc()).limit(1)).first()
    if latest is None:
        return {}
    chain = mailthread.references(latest.mail_message_id, latest.mail_references)
    return {"in_reply_to": latest.mail_message_id, "references": chain or ""}


@dataclass(frozen=True)
class Delivery:
    message_id: int
    outcome: str  # sent | retry | dead | skipped


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds: what to send, and which attempt this is."""

    message: OutboundMessage
    attempts: int


@dataclass(frozen=True)
class Attempt:
    """How one send went (decided without the database)."""

    status: OutboxStatus  # sent, pending (to retry) or dead
    error: str | None = None
    provider_id: str | None = None
    retry_at: datetime | None = None


# Delivering is three steps, each its own transaction, sequenced by the job
# (workflows/delivery.py): claim the row and commit, send over the network outside any
# transaction, record the outcome and commit. Holding a transaction across the network
# would keep a row lock (PostgreSQL) or the write lock (SQLite) for as long as the
# gateway takes; committing the claim first is what makes a second job see it as taken.

def claim(message_id: int, now: datetime) -> Claimed | None:
    """Take a message to send if it is due and nobody holds it: compare-and-set pending
    (or a long-stuck sending) to sending, counting the attempt. The caller commits before
    sending; None when another job holds it or it is not due."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               or_(and_(OutboxMessage.status == S.PENDING,
                        OutboxMessage.next_attempt_at <= now),
                   and_(OutboxMessage.status == S.SENDING,
                        OutboxMessage.claimed_at <= now - reclaim_after())))
        .values(status=S.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    return Claimed(_outbound(message), message.attempts)


def send(claimed: Claimed, now: datetime) -> Attempt:
    """Send a claimed message through its channel's gateway; touches no database."""
    message = claimed.message
    gateway = gateways().get(message.channel) or gateways()["console"]
    try:
        provider_id = gateway.send(message)
    except PermanentGatewayError as exc:
        return Attempt(S.DEAD, error=str(exc))
    except GatewayError as exc:
        return failed(claimed, str(exc), now)
    log.info("sent message %s to %s", message.id, mask_recipient(message.recipient))
    return Attempt(S.SENT, provider_id=None if provider_id is None else str(provider_id))


def failed(claimed: Claimed, error: str, now: datetime) -> Attempt:
    """A send that may not have reached the gateway: retried later with back-off (the
    idempotency key lets the gateway drop a repeat), given up after MAX_ATTEMPTS."""
    status = S.DEAD if claimed.attempts >= MAX_ATTEMPTS else S.PENDING
    return Attempt(status, error=error, retry_at=now + backoff(claimed.attempts))


def record_attempt(message_id: int, attempt: Attempt, now: datetime) -> Delivery:
    """Write how a send went, in the caller's transaction; returns the outcome."""
    message = db.session.get(OutboxMessage, message_id)
    message.status = attempt.status
    message.last_error = attempt.error
    if attempt.provider_id is not None:
        message.provider_id = attempt.provider_id
    if attempt.status == S.SENT:
        message.sent_at = now
    if attempt.retry_at is not None:
        message.next_attempt_at = attempt.retry_at
    outcome = {S.SENT: "sent", S.PENDING: "retry"}.get(attempt.status, "dead")
    return Delivery(message_id, outcome)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _outbound(message: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(id=message.id, channel=message.channel, recipient=message.recipient,
                           subject=message.subject, body=message.body,
                           idempotency_key=message.idempotency_key, template=message.template,
                           data=message.data or {})


def longest_send() -> timedelta:
    """The longest one send through any configured gateway can take, from their timeouts."""
    return max([LOCAL_SEND, *(_send_time(gateway) for gateway in gateways().values())])


def _send_time(gateway) -> timedelta:
    timeout = getattr(gateway, "timeout", None)
    if not timeout:
        return LOCAL_SEND
    return timedelta(seconds=getattr(gateway, "send_steps", HTTP_SEND_STEPS) * float(timeout))


def send_limit(channel: str) -> timedelta:
    """How long one send through ``channel`` may run before it is stopped (a send made by the
    sweep rather than by its own delivery job): the gateway's steps times its timeout and the
    delivery job's margin, so never past :func:`delivery_job_timeout` nor the takeover."""
    gateway = gateways().get(channel) or gateways()["console"]
    return max(LOCAL_SEND, _send_time(gateway)) + JOB_MARGIN


def reclaim_after() -> timedelta:
    """How long a ``sending`` claim is held before another job may take the message over
    (a worker died mid-send): past the longest send and the delivery job's own limit."""
    return longest_send() + RECLAIM_MARGIN


def delivery_job_timeout() -> int:
    """Seconds RQ lets a delivery job run before killing it: under :func:`reclaim_after`."""
    return int((longest_send() + JOB_MARGIN).total_seconds())


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
            and_(OutboxMessage.status == S.PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == S.SENDING,
                 OutboxMessage.claimed_at <= now - reclaim_after())))
        .order_by(OutboxMessage.id).limit(limit)))
