"""The review queue: messages a person must look at (unreadable, refused, or failed), and
what an agent does with one: make a case of it, discard it with a reason, or try again.

Every change runs in the caller's transaction; each decision is a compare-and-set on the
message's status, so two agents acting on one message make one outcome.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hotline.channels.text import clean_text
from hotline.errors import Conflict
from hotline.extensions import db
from hotline.models import Attachment, Case, InboundMessage, InboundStatus, utcnow
from hotline.services import registration
from hotline.services.actors import Actor
from hotline.services.intake import replies
from hotline.services.intake.process import Request, conclude
from hotline.services.intake.store import get_message, raw_preview, settle
from hotline.services.validation import required_text

S = InboundStatus

RETRY_STUCK_AFTER = timedelta(minutes=2)


def review_queue(limit: int = 100) -> list[InboundMessage]:
    """Messages waiting for a person, oldest first."""
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.status == S.REVIEW)
        .order_by(InboundMessage.id).limit(limit)))


def waiting(now: datetime | None = None, older_than: timedelta = timedelta(minutes=2),
            limit: int = 100) -> list[InboundMessage]:
    """Messages stored but not yet processed for a while (no worker, or one that died)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.status.in_((S.RECEIVED, S.PROCESSING)),
                                     InboundMessage.received_at <= now - older_than)
        .order_by(InboundMessage.id).limit(limit)))


def recently_handled(limit: int = 20) -> list[InboundMessage]:
    """The last messages people took out of the review queue."""
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.handled_by_id.is_not(None))
        .order_by(InboundMessage.processed_at.desc(), InboundMessage.id.desc()).limit(limit)))


def status_counts() -> dict[str, int]:
    """How many messages are in each status."""
    rows = db.session.execute(select(InboundMessage.status, func.count())
                              .group_by(InboundMessage.status)).all()
    return {status: count for status, count in rows}


def review_count() -> int:
    """Messages in the review queue (for the navigation badge)."""
    return db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.status == S.REVIEW)) or 0


def raw_text(message: InboundMessage) -> str:
    """The stored payload as text, for a person to read (never rendered as markup)."""
    return message.payload.decode("utf-8", "replace")


def review_defaults(message: InboundMessage) -> dict[str, str]:
    """What the "make a case" form starts with: whatever can be recovered from the message."""
    form = {"content": message.summary or clean_text(raw_preview(message.payload)),
            "title": "", "name": "", "phone": "", "address": "", "type": ""}
    if message.channel in ("sms", "mailbox") and message.sender:
        form["phone"] = message.sender
    if message.channel == "mailbox":
        with contextlib.suppress(ValueError, KeyError, TypeError):
            data = json.loads(message.payload)
            form.update({k: data.get(k) or "" for k in ("title", "name", "address", "type")})
            form["content"] = data.get("content") or form["content"]
    return form


def case_from_review(actor: Actor, message_id: int, fields: dict[str, Any]) -> Case:
    """An agent makes a case of a queued message, in the caller's transaction; the citizen
    is answered on its channel. Conflict when another agent got there first."""
    message = get_message(message_id)
    if message.status != S.REVIEW:
        raise Conflict("该来件已被他人处理")
    channel, sender = message.channel, message.sender
    request = Request(channel=channel, text=str(fields.get("content") or ""),
                      reply_to=sender if channel in replies.REPLY_CHANNELS else None,
                      title=fields.get("title"))
    new = registration.NewCase(
        content=fields.get("content"), channel=channel, title=fields.get("title"),
        citizen_name=fields.get("name"), citizen_phone=fields.get("phone"),
        citizen_contact=sender if channel in ("wechat", "email") else None,
        address=fields.get("address"), request_type=fields.get("type") or None,
        category=fields.get("category") or None, department=fields.get("department") or None,
        external_ref=f"inbound:{message_id}")
    settle(message_id, S.CASE, expected=S.REVIEW, handled_by_id=actor.user_id, handled_note=None)
    try:
        with db.session.begin_nested():
            case = registration.register_case(actor, new)
    except IntegrityError:  # another agent's case from this message holds its reference
        raise Conflict("该来件已被他人处理") from None
    db.session.execute(update(Attachment).where(Attachment.message_id == message_id)
                       .values(case_id=case.id).execution_options(synchronize_session=False))
    conclude(message_id, request, case, replies.ack_text(case, channel))
    return case


def discard(actor: Actor, message_id: int, reason: Any) -> InboundMessage:
    """An agent discards a queued message, saying why (kept, never deleted)."""
    note = required_text(reason, "reason", max_chars=500)
    message = get_message(message_id)
    settle(message_id, S.DISCARDED, expected=S.REVIEW, handled_by_id=actor.user_id,
           handled_note=note)
    db.session.refresh(message)
    return message


def retry(message_id: int, now: datetime | None = None) -> None:
    """Claim a queued, waiting or stuck message to process it again (after a fix, or when
    no worker ran); the caller commits the claim, then processes it."""
    get_message(message_id)
    now = now or utcnow()
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id,
               or_(InboundMessage.status.in_((S.REVIEW, S.RECEIVED)),
                   and_(InboundMessage.status == S.PROCESSING,
                        InboundMessage.claimed_at <= now - RETRY_STUCK_AFTER)))
        .values(status=S.PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该来件已被他人处理")
