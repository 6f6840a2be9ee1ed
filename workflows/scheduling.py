"""After a commit, put the next due moments of the changed case on the RQ schedule.

This is an optimisation for punctuality only: the database holds every deadline, and the
sweep finds anything Redis forgot. So a Redis error here is logged, never raised into the
action that a person just took.
"""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from flask import Flask, current_app
from rq import Retry
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.models import Case, utcnow
from hotline.services import escalation, outbox, signals
from workflows import mail, media
from workflows.queues import DEFAULT, HIGH, get_queue

log = logging.getLogger(__name__)
# Jobs are named, not imported: the job module imports this one to book a case's next point.
PROCESS_CASE = "workflows.jobs.process_case"
DELIVER_MESSAGE = "workflows.jobs.deliver_message"


def init_app(app: Flask) -> None:
    """Listen for committed changes (idempotent: receivers are connected once)."""
    signals.case_changed.connect(on_case_changed)
    signals.inbound_stored.connect(mail.on_inbound_stored)
    signals.media_waiting.connect(media.on_media_waiting)
    if not event.contains(Session, "after_commit", _deliver_new_messages):
        event.listen(Session, "after_commit", _deliver_new_messages)


def on_case_changed(case_id: int, action: str | None = None) -> None:
    if not current_app.config.get("SCHEDULING"):
        return
    case = db.session.get(Case, case_id)
    if case is None:
        return
    try:
        schedule_case(case, utcnow())
    except redis.RedisError as exc:
        log.warning("could not schedule case %s (the sweep will catch up): %s", case_id, exc)


def schedule_case(case: Case, now: datetime) -> datetime | None:
    """Put one job at the case's next unfired point, in a single Redis round trip.

    Only the next point is scheduled: the job that fires it schedules the one after, so an
    action costs one pipelined write however many deadlines the case has. The job id is
    derived from the case and the moment, which makes a repeated schedule harmless. The
    case's previous booking, when its next point moved, is taken off the schedule (it would
    only wake up to find nothing due), so the scheduled set holds one job per open case.
    """
    times = escalation.upcoming(case, now)
    if not times:
        _unbook(case.id)
        return None
    at = times[0]
    queue = get_queue(HIGH)
    job_id = f"due-{case.id}-{int(at.timestamp())}"
    with queue.connection.pipeline() as pipe:
        job = queue.create_job(PROCESS_CASE, args=(case.id,), job_id=job_id,
                               result_ttl=0)  # a fired point is in the database; keep no result
        if at <= now:
            queue.enqueue_job(job, pipeline=pipe)
        else:
            queue.schedule_job(job, at, pipeline=pipe)
        # Remembered until a day after the point: a booking key per case, not forever.
        pipe.set(BOOKED.format(case_id=case.id), job_id, get=True,
                 exat=int(max(at, now).timestamp()) + 86400)
        previous = pipe.execute()[-1]
    if previous is not None and previous.decode() != job_id:
        _drop_scheduled(queue, previous.decode())
    return at


BOOKED = "hotline:booked:{case_id}"


def _unbook(case_id: int) -> None:
    """A case with no point left (closed): its booked job, if still waiting, goes."""
    queue = get_queue(HIGH)
    previous = queue.connection.getdel(BOOKED.format(case_id=case_id))
    if previous is not None:
        _drop_scheduled(queue, previous.decode())


def _drop_scheduled(queue, job_id: str) -> None:
    """Remove a job from the schedule if it is still only scheduled (never one running)."""
    registry = ScheduledJobRegistry(queue=queue)
    with queue.connection.pipeline() as pipe:
        pipe.zrem(registry.key, job_id)
        removed = pipe.execute()[0]
    if removed:
        queue.connection.delete(Job.key_for(job_id))


def _deliver_new_messages(session: Session) -> None:
    """After the transaction that stored outbox messages commits, enqueue their delivery."""
    new = session.info.pop(outbox.NEW_MESSAGES, None)
    if not new or not current_app or not current_app.config.get("SCHEDULING"):
        return
    message_ids = outbox.committed_ids(new)
    if not message_ids:
        return
    try:
        queue = get_queue(DEFAULT)
        timeout = outbox.delivery_job_timeout()
        # one round trip for all of them (RQ's own enqueue makes two for each)
        with queue.connection.pipeline() as pipe:
            for message_id in message_ids:
                job = queue.create_job(DELIVER_MESSAGE, args=(message_id,),
                                       job_id=f"outbox-{message_id}", timeout=timeout,
                                       retry=Retry(max=3, interval=[10, 60, 300]))
                queue.enqueue_job(job, pipeline=pipe)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not enqueue messages %s (the sweep will send them): %s",
                    message_ids, exc)
