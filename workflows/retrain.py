"""Retraining the routing model from finished cases, as a job with visible progress."""

from __future__ import annotations

from rq import get_current_job

from hotline.models import ClassifierModel, ModelSource
from hotline.services import suggestions
from hotline.unit_of_work import unit_of_work
from workflows import progress
from workflows.context import job


def _report(percent: int, stage: str) -> None:
    progress.report(stage, percent, 100)


@job
def retrain(activate: bool = False) -> str:
    """Train a new version from finished cases; an admin compares and activates it."""
    _report(0, "loading")
    with unit_of_work():
        texts, labels = suggestions.training_data_from_cases()
    current = get_current_job()
    record = train_version(ModelSource.CASES, texts, labels, activate=activate,
                           job_id=current.id if current else None, progress=_report)
    return record.version


def train_version(source: ModelSource, texts: list[str], labels: list[str], *,
                  activate: bool = False, job_id: str | None = None,
                  progress=None) -> ClassifierModel:
    """Train, save as a new version, and record it (ready, or active when asked), in three
    steps: the version is committed as training before the long fit runs outside any
    transaction, and its outcome is committed after. A failure is recorded on the version
    and raised; the active model stays as it was."""
    with unit_of_work():
        record = suggestions.start_training(source, len(texts), job_id=job_id)
        record_id, version = record.id, record.version
    try:
        path, metrics = suggestions.fit_version(version, texts, labels, progress=progress)
    except Exception as exc:
        with unit_of_work():
            suggestions.training_failed(record_id, exc)
        raise
    with unit_of_work(keep_loaded=True):
        record = suggestions.training_succeeded(record_id, path, metrics, activate=activate)
    if progress is not None:
        progress(100, "done")
    return record
