"""The worker process: preload what jobs need, then fork a work horse per job."""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from rq import Queue, Worker

from hotline.broker import get_redis
from workflows import context
from workflows.queues import HIGH, LOW, QUEUE_NAMES

log = logging.getLogger(__name__)
TICK_KEY = "hotline:sweep:tick"


class HotlineWorker(Worker):
    """An RQ worker whose parent holds a ready app (and jieba) so forks start warm, and
    which takes part in the periodic sweep.

    Usable from the plain ``rq`` command too:
    ``rq worker --worker-class workflows.worker.HotlineWorker hotline-high hotline hotline-low``.
    """

    def __init__(self, *args, **kwargs):
        context.preload()
        super().__init__(*args, **kwargs)

    def work(self, *args, **kwargs):
        stop = threading.Event()
        ticker = threading.Thread(target=_tick_forever, args=(stop,), daemon=True,
                                  name="hotline-sweep-tick")
        ticker.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()


def _tick_forever(stop: threading.Event) -> None:
    """Every interval, the first worker to take the tick enqueues one sweep for everyone."""
    app = context.get_app()
    interval = int(app.config["SWEEP_INTERVAL_SECONDS"])
    first = True
    while not stop.is_set():
        with app.app_context():
            try:
                _maybe_enqueue_sweep(interval, force=first)
            except Exception:  # noqa: BLE001 - a missed tick is retried next interval
                log.exception("sweep tick failed")
        first = False
        stop.wait(interval)


def _maybe_enqueue_sweep(interval: int, *, force: bool) -> None:
    from workflows import jobs

    redis = get_redis()
    if force or redis.set(TICK_KEY, os.getpid(), nx=True, ex=max(1, interval - 2)):
        Queue(HIGH, connection=redis).enqueue(jobs.sweep)
    _maybe_enqueue_nightly_retrain(redis)
    _book_statistics(catch_up=force)


def _book_statistics(*, catch_up: bool) -> None:
    """Keep tonight's statistics rebuild on the schedule (one job id per night, so booking
    it again is a no-op), and at worker start rebuild what a lost night left stale: Redis
    keeps no scheduled job across a restart."""
    from workflows import stats as stats_jobs

    stats_jobs.schedule_nightly()
    if catch_up:
        stats_jobs.refresh_if_stale()


def _maybe_enqueue_nightly_retrain(redis) -> None:
    """Once a night, at the configured local hour, one worker enqueues the retraining."""
    from workflows.retrain import retrain

    app = context.get_app()
    hour = int(app.config["RETRAIN_HOUR"])
    now = datetime.now(ZoneInfo(app.config["TIMEZONE"]))
    if hour < 0 or now.hour != hour:
        return
    if redis.set(f"hotline:retrain:{now:%Y%m%d}", os.getpid(), nx=True, ex=86400):
        Queue(LOW, connection=redis).enqueue(retrain, job_timeout=3600)


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """Run one worker with its scheduler on the hotline queues until stopped."""
    context.use_app(app)
    with app.app_context():
        connection = get_redis()
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    worker = HotlineWorker(queues, connection=connection, name=f"hotline-{os.getpid()}")
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
