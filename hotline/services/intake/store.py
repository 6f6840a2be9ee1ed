"""The raw store: every inbound message is written as it came, before anything can fail.

``(channel, external_id)`` is unique, so a retried or concurrent second delivery finds the
first row and never makes a second case. A message moves through its statuses by
compare-and-set updates, so two workers (or two agents) never both act on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hotline import boundary
from hotline.errors import Conflict, NotFound
from hotline.extensions import db
from hotline.models import InboundMessage, InboundStatus, utcnow

S = InboundStatus

STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CLAIM_BATCH = 50
SUMMARY_CHARS = 1000
CONTENT_TYPES = {"sms": "application/json", "wechat": "text/xml", "email": "message/rfc822",
                 "mailbox": "application/json"}


@dataclass
class Receipt:
    """A stored message: its id, its status when stored, and whether it was already there
    (a repeated delivery). The row itself is loaded only when asked for."""

    id: int
    status: InboundStatus
    duplicate: bool = False

    @property
    def claimed(self) -> bool:
        """Whether this delivery stored the message claimed, for its caller to process now."""
        return self.status == S.PROCESSING and not self.duplicate

    @property
    def message(self) -> InboundMessage:
        """The stored message as it is now."""
        return get_message(self.id)

    @property
    def reply(self) -> str | None:
        """What the citizen was (or will be) answered on the channel."""
        return self.message.reply


def store(channel: str, external_id: str, payload: bytes, *, sender: str | None = None,
          status: InboundStatus = S.RECEIVED, reason: str | None = None, summary: str | None = None,
          reply: str | None = None) -> Receipt:
    """Write the raw message in the caller's transaction; a second delivery returns the first
    row.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the acknowledgement's hot path,
    with no ORM bookkeeping and no exception for a duplicate. The caller commits before it
    acknowledges the delivery.
    """
    now = utcnow()
    external_id, sender, summary, status, reason = _storable(
        external_id[:200], sender, summary, status, reason)
    values = dict(
        channel=channel, external_id=external_id, sender=(sender or None) and sender[:200],
        content_type=CONTENT_TYPES.get(channel, "application/octet-stream"), payload=payload,
        received_at=now, status=status, reason=reason, summary=clip(summary), reply=reply,
        attempts=1 if status == S.PROCESSING else 0,
        claimed_at=now if status == S.PROCESSING else None,
        processed_at=now if InboundStatus(status).finished or status == S.REVIEW else None)
    for _ in range(3):
        new_id = db.session.execute(_insert_statement(), values).scalar()
        if new_id is not None:
            return Receipt(new_id, status)
        row = db.session.execute(select(InboundMessage.id, InboundMessage.status).where(
            InboundMessage.channel == channel, InboundMessage.external_id == external_id)).first()
        if row is not None:
            return Receipt(row.id, row.status, duplicate=True)
        # the other delivery's transaction rolled back in between: store this one
    raise Conflict("来件正在被同时写入，请稍后重试")


def _storable(external_id: str, sender: str | None, summary: str | None, status: str,
              reason: str | None) -> tuple[str, str | None, str | None, str, str | None]:
    """Text no database column can hold (NUL, lone surrogates) escaped, the same on SQLite
    and PostgreSQL; a message carrying it goes to review with the reason instead of being
    processed. The payload keeps the bytes as they came."""
    reason = boundary.escape_forbidden(reason) if reason else reason
    texts = {"external_id": external_id, "sender": sender, "summary": summary}
    bad = [name for name, text in texts.items() if text and boundary.forbidden_character(text)]
    if not bad:
        return external_id, sender, summary, status, reason
    escaped = {name: boundary.escape_forbidden(text) if text else text
               for name, text in texts.items()}
    if status in (S.RECEIVED, S.PROCESSING):
        status = S.REVIEW
        reason = f"含有不允许的字符（NUL 或无效编码）：{', '.join(bad)}"
    return (escaped["external_id"][:200], escaped["sender"], escaped["summary"], status,
            reason)


_INSERTS: dict[str, Any] = {}


def _insert_statement():
    """The message INSERT, built once per dialect (values are bound at execution)."""
    dialect = db.session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        table = InboundMessage.__table__
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (insert(table).on_conflict_do_nothing(index_elements=["channel", "external_id"])
                     .returning(table.c.id))
        _INSERTS[dialect] = statement
    return statement


def find_message(channel: str, external_id: str) -> InboundMessage | None:
    """The stored message with this channel id, if any."""
    return db.session.scalars(select(InboundMessage).where(
        InboundMessage.channel == channel, InboundMessage.external_id == external_id)).first()


def get_message(message_id: int) -> InboundMessage:
    """A stored message, or NotFound."""
    message = db.session.get(InboundMessage, message_id)
    if message is None:
        raise NotFound("来件 {id} 不存在", id=message_id)
    return message


def digest_id(payload: bytes) -> str:
    """The external id of a message without a usable one: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def clip(text: str | None) -> str | None:
    """A summary short enough for the message list (the payload keeps everything)."""
    return text[:SUMMARY_CHARS] if text else text


def raw_preview(payload: bytes) -> str:
    """The start of a payload as text, for a summary of a message that did not parse."""
    return payload[:SUMMARY_CHARS * 3].decode("utf-8", "replace")[:SUMMARY_CHARS]


# ---------------------------------------------------------------- claims


def claimable(now: datetime):
    """The condition of a message a worker may take: received, or stuck in a dead worker."""
    return or_(InboundMessage.status == S.RECEIVED,
               and_(InboundMessage.status == S.PROCESSING,
                    InboundMessage.claimed_at <= now - STALE_AFTER))


def claim(message_id: int, now: datetime | None = None) -> bool:
    """Compare-and-set a received (or long-stuck) message to processing, in the caller's
    transaction (which must commit before the message is processed)."""
    now = now or utcnow()
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id, claimable(now))
        .values(status=S.PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def claim_batch(limit: int = CLAIM_BATCH, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` waiting messages at once (oldest first); safe for many workers."""
    now = now or utcnow()
    waiting = (select(InboundMessage.id).where(claimable(now))
               .order_by(InboundMessage.id).limit(limit).scalar_subquery())
    ids = list(db.session.scalars(
        update(InboundMessage)
        .where(InboundMessage.id.in_(waiting), claimable(now))
        .values(status=S.PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .returning(InboundMessage.id).execution_options(synchronize_session=False)))
    return sorted(ids)


def waiting_count() -> int:
    """Messages stored and not yet taken by a worker."""
    return db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.status == S.RECEIVED)) or 0


def settle(message_id: int, status: InboundStatus, *, expected: InboundStatus = S.PROCESSING,
           **values: Any) -> None:
    """Move a message from ``expected`` to its outcome, or Conflict when someone else already
    did (the compare-and-set that makes a message's outcome happen once)."""
    result = db.session.execute(
        update(InboundMessage).where(InboundMessage.id == message_id,
                                     InboundMessage.status == expected)
        .values(status=status, processed_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该来件已被他人处理")


def to_review(message_id: int, reason: str) -> bool:
    """Put a message that is being processed in the review queue with the reason; False when
    it is no longer being processed (someone else finished it)."""
    result = db.session.execute(
        update(InboundMessage).where(InboundMessage.id == message_id,
                                     InboundMessage.status == S.PROCESSING)
        .values(status=S.REVIEW, reason=reason[:2000], processed_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
