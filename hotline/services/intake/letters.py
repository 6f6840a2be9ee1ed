"""The mayor's mailbox (市长信箱): a letter from the web form, checked and stored with its
files in the caller's transaction; the caller then processes it like any stored message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from hotline.channels import Attachment as UploadedFile
from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Attachment, InboundMessage, InboundStatus, RequestType, utcnow
from hotline.services import leader_mailboxes, storage
from hotline.services.intake.store import Receipt, clip, find_message
from hotline.services.validation import choice, optional_text, phone_number, required_text


@dataclass(frozen=True)
class Letter:
    """A mayor's-mailbox letter, checked."""

    name: str | None
    phone: str
    address: str | None
    title: str | None
    content: str
    request_type: str
    mailbox: str | None = None  # the leader's mailbox written to (领导信箱), by code
    publish: bool = False  # the writer agrees to publish the answer (公开答复)


def check_letter(form: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[
        Letter, list[UploadedFile]]:
    """Check the letter's fields and screen its files by content; InvalidInput names the
    field that is wrong."""
    max_chars = current_app.config["CONTENT_MAX_CHARS"]
    phone = phone_number(form.get("phone"))
    if phone is None:
        raise InvalidInput("「{field}」不能为空", field="phone")
    letter = Letter(
        name=optional_text(form.get("name"), "name", max_chars=100),
        phone=phone,
        address=optional_text(form.get("address"), "address", max_chars=300),
        title=optional_text(form.get("title"), "title", max_chars=100),
        content=required_text(form.get("content"), "content", max_chars=max_chars),
        request_type=choice(form.get("type") or None, RequestType, "type",
                            RequestType.COMPLAINT).value,
        mailbox=(leader_mailboxes.mailbox_by_code(form["mailbox"]).code
                 if form.get("mailbox") else None),
        publish=form.get("publish") in ("1", "on", "true"),
    )
    return letter, storage.screen(files)


def receive_letter(letter: Letter, uploads: list[UploadedFile], token_id: str,
                   client: str, *, language: str | None = None) -> Receipt:
    """Store a mailbox letter with its files in the caller's transaction, claimed for the
    caller to process once it has committed; the same letter sent again (its challenge token
    is its id) returns the first one. ``language``: the page's, which the writer's notices
    will use."""
    written = [storage.write_file(upload) for upload in uploads]
    payload = json.dumps({
        "name": letter.name, "phone": letter.phone, "address": letter.address,
        "title": letter.title, "content": letter.content, "type": letter.request_type,
        "mailbox": letter.mailbox, "publish": letter.publish,
        "client": client, "language": language,
        "attachments": [{"filename": u.filename, "content_type": u.content_type,
                         "size": len(u.data), "sha256": digest, "path": path}
                        for u, (path, digest) in zip(uploads, written, strict=True)],
    }, ensure_ascii=False).encode("utf-8")
    now = utcnow()
    message = InboundMessage(channel="mailbox", external_id=token_id[:200], sender=letter.phone,
                             content_type="application/json", payload=payload, received_at=now,
                             status=InboundStatus.PROCESSING, claimed_at=now, attempts=1,
                             summary=clip("\n".join(p for p in (letter.title, letter.content)
                                                    if p)))
    try:
        with db.session.begin_nested():  # a duplicate undoes only this letter
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        storage.remove_files([path for path, _ in written])
        earlier = find_message("mailbox", token_id[:200])
        if earlier is None:
            raise
        return Receipt(earlier.id, earlier.status, duplicate=True)
    for upload, (path, digest) in zip(uploads, written, strict=True):
        db.session.add(Attachment(message_id=message.id, filename=upload.filename[:200],
                                  content_type=upload.content_type, size=len(upload.data),
                                  sha256=digest, path=path))
    db.session.flush()
    return Receipt(message.id, InboundStatus.PROCESSING)
