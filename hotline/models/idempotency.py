"""Answers kept for API requests sent with an ``Idempotency-Key``, so a retry gets the first
answer instead of doing the work twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class IdempotentRequest(Base):
    """One key of one API token: what the first request looked like and what it answered.

    ``scope`` is a digest of the token (never the token itself); ``fingerprint`` a digest of
    the method, path and body, so the same key with a different request is refused. While the
    first request runs, ``status`` is empty."""

    __tablename__ = "idempotent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotent_request_scope_key"),)
