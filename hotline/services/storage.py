"""Files citizens send, kept under the instance folder (never the web root) and served only
to staff who may see the case or to the citizen holding its query code."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from hotline.channels import Attachment as UploadedFile
from hotline.channels import ParseError
from hotline.channels.uploads import check_attachment, extension_for
from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Attachment, CaseEvent, utcnow


def screen(files: list[tuple[str, bytes]], field: str = "attachments") -> list[UploadedFile]:
    """Check uploaded files by content (photos, PDF...), their number and size: the same
    checks for a mailbox letter and a department's reply; InvalidInput names the field."""
    limit = current_app.config["UPLOAD_MAX_FILES"]
    files = [(name, data) for name, data in files if name or data]
    if len(files) > limit:
        raise InvalidInput("附件最多 {max} 个", field=field, max=limit)
    uploads = []
    for name, data in files:
        try:
            uploads.append(check_attachment(name, data,
                                            max_bytes=current_app.config["UPLOAD_MAX_BYTES"]))
        except ParseError as exc:
            raise InvalidInput("附件不能接收：{reason}", field=field, reason=exc.reason) from None
    return uploads


def uploads_dir() -> Path:
    """The folder attachments live in: ``<instance>/uploads``."""
    return Path(current_app.config["INSTANCE_PATH"]) / "uploads"


def write_file(upload: UploadedFile, *, folder: str | None = None) -> tuple[str, str]:
    """Write a screened file to disk (atomically) and return (relative path, sha256);
    ``folder`` puts it in a sub-folder of its own (held drafts' files)."""
    digest = hashlib.sha256(upload.data).hexdigest()
    today = utcnow().strftime("%Y/%m")
    if folder:
        today = f"{folder}/{today}"
    relative = f"{today}/{secrets.token_hex(16)}{extension_for(upload.content_type)}"
    target = uploads_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + ".part")
    with open(temporary, "wb") as handle:
        handle.write(upload.data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return relative, digest


def keep(upload: UploadedFile, *, message_id: int | None = None,
         case_id: int | None = None, event_id: int | None = None) -> Attachment:
    """Write the file and add its row to the current transaction."""
    relative, digest = write_file(upload)
    row = Attachment(case_id=case_id, message_id=message_id, event_id=event_id,
                     filename=upload.filename[:200],
                     content_type=upload.content_type, size=len(upload.data), sha256=digest,
                     path=relative)
    db.session.add(row)
    return row


def path_of(attachment: Attachment) -> Path:
    """Where an attachment's bytes are; refuses paths that would leave the uploads folder."""
    root = uploads_dir().resolve()
    target = (root / attachment.path).resolve()
    if root not in target.parents:
        raise ValueError(f"attachment {attachment.id} points outside the uploads folder")
    return target


def remove_files(relative_paths: list[str]) -> None:
    """Delete files written for a transaction that did not commit."""
    for relative in relative_paths:
        try:
            (uploads_dir() / relative).unlink()
        except OSError:
            pass


def of_case(case_id: int) -> list[Attachment]:
    """A case's attachments, oldest first."""
    return list(db.session.scalars(
        select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)))


def for_citizen(case_id: int) -> list[Attachment]:
    """The case's files the citizen may see: their own and those of public events (a
    reply), never an internal note's."""
    return list(db.session.scalars(
        select(Attachment).outerjoin(CaseEvent, CaseEvent.id == Attachment.event_id)
        .where(Attachment.case_id == case_id,
               or_(Attachment.event_id.is_(None), CaseEvent.public.is_(True)))
        .order_by(Attachment.id)))


def by_event(case_id: int) -> dict[int | None, list[Attachment]]:
    """The case's files grouped by the event they came with (None: the citizen's own),
    for the staff case page."""
    grouped: dict[int | None, list[Attachment]] = {}
    for row in of_case(case_id):
        grouped.setdefault(row.event_id, []).append(row)
    return grouped
