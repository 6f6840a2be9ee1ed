"""Queue names, most urgent first: workers take from them in this order."""

from __future__ import annotations

from rq import Queue

HIGH = "hotline-high"  # deadlines and escalation
DEFAULT = "hotline"  # follow-up and outbound messages
LOW = "hotline-low"  # retraining, statistics

QUEUE_NAMES = (HIGH, DEFAULT, LOW)


def get_queue(name: str = DEFAULT) -> Queue:
    """An RQ queue on this app's Redis (call inside an app context)."""
    from hotline.broker import get_redis

    return Queue(name, connection=get_redis())
