"""The worker process: preload what jobs need, then fork a work horse per job."""

from __future__ import annotations

import logging
import os

from flask import Flask
from rq import Queue, Worker

from hotline.broker import get_redis
from workflows import context
from workflows.queues import QUEUE_NAMES

log = logging.getLogger(__name__)


class HotlineWorker(Worker):
    """An RQ worker whose parent holds a ready app (and jieba) so forks start warm.

    Usable from the plain ``rq`` command too:
    ``rq worker --worker-class workflows.worker.HotlineWorker hotline-high hotline hotline-low``.
    """

    def __init__(self, *args, **kwargs):
        context.preload()
        super().__init__(*args, **kwargs)


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """Run one worker with its scheduler on the hotline queues until stopped."""
    context.use_app(app)
    with app.app_context():
        connection = get_redis()
        context.preload()
        from workflows import sweep

        sweep.on_worker_start()
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    worker = HotlineWorker(queues, connection=connection,
                           name=f"hotline-{os.getpid()}")
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
