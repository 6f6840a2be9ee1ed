"""The job that fetches a WeChat image or voice by its MediaId into the case's attachments.

Three steps, each on its own (as the outbox delivers): read what to fetch, download it
outside any transaction through the WeChat gateway, keep it. A network failure raises, so
RQ retries it; an answer that the medium is gone is final and logged.
"""

from __future__ import annotations

import logging

import redis
from flask import current_app
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from hotline.gateways import PermanentGatewayError
from hotline.services import outbox
from hotline.services.intake import media
from hotline.unit_of_work import unit_of_work
from workflows.context import job
from workflows.queues import DEFAULT, get_queue

log = logging.getLogger(__name__)
FETCH_JOB = "workflows.media.fetch_media_job"


def fetch_media(message_id: int) -> str:
    """Fetch and keep the medium of one message; returns what happened (kept, refused,
    gone, unconfigured, nothing)."""
    with unit_of_work():
        target = media.pending(message_id)
        if target is None:
            media.settle(message_id)
    if target is None:
        return "nothing"
    gateway = outbox.gateways().get("wechat")
    if not hasattr(gateway, "fetch_media"):
        log.warning("WeChat medium of message %s not fetched: set HOTLINE_WECHAT_APP_ID and "
                    "HOTLINE_WECHAT_APP_SECRET", message_id)
        return "unconfigured"
    try:
        _content_type, data = gateway.fetch_media(target.media.media_id)
    except PermanentGatewayError as exc:
        log.warning("WeChat medium of message %s is gone: %s", message_id, exc)
        with unit_of_work():
            media.settle(message_id)
        return "gone"
    with unit_of_work():
        kept = media.keep(target, data)
        media.settle(message_id)
    return "kept" if kept is not None else "refused"


@job
def fetch_media_job(message_id: int) -> str:
    """The RQ job around :func:`fetch_media`."""
    return fetch_media(message_id)


def on_media_waiting(message_id: int, **_: object) -> None:
    """The receiver of ``signals.media_waiting``: queue the fetch, retried over the hours
    the platform still keeps the medium."""
    if not current_app.config.get("SCHEDULING"):
        return
    try:
        _enqueue(message_id)
    except redis.RedisError as exc:  # the sweep queues it once Redis answers again
        log.warning("could not queue the fetch of WeChat medium %s: %s", message_id, exc)


def _enqueue(message_id: int) -> None:
    get_queue(DEFAULT).enqueue(FETCH_JOB, message_id, job_id=f"media-{message_id}",
                               retry=Retry(max=6, interval=[30, 120, 600, 1800, 3600,
                                                             4 * 3600]))


def requeue_due(now=None) -> int:
    """The sweep's part: queue the fetch of every medium the database says is still due
    and Redis holds no live job for (the database is the source of truth); returns how
    many were queued. Nothing when no WeChat gateway can fetch media."""
    if not hasattr(outbox.gateways().get("wechat"), "fetch_media"):
        return 0
    with unit_of_work():
        due = media.due_ids(now)
    queued = 0
    for message_id in due:
        if _job_alive(f"media-{message_id}"):
            continue
        _enqueue(message_id)
        queued += 1
    return queued


def _job_alive(job_id: str) -> bool:
    """Whether Redis holds a fetch job that will still run (queued, running, waiting to
    retry); a failed or finished one is deleted so the id can be queued again."""
    queue = get_queue(DEFAULT)
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return False
    if job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.STARTED,
                                         JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return True
    job.delete()
    return False
