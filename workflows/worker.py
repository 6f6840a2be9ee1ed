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
import time

import redis
from flask import Flask
from rq import Queue, Worker
from rq.exceptions import StopRequested

from hotline import broker
from hotline.app import create_app
from hotline.broker import get_redis
from workflows import context, schedule, scheduler
from workflows.health import WORKER_TTL
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

    # RQ retries a lost connection itself, waiting up to this long between attempts.
    max_connection_wait_time = 10.0
    # Set by SIGTERM/SIGINT: an idle RQ worker then leaves its loop as it would when Redis is
    # lost, without a trace of the request; this tells the two apart.
    stop_asked = False

    def request_stop(self, signum, frame):
        self.stop_asked = True
        return super().request_stop(signum, frame)

    def heartbeat(self, *args, **kwargs):
        """Beat, and register again first when Redis forgot this worker (it restarted
        without persistence): otherwise the worker would go on working unseen by the health
        check and the queue page."""
        if self.birth_date is not None and not self.connection.exists(self.key):
            log.warning("Redis forgot worker %s: registering it again", self.name)
            self.register_birth()
        return super().heartbeat(*args, **kwargs)

    def work(self, *args, **kwargs):
        """Work the queues with the periodic tick and the scheduler role in threads of this
        process. RQ's forked scheduler is never started (``with_scheduler`` is taken here):
        its lock outlives a killed holder by up to ten minutes (:mod:`workflows.scheduler`)."""
        kwargs.pop("with_scheduler", None)
        burst = kwargs.get("burst", args[0] if args else False)
        stop = threading.Event()
        ticker = threading.Thread(target=_tick_forever, args=(stop,), daemon=True,
                                  name="hotline-periodic-tick")
        ticker.start()
        if burst:  # one pass moves what is due now, as RQ's burst scheduler does
            role = scheduler.FailoverScheduler(self.queues, self.connection, name=self.name)
            try:
                role.pass_once()
            finally:
                role.close()
        else:
            role, stop_role, thread = scheduler.start(self.queues, self.connection, self.name)
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()
            if not burst:
                stop_role.set()
                thread.join(timeout=10)


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
    """Run one worker with the scheduler role on the hotline queues until stopped.

    A lost Redis connection does not end the process: the worker starts again with back-off
    once Redis answers, and meanwhile a timer in this process runs the database sweep
    directly, so deadlines and messages due during the outage still go out."""
    context.use_app(app)
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_while_redis_is_down, args=(app, stop),
                               daemon=True, name="hotline-fallback-sweep")
    sweeper.start()
    try:
        _work_until_stopped(app, burst=burst)
    finally:
        stop.set()


BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0


def _work_until_stopped(app: Flask, *, burst: bool) -> None:
    delay, attempt = BACKOFF_FIRST, 0
    while True:
        attempt += 1
        started = time.monotonic()
        worker = None
        try:
            worker = _new_worker(app, attempt)
            worker.work(burst=burst, logging_level="INFO")
            if burst or _asked_to_stop(worker):
                return
            log.warning("worker loop ended without a stop request (Redis lost?)")
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if _asked_to_stop(worker):  # Redis went away while stopping
                return
            log.warning("Redis unreachable: %s", exc)
        except StopRequested:
            return
        finally:
            _close_connections(worker)
        if _asked_to_stop(worker):  # asked to stop, and then Redis went too
            return
        if time.monotonic() - started > 5 * BACKOFF_MAX:  # it ran a good while: start over
            delay = BACKOFF_FIRST
        log.warning("starting the worker again in %.0f s", delay)
        try:
            time.sleep(delay)
        except StopRequested:  # a SIGTERM while waiting: RQ's handler is still installed
            return
        delay = min(delay * 2, BACKOFF_MAX)


def _asked_to_stop(worker: HotlineWorker | None) -> bool:
    """Whether a signal asked this worker to stop (RQ records when, on Ctrl-C or SIGTERM,
    busy or idle; ``_stop_requested`` alone is only set while a job runs)."""
    return worker is not None and (worker.stop_asked
                                   or getattr(worker, "_stop_requested", False)
                                   or getattr(worker, "_shutdown_requested_date", None)
                                   is not None)


def _close_connections(worker: HotlineWorker | None) -> None:
    """Close the connections of a worker that ended: each attempt opens its own, and a
    worker restarted many times during an outage must not keep them all open."""
    if worker is None:
        return
    broker.close_client(worker.connection)


def _new_worker(app: Flask, attempt: int) -> HotlineWorker:
    with app.app_context():
        get_redis()  # starts the embedded server when no URL is set, and records its URL
    # The worker blocks on BLPOP for up to worker_ttl - 15 s: its own connection must wait
    # longer than that, or every idle wait ends in a socket timeout that RQ reports as a lost
    # connection and backs off from (the app's connection times out after 5 s).
    connection = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=WORKER_TTL + 30,
                                      socket_connect_timeout=2, health_check_interval=30)
    try:
        connection.ping()
    except redis.RedisError:
        broker.close_client(connection)
        raise
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    # A fresh name per attempt: a restarted Redis that kept the old registration must not
    # refuse the worker as a duplicate. The short TTL makes heartbeats frequent enough for
    # the health check to tell a dead worker within about a minute and a half.
    return HotlineWorker(queues, connection=connection, name=f"hotline-{os.getpid()}-{attempt}",
                         worker_ttl=WORKER_TTL)


def _sweep_while_redis_is_down(app: Flask, stop: threading.Event) -> None:
    """Every sweep interval, run the database sweep here when Redis does not answer: the
    usual sweep is a job on Redis and cannot run then."""
    from workflows import sweep

    interval = float(app.config["SWEEP_INTERVAL_SECONDS"])
    while not stop.wait(interval):
        with app.app_context():
            try:
                if not sweep.redis_up():
                    log.warning("Redis unreachable: running the database sweep directly")
                    sweep.run()
            except Exception:  # noqa: BLE001 - the next interval tries again
                log.exception("fallback sweep failed")
