"""When periodic work last ran, kept in the database: readable while Redis is down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class Heartbeat(Base):
    """The latest run of one named piece of work (``sweep``) and what it reported."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
