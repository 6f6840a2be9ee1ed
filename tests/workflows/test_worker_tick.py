"""The worker's periodic tick keeps the nightly work booked, even after Redis forgot it."""

from __future__ import annotations

from rq import Queue
from rq.registry import ScheduledJobRegistry

from hotline.broker import get_redis
from workflows import context, worker
from workflows.queues import LOW


def stats_bookings() -> list[str]:
    registry = ScheduledJobRegistry(queue=Queue(LOW, connection=get_redis()))
    return [job_id for job_id in registry.get_job_ids() if job_id.startswith("stats-nightly-")]


def test_the_tick_books_tonights_statistics_once(app):
    context.use_app(app)
    worker._maybe_enqueue_sweep(60, force=True)
    booked = stats_bookings()
    assert len(booked) == 1
    worker._maybe_enqueue_sweep(60, force=False)
    assert stats_bookings() == booked


def test_a_redis_restart_loses_the_booking_and_the_next_tick_restores_it(app):
    context.use_app(app)
    worker._maybe_enqueue_sweep(60, force=True)
    get_redis().flushdb()  # what a restart of a Redis without persistence leaves
    assert stats_bookings() == []
    worker._maybe_enqueue_sweep(60, force=False)
    assert len(stats_bookings()) == 1
