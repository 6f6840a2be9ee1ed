"""The worker entry point: build the app, preload what jobs need, fork a work horse per job,
and tick the periodic schedule (:mod:`workflows.schedule`).

This is the only place that builds an app for jobs. It is used by ``hotline worker`` and by
the plain ``rq`` command:
``rq worker --worker-class workflows.worker.HotlineWorker hotline-high hotline hotline-low``.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from rq import Queue, Worker

from hotline.app import create_app
from hotline.broker import get_redis
from workflows import context, schedule
from workflows.queues import QUEUE_NAMES

log = logging.getLogger(__name__)


class HotlineWorker(Worker):
    """An RQ worker whose parent holds a ready app (and jieba) so forks start warm, and
    which ticks the periodic schedule."""

    def __init__(self, *args, **kwargs):
        if not context.has_app():
            context.use_app(create_app())  # the plain ``rq worker`` path
        context.preload()
        super().__init__(*args, **kwargs)

    def work(self, *args, **kwargs):
        stop = threading.Event()
        ticker = threading.Thread(target=_tick_forever, args=(stop,), daemon=True,
                                  name="hotline-periodic-tick")
        ticker.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()


def _tick_forever(stop: threading.Event) -> None:
    """Tick the schedule until the worker stops; the first tick catches up at start."""
    app = context.get_app()
    starting = True
    while not stop.is_set():
        with app.app_context():
            try:
                schedule.tick(get_redis(), app.config, starting=starting)
            except Exception:  # noqa: BLE001 - a missed tick is retried next interval
                log.exception("periodic tick failed")
        starting = False
        stop.wait(schedule.tick_seconds(app.config))


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """Run one worker with its scheduler on the hotline queues until stopped."""
    context.use_app(app)
    with app.app_context():
        connection = get_redis()
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    worker = HotlineWorker(queues, connection=connection, name=f"hotline-{os.getpid()}")
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
