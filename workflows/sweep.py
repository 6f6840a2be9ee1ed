"""Reconciliation: re-derive all due work from the database, because Redis may forget.

Run every ``HOTLINE_SWEEP_INTERVAL_SECONDS`` by whichever worker takes the tick, and at
every worker start. A flushed Redis, a restarted Redis without persistence, a worker
killed mid-job: the next sweep finds every passed point and every unsent message, and the
compare-and-set in each service makes sure nothing happens twice.
"""

from __future__ import annotations

import json
import logging
import time

import redis

from hotline.broker import get_redis
from hotline.models import utcnow
from hotline.services import beats, escalation, idempotency, outbox
from hotline.unit_of_work import unit_of_work
from workflows import delivery, media

log = logging.getLogger(__name__)
LAST_SWEEP_KEY = "hotline:sweep:last"
BATCH = 5000


def run() -> dict:
    """Fire every passed point and deliver every due message; record what was found."""
    started, now = time.perf_counter(), utcnow()
    case_ids = escalation.due_case_ids(now, limit=BATCH)
    fired = sum(len(_process_due(case_id, now)) for case_id in case_ids)
    message_ids = outbox.due_ids(now)
    # Each claim is stamped when it is taken, not when the sweep began: a long sweep must
    # not hand out claims that are already old enough to be taken over.
    with delivery.BoundedSender() as sender:
        outcomes = [delivery.deliver(message_id, sender=sender).outcome
                    for message_id in message_ids]
    summary = {
        "media_queued": _requeue_media(now),
        "at": now.isoformat(),
        "due_cases": len(case_ids),
        "fired": fired,
        "messages": len(message_ids),
        "sent": outcomes.count("sent"),
        "seconds": round(time.perf_counter() - started, 3),
    }
    with unit_of_work():
        summary["idempotency_keys_purged"] = idempotency.purge(now)
        beats.beat("sweep", summary, now=now)
    try:
        get_redis().set(LAST_SWEEP_KEY, json.dumps(summary))
    except redis.RedisError:  # the database record above is what health checks read
        log.warning("sweep: Redis unreachable, summary kept in the database only")
    log.info("sweep: %s", summary)
    if len(case_ids) == BATCH and redis_up():  # more is due than one batch: go again at once
        from workflows.queues import HIGH, get_queue

        get_queue(HIGH).enqueue("workflows.jobs.sweep")  # named: the job module imports this one
    return summary


def _requeue_media(now) -> int:
    """Queue again each WeChat medium still to fetch whose job Redis lost."""
    try:
        return media.requeue_due(now)
    except redis.RedisError:
        log.warning("sweep: Redis unreachable, media fetches are queued next time")
        return 0


def _process_due(case_id: int, now) -> list[str]:
    with unit_of_work():  # one transaction per case: a failure leaves the others fired
        return escalation.process_due(case_id, now)


def last_sweep() -> dict | None:
    """What the most recent sweep found, for the queue-health page (from the database, so
    a sweep run while Redis was down counts too)."""
    row = beats.last("sweep")
    if row is not None:
        return row.detail
    raw = get_redis().get(LAST_SWEEP_KEY)
    return json.loads(raw) if raw else None


def redis_up() -> bool:
    """Whether Redis answers a ping now."""
    try:
        return bool(get_redis().ping())
    except redis.RedisError:
        return False
