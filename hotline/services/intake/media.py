"""Media a citizen sent by WeChat (images, voice), kept as the case's attachments.

The push carries only a MediaId, which the platform serves for 3 days: a job
(``workflows.media``) reads what to fetch here, downloads it outside any transaction and
keeps it here, each step in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from hotline.channels import ParseError
from hotline.channels import wechat as wechat_channel
from hotline.channels.uploads import check_attachment, check_voice
from hotline.extensions import db
from hotline.models import Attachment, InboundMessage
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
