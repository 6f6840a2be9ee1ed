"""The scheduler role (moving due jobs from RQ's scheduled set to their queue), failing over
within seconds.

RQ's own scheduler holds a lock per queue for 61 s, and a worker whose scheduler is gone
tries to take the lock only at its 10-minute maintenance: when the lock holder is killed,
precisely timed jobs (deadline points) wait up to ten minutes. Here every worker runs the
scheduler as a thread of its own process, so it dies with the worker: the holder renews a
:data:`LOCK_SECONDS` lock every :data:`INTERVAL` seconds and the others try to take it at the
same pace, so a dead holder's queues are scheduled again within ``LOCK_SECONDS + INTERVAL``.
The lock keys and their values are RQ's own (``rq:scheduler-lock:<queue>`` holding the
scheduler's name): a stock ``rq worker --with-scheduler`` beside ours is excluded as usual.
"""

from __future__ import annotations

import logging
import threading

import redis
from rq.scheduler import RQScheduler
from rq.scripts import acquire_or_refresh_lock

log = logging.getLogger(__name__)
LOCK_SECONDS = 15  # how long a lock outlives its holder's last renewal
INTERVAL = 2  # seconds between passes: renew or try to take the locks, move due jobs


class FailoverScheduler(RQScheduler):
    """RQ's scheduler with a short lock that every worker contends for at every pass."""

    lock_seconds = LOCK_SECONDS

    def __init__(self, queues, connection, *, name: str, interval: float = INTERVAL):
        super().__init__(queues, connection=connection, interval=interval, name=name)

    def pass_once(self) -> set[str]:
        """Take or renew the lock of every queue nobody else holds, then move the jobs of the
        held queues whose time came; the names of the queues held."""
        held = set()
        for name in sorted(self._queue_names):
            outcome = acquire_or_refresh_lock(self.connection, self.get_locking_key(name),
                                              self.name, self.lock_seconds)
            if outcome != "taken":
                held.add(name)
        if held != self._acquired_locks:
            log.info("scheduler %s now holds %s", self.name, ", ".join(sorted(held)) or "nothing")
            self._scheduled_job_registries = []  # rebuilt for the queues now held
        self._acquired_locks = held
        if held:
            self.enqueue_scheduled_jobs()
        return held

    def run(self, stop: threading.Event) -> None:
        """Pass every interval until ``stop`` is set, then hand the locks on at once."""
        while not stop.is_set():
            try:
                self.pass_once()
            except redis.RedisError as exc:  # the worker reconnects; so do we, next pass
                if self._acquired_locks:
                    log.warning("scheduler %s: Redis unreachable (%s)", self.name, exc)
                self._acquired_locks, self._scheduled_job_registries = set(), []
            stop.wait(self.interval)
        self.close()

    def close(self) -> None:
        """Release the locks this scheduler holds (so another worker takes them at its next
        pass) and close its connection."""
        try:
            self.release_locks()
        except redis.RedisError:
            pass  # they expire on their own
        if self._connection is not None:
            self._connection.close()
            self._connection.connection_pool.disconnect()
            self._connection = None


def start(queues, connection, name: str) -> tuple[FailoverScheduler, threading.Event,
                                                  threading.Thread]:
    """Run a scheduler in a daemon thread of this process; set the event to stop it."""
    scheduler = FailoverScheduler(queues, connection, name=name)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True,
                              name="hotline-scheduler")
    thread.start()
    return scheduler, stop, thread
