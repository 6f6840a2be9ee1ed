"""Oversight jobs: rebuild the statistics rollup, analyse hotspots; with progress for the page.

Jobs are thin: they call :func:`hotline.services.rollup.refresh` or
:func:`hotline.services.hotspots.analyse` inside their unit of work and record progress in
``job.meta["progress"]`` (``{"stage": ..., "done": n, "total": m}``, see
:mod:`workflows.progress`), which the dashboard polls. The nightly rebuild at
``HOTLINE_STATS_REFRESH_AT`` is declared in :mod:`workflows.schedule`.
"""

from __future__ import annotations

import json
import logging

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job

from hotline.broker import get_redis
from hotline.services import hotspots, rollup
from hotline.unit_of_work import unit_of_work
from workflows import progress
from workflows.context import job
from workflows.queues import LOW, get_queue

log = logging.getLogger(__name__)
REFRESH_JOB = "stats-refresh"
HOTSPOTS_JOB = "hotspots-analyse"
KNOWN_JOBS = (REFRESH_JOB, HOTSPOTS_JOB)
HOTSPOTS_KEY = "hotline:hotspots:analysis"
LOCK_KEY = "hotline:stats:refresh-lock"
ACTIVE = ("queued", "started", "scheduled", "deferred")


def _progress(done: int, total: int, step: str = "") -> None:
    progress.report(step, done, total)


@job
def refresh_stats(full: bool = False) -> dict:
    """Rebuild the changed rollup days (all of them when ``full``); one at a time."""
    lock = get_redis().lock(LOCK_KEY, timeout=6 * 3600, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        return {"skipped": "another refresh is running"}
    try:
        with unit_of_work():
            result = rollup.refresh(full=full, progress=lambda d, t: _progress(d, t, "days"))
    finally:
        lock.release()
    return result


@job
def analyse_hotspots() -> dict:
    """Cluster recent open cases and count top terms; cache the result for the page."""
    with unit_of_work():  # reads only; the transaction ends with the job
        result = hotspots.analyse(progress=_progress)
    get_redis().set(HOTSPOTS_KEY, json.dumps(result, ensure_ascii=False))
    return {"clusters": len(result["clusters"]), "open_cases": result["open_cases"]}


def cached_hotspots() -> dict | None:
    """The last hotspot analysis, or None when there is none (or Redis is unreachable)."""
    try:
        raw = get_redis().get(HOTSPOTS_KEY)
    except redis.RedisError as exc:
        log.warning("hotspot cache unreachable: %s", exc)
        return None
    return json.loads(raw) if raw else None


def _enqueue(job_id: str, function, *args, timeout: int) -> Job:
    """Enqueue ``function`` under a fixed id unless that job is already waiting or running."""
    queue = get_queue(LOW)
    try:
        existing = Job.fetch(job_id, connection=queue.connection)
        if existing.get_status(refresh=True) in ACTIVE:
            return existing
    except NoSuchJobError:
        pass
    return queue.enqueue(function, *args, job_id=job_id, job_timeout=timeout,
                         result_ttl=86400, failure_ttl=86400)


def enqueue_refresh(full: bool = False) -> Job:
    """Queue a rollup rebuild (one at a time)."""
    return _enqueue(REFRESH_JOB, refresh_stats, full, timeout=6 * 3600)


def enqueue_hotspots() -> Job:
    """Queue a hotspot analysis (one at a time)."""
    return _enqueue(HOTSPOTS_JOB, analyse_hotspots, timeout=3600)


def refresh_if_stale() -> bool:
    """Queue a rebuild when the rollup stops before yesterday; never raises on Redis errors."""
    if not rollup.needs_refresh():
        return False
    try:
        enqueue_refresh()
    except redis.RedisError as exc:
        log.warning("could not queue the statistics refresh: %s", exc)
        return False
    return True


def job_state(job_id: str) -> dict:
    """Status and progress of one of the oversight jobs, for the page's progress bar."""
    if job_id not in KNOWN_JOBS:
        return {"status": "unknown"}
    try:
        found = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return {"status": "unknown"}
    status = found.get_status(refresh=True)
    out = {"status": str(status.value if hasattr(status, "value") else status),
           "progress": found.meta.get("progress")}
    if out["status"] == "failed":
        info = found.latest_result()
        out["error"] = (info.exc_string or "")[-300:] if info else ""
    return out
