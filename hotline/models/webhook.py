"""Event push (工单交换): the URLs integrating systems subscribe to events of their cases.

Deliveries are outbox messages on the ``webhook`` channel; their rows are the delivery log.
The signing secret is not stored: it is derived from the server's key and ``salt``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow
from hotline.models.org import Department


class WebhookSubscription(Base):
    """A URL that receives the chosen events of one department's cases (every case when
    ``department_id`` is empty), signed with a secret derived from ``salt``."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    salt: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
