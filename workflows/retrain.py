"""Retraining the routing model from finished cases, as a job with visible progress."""

from __future__ import annotations

from rq import get_current_job

from hotline.services import suggestions
from workflows import progress
from workflows.context import job


def _report(percent: int, stage: str) -> None:
    progress.report(stage, percent, 100)


@job
def retrain(activate: bool = False) -> str:
    """Train a new version from finished cases; an admin compares and activates it."""
    texts, labels = suggestions.training_data_from_cases()
    current = get_current_job()
    record = suggestions.train("cases", texts, labels, activate=activate,
                               job_id=current.id if current else None, progress=_report)
    return record.version
