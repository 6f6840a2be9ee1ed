"""Readiness and metrics: what a load balancer and Prometheus ask of a running hotline.

:func:`readiness` checks each part the hotline needs (database, Redis, live workers, a
recent sweep, an outbox that drains) and names the failing ones. :func:`gauges` reads the
figures ``GET /metrics`` exports at scrape time; they come from the database and Redis, so
every web process answers the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import redis
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import OPEN_STATUSES, Case, ClassifierModel, OutboxMessage, utcnow
from hotline.services import beats
from workflows.health import live_workers
from workflows.queues import QUEUE_NAMES, get_queue

# Pending messages whose send time passed this long ago mean nothing is delivering them.
OUTBOX_STUCK = timedelta(minutes=15)


def readiness(config: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Check every part; ``(all well, {"status", "failing", "checks"})``."""
    checks = {name: _guarded(check, config) for name, check in CHECKS.items()}
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    return not failing, {"status": "failing" if failing else "ok", "failing": failing,
                         "checks": checks, "time": utcnow().isoformat()}


def _guarded(check: Callable[[Mapping[str, Any]], dict], config) -> dict[str, Any]:
    try:
        return check(config)
    except Exception as exc:  # noqa: BLE001 - a check that cannot run has failed
        db.session.rollback()
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _database(_config) -> dict[str, Any]:
    db.session.execute(select(1))
    return {"ok": True}


def _redis(_config) -> dict[str, Any]:
    get_redis().ping()
    return {"ok": True}


def _workers(_config) -> dict[str, Any]:
    count = len(live_workers())
    return {"ok": count > 0, "alive": count}


def sweep_age(now=None) -> float | None:
    """Seconds since the last database sweep finished, or None when none ran yet."""
    row = beats.last("sweep")
    return None if row is None else ((now or utcnow()) - row.at).total_seconds()


def _sweep(config) -> dict[str, Any]:
    age = sweep_age()
    limit = 3 * int(config["SWEEP_INTERVAL_SECONDS"]) + 60
    return {"ok": age is not None and age <= limit,
            "age_seconds": None if age is None else round(age), "limit_seconds": limit}


def outbox_counts() -> dict[str, int]:
    """Outbound messages by status."""
    return dict(db.session.execute(select(OutboxMessage.status, func.count())
                                   .group_by(OutboxMessage.status)).all())


def _outbox(_config) -> dict[str, Any]:
    counts = outbox_counts()
    stuck = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at < utcnow() - OUTBOX_STUCK))
    return {"ok": not stuck, "pending": counts.get("pending", 0),
            "failed": counts.get("dead", 0), "stuck": stuck}


CHECKS: dict[str, Callable[[Mapping[str, Any]], dict]] = {
    "database": _database, "redis": _redis, "workers": _workers, "sweep": _sweep,
    "outbox": _outbox,
}


def gauges() -> dict[str, Any]:
    """The figures of ``GET /metrics`` that are read at scrape time."""
    figures: dict[str, Any] = {
        "cases": dict(db.session.execute(select(Case.status, func.count())
                                         .group_by(Case.status)).all()),
        "overdue": db.session.scalar(select(func.count()).select_from(Case).where(
            Case.overdue.is_(True), Case.status.in_(OPEN_STATUSES))) or 0,
        "outbox": outbox_counts(),
        "sweep_age": sweep_age(),
        "model_version": db.session.scalar(select(ClassifierModel.version)
                                           .where(ClassifierModel.status == "active")),
        "queues": {}, "workers": None,
    }
    try:
        for name in QUEUE_NAMES:
            queue = get_queue(name)
            figures["queues"][name] = (queue.count, FailedJobRegistry(queue=queue).count)
        figures["workers"] = len(live_workers())
    except redis.RedisError:
        figures["queues"] = {}
    return figures
