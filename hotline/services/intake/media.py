"""Media a citizen sent by WeChat (images, voice), kept as the case's attachments.

The push carries only a MediaId, which the platform serves for 3 days: a job
(``workflows.media``) reads what to fetch here, downloads it outside any transaction and
keeps it here, each step in a transaction of its own. The message's ``media_due_at`` says a
medium is still to fetch, so the sweep queues again every fetch Redis forgot (a job lost
with a flushed Redis, or never queued because Redis was down at the commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from hotline.channels import ParseError
from hotline.channels import wechat as wechat_channel
from hotline.channels.uploads import check_attachment, check_voice
from hotline.extensions import db
from hotline.models import Attachment, InboundMessage, utcnow
from hotline.services import storage


@dataclass(frozen=True)
class Pending:
    """A medium still to fetch: which message and case it belongs to."""

    message_id: int
    case_id: int
    media: wechat_channel.Media


def pending(message_id: int) -> Pending | None:
    """The medium of a WeChat message that made or joined a case and is not kept yet."""
    message = db.session.get(InboundMessage, message_id)
    if message is None or message.channel != "wechat" or message.case_id is None:
        return None
    media = wechat_channel.media_of(message.payload)
    if media is None:
        return None
    kept = db.session.scalars(select(Attachment.id).where(
        Attachment.message_id == message_id).limit(1)).first()
    return None if kept is not None else Pending(message_id, message.case_id, media)


def keep(target: Pending, data: bytes) -> Attachment | None:
    """Keep the fetched bytes as the case's attachment (once per message); None when they
    are not the image or recording they claim to be (the case text still names the
    MediaId)."""
    if pending(target.message_id) is None:
        return None
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    try:
        if target.media.kind == "voice":
            upload = check_voice(target.media.filename, data, max_bytes=limit)
        else:
            upload = check_attachment(target.media.filename, data, max_bytes=limit)
    except ParseError:
        return None
    return storage.keep(upload, message_id=target.message_id, case_id=target.case_id)


#: how long the platform keeps a medium: after that nothing is left to fetch
KEPT_BY_PLATFORM = timedelta(days=3)
#: a medium just noted is queued by its commit; the sweep leaves it this long to that job
GRACE = timedelta(minutes=2)


def settle(message_id: int) -> None:
    """The medium of this message needs no more fetching (kept, refused, gone, or none)."""
    db.session.execute(update(InboundMessage).where(InboundMessage.id == message_id)
                       .values(media_due_at=None).execution_options(synchronize_session=False))


def due_ids(now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """The messages whose medium is still to fetch and may still be fetched, oldest first;
    those the platform no longer keeps are settled here (nothing can fetch them now)."""
    now = now or utcnow()
    db.session.execute(update(InboundMessage).where(
        InboundMessage.media_due_at.is_not(None),
        InboundMessage.received_at < now - KEPT_BY_PLATFORM)
        .values(media_due_at=None).execution_options(synchronize_session=False))
    return list(db.session.scalars(
        select(InboundMessage.id).where(InboundMessage.media_due_at <= now - GRACE)
        .order_by(InboundMessage.media_due_at, InboundMessage.id).limit(limit)))
