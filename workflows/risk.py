"""Risk and quality jobs: the risk page's cached snapshot, the forecast warnings sent to
supervisors, and the automatic inspection of replies and records not inspected yet.

All three are periodic (:mod:`workflows.schedule`) and re-derive their work from the
database on every run: a run that fails or is skipped costs nothing but its slot.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

from hotline.broker import get_redis
from hotline.services import quality_store, risk_snapshot, staff_warnings
from hotline.unit_of_work import unit_of_work
from workflows.context import job
from workflows.queues import LOW, get_queue
from workflows.stats import cached_hotspots

log = logging.getLogger(__name__)
RISK_KEY = "hotline:risk:snapshot"


@job
def refresh_risk() -> dict:
    """Compute the risk page's spikes and forecast and cache them for the page."""
    with unit_of_work():  # reads only
        snapshot = risk_snapshot.make()
    get_redis().set(RISK_KEY, json.dumps(snapshot, ensure_ascii=False))
    return {"computed_at": snapshot["computed_at"]}


def cached_risk() -> dict[str, Any] | None:
    """The last snapshot, or None when there is none (or Redis is unreachable)."""
    try:
        raw = get_redis().get(RISK_KEY)
    except redis.RedisError as exc:
        log.warning("risk cache unreachable: %s", exc)
        return None
    return json.loads(raw) if raw else None


def enqueue_refresh() -> None:
    """Queue a snapshot now (the page found none)."""
    get_queue(LOW).enqueue(refresh_risk, job_id="risk-refresh", job_timeout=600,
                           result_ttl=600)


@job
def send_warnings() -> dict:
    """Send supervisors the forecast's warnings not sent yet (each once)."""
    analysis = cached_hotspots()
    with unit_of_work():
        sent = staff_warnings.send(analysis)
    return {"sent": sent}


@job
def inspect_pending() -> dict:
    """Keep the automatic inspection of replies and records that have none yet."""
    with unit_of_work():
        return quality_store.inspect_pending()
