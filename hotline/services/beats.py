"""Heartbeats of periodic work in the database, so health checks can tell its age even
while Redis is down."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.extensions import db
from hotline.models import Heartbeat, utcnow


def beat(name: str, detail: dict[str, Any], *, now: datetime | None = None) -> None:
    """Record that ``name`` ran now and what it found (joins the caller's transaction)."""
    row = db.session.get(Heartbeat, name)
    if row is None:
        row = Heartbeat(name=name)
        db.session.add(row)
    row.at, row.detail = now or utcnow(), detail


def last(name: str) -> Heartbeat | None:
    """The latest heartbeat of ``name``, read fresh."""
    return db.session.get(Heartbeat, name, populate_existing=True)
