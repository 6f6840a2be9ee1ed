"""Counters that tell every process when its cache of a table went stale."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class CacheGeneration(Base):
    """One named counter (``tokens``, ``webhooks``), raised in the transaction that changes
    what a per-process cache holds; a missing row counts as 0."""

    __tablename__ = "cache_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
