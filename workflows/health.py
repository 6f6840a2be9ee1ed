"""A snapshot of the job system for supervisors: queues, failures, workers, the last sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from rq import Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import OutboxMessage, utcnow
from workflows import progress
from workflows.queues import QUEUE_NAMES, get_queue
from workflows.sweep import last_sweep


@dataclass
class QueueState:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    failures: list[dict] = field(default_factory=list)
    running: list[dict] = field(default_factory=list)


@dataclass
class Health:
    reachable: bool
    queues: list[QueueState]
    workers: int
    last_sweep: dict | None
    outbox: dict[str, int]
    error: str | None = None

    @property
    def last_sweep_at(self) -> datetime | None:
        """When the last sweep ran, as an aware UTC time (the page shows it local)."""
        raw = (self.last_sweep or {}).get("at")
        return _aware(datetime.fromisoformat(raw)) if raw else None


def snapshot(failures_shown: int = 5) -> Health:
    """Read queue sizes and recent failures; an unreachable Redis is reported, not raised."""
    outbox = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    try:
        connection = get_redis()
        queues = [_queue_state(name, failures_shown) for name in QUEUE_NAMES]
        workers = len(live_workers(connection))
        return Health(True, queues, workers, last_sweep(), outbox)
    except redis.RedisError as exc:
        return Health(False, [], 0, None, outbox, error=str(exc))


def _queue_state(name: str, failures_shown: int) -> QueueState:
    queue = get_queue(name)
    failed = FailedJobRegistry(queue=queue)
    failures = []
    for job in queue.job_class.fetch_many(failed.get_job_ids(0, failures_shown - 1),
                                          connection=queue.connection):
        if job is not None:
            trace = _error_of(job)
            failures.append({"id": job.id, "function": job.func_name,
                             "ended_at": _aware(job.ended_at), "error": trace[-4000:],
                             "reason": failure_reason(trace)})
    started = StartedJobRegistry(queue=queue)
    running = [{"id": job.id, "function": job.func_name, "progress": progress.of_job(job)}
               for job in queue.job_class.fetch_many(started.get_job_ids(0, failures_shown - 1),
                                                     connection=queue.connection)
               if job is not None]
    return QueueState(name=name, queued=queue.count, started=started.count,
                      scheduled=ScheduledJobRegistry(queue=queue).count,
                      failed=failed.count, failures=failures, running=running)


def failure_reason(trace: str) -> str:
    """The last line of a traceback: the exception's type and message, what a supervisor
    reads first (the whole trace stays behind a toggle)."""
    lines = [line.strip() for line in (trace or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _aware(moment: datetime | None) -> datetime | None:
    """RQ keeps naive UTC times; the pages need them aware to show them local."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _error_of(job) -> str:
    result = job.latest_result()
    return (getattr(result, "exc_string", None) or "") if result is not None else ""


# A worker heartbeats at least every WORKER_TTL - 15 seconds (run_worker sets the TTL); one
# silent for longer than this is dead even while its Redis key has not expired yet.
WORKER_TTL = 60
WORKER_SILENT = WORKER_TTL + 30


def live_workers(connection=None) -> list[Worker]:
    """Workers whose last heartbeat is recent: a killed worker stops counting at once its
    heartbeat is overdue, not when RQ's maintenance finally removes it."""
    connection = connection or get_redis()
    now = utcnow()
    alive = []
    for worker in Worker.all(connection=connection):
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        if beat is not None and (now - beat).total_seconds() <= WORKER_SILENT:
            alive.append(worker)
    return alive
