"""One progress format for long jobs: ``job.meta["progress"] = {"stage", "done", "total"}``.

Retraining and the statistics rebuild report through :func:`report`; the oversight pages,
the model page and the queues page read it back with :func:`of_job`.
"""

from __future__ import annotations

from rq import get_current_job
from rq.job import Job


def report(stage: str, done: int, total: int) -> None:
    """Record how far the running job is (a no-op outside a job, e.g. a CLI run)."""
    current = get_current_job()
    if current is not None:
        current.meta["progress"] = {"stage": stage, "done": done, "total": total}
        current.save_meta()


def of_job(job: Job) -> dict | None:
    """The progress a job reported, with its percentage, or None when it reported none."""
    progress = job.meta.get("progress")
    if not isinstance(progress, dict):
        return None
    total = progress.get("total") or 0
    percent = round(100 * progress.get("done", 0) / total) if total else 0
    return {**progress, "percent": percent}
