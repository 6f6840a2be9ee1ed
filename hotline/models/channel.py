"""What arrives from the channels: raw inbound messages, stored files, web-chat conversations.

Every message is stored exactly as received before anything else happens to it, so whatever
a citizen sends either becomes a case, joins one, or waits in the review queue; nothing is
ever only in memory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.case import Case, Citizen
from hotline.models.enums import ChatAuthor, ConversationStatus, InboundStatus
from hotline.models.user import User

# Repeat detection and "查询" replies look a citizen up by openid or e-mail address.
Index("ix_citizen_contact", Citizen.contact)


class InboundMessage(Base):
    """One message as a channel delivered it, and what became of it.

    ``(channel, external_id)`` is unique: a gateway that delivers the same message twice
    (a retry, a second poll, a double click) finds the first row instead of a new case.
    ``status`` is an :class:`~hotline.models.enums.InboundStatus`; ``reason`` says why a
    message waits for a person.
    """

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[InboundStatus] = mapped_column(enum_column(InboundStatus, length=12),
                                                  default=InboundStatus.RECEIVED)
    reason: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)  # readable text, for the review queue
    reply: Mapped[str | None] = mapped_column(Text)  # what the citizen was answered
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handled_note: Mapped[str | None] = mapped_column(Text)
    # e-mail only: its Message-ID and References as sent, so answers thread to it
    mail_message_id: Mapped[str | None] = mapped_column(String(500))
    mail_references: Mapped[str | None] = mapped_column(Text)
    #: a WeChat image or voice still to download (set with its case, cleared once kept or
    #: gone): the sweep queues the fetch of each one Redis forgot
    media_due_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship()
    handled_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_message_channel_external_id"),
        Index("ix_inbound_message_status_id", "status", "id"),
        Index("ix_inbound_message_media_due", "media_due_at",
              postgresql_where=text("media_due_at IS NOT NULL"),
              sqlite_where=text("media_due_at IS NOT NULL")),
    )


class MailCursor(Base):
    """How far the IMAP poller has read one folder: the last UID taken in, valid while the
    folder's UIDVALIDITY stays the same. Mail is taken in by UID, so a mail a person opened
    in a mail client first (\\Seen) is still taken in, and exactly once."""

    __tablename__ = "mail_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300), unique=True)  # user@host/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file a citizen sent (mailbox upload, e-mail attachment), stored under the instance
    folder, never under the web root; ``path`` is relative to the uploads folder."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"),
                                                   index=True)
    #: the reply or note the file came with (a department's); None for the citizen's own
    #: files. The citizen sees a file unless its event is internal (a note).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """A web-chat conversation: the citizen holds a secret token, an agent picks it up and
    may turn it into a case (``status``: :class:`~hotline.models.enums.ConversationStatus`)."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[ConversationStatus] = mapped_column(
        enum_column(ConversationStatus, length=12), default=ConversationStatus.WAITING)
    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_phone: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    #: the page's language when the citizen opened the chat: their case's notices use it
    language: Mapped[str | None] = mapped_column(String(8))

    agent: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship()

    __table_args__ = (Index("ix_conversation_status_last", "status", "last_message_at"),)


class ChatMessage(Base):
    """One line of a web chat: from the citizen, an agent, or the system."""

    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"))
    author: Mapped[ChatAuthor] = mapped_column(enum_column(ChatAuthor, length=10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_label: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_chat_message_conversation_id_id", "conversation_id", "id"),)
