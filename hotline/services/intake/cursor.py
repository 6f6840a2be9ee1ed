"""How far the IMAP poller has read each folder: the last UID taken in, within the folder's
UIDVALIDITY. Tracking UIDs rather than ``\\Seen`` takes in mail a person already opened in a
mail client, and the unique Message-ID of the raw store keeps each mail exactly once."""

from __future__ import annotations

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import MailCursor, utcnow


def last_uid(mailbox: str, uidvalidity: int) -> int | None:
    """The last UID taken in from ``mailbox``; None when it was never read or its
    UIDVALIDITY changed (the UIDs seen before mean nothing now)."""
    row = db.session.scalars(select(MailCursor).where(MailCursor.mailbox == mailbox)).first()
    if row is None or row.uidvalidity != uidvalidity:
        return None
    return row.last_uid


def advance(mailbox: str, uidvalidity: int, uid: int) -> None:
    """Record that every mail up to ``uid`` is taken in (never moves back within one
    UIDVALIDITY), in the caller's transaction."""
    row = db.session.scalars(select(MailCursor).where(MailCursor.mailbox == mailbox)
                             .with_for_update()).first()
    if row is None:
        db.session.add(MailCursor(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=uid))
        return
    if row.uidvalidity != uidvalidity:
        row.uidvalidity, row.last_uid = uidvalidity, uid
    else:
        row.last_uid = max(row.last_uid, uid)
    row.updated_at = utcnow()
