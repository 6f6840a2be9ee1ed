"""Messages to citizens and staff, written in the transaction that decides to send them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.case import Case
from hotline.models.enums import OutboxStatus


class OutboxMessage(Base):
    """One outbound message; delivered by a job, retried with back-off, never sent twice.

    ``idempotency_key`` is unique: deciding twice to send the same message stores it once,
    and the key travels to the gateway so a provider can drop a repeated delivery.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # sms | wechat | email | console
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, length=12),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)


class Notification(Base):
    """Something staff must see: a warning or overdue mark for a department or supervisors
    (about a case, or about no case: a forecast warning)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    role: Mapped[str | None] = mapped_column(String(20))  # e.g. supervisor: all of that role
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_notification_department_read", "department_id", "read_at"),
        Index("ix_notification_role_read", "role", "read_at"),
    )
