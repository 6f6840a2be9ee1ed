"""The scheduler role fails over within a minute (issue 17): kill -9 the worker holding the
scheduler lock and a deadline point booked five seconds ahead still fires on time, moved to
its queue by the other worker. Fired points leave nothing behind in RQ's scheduled set.

Real worker processes, the test's real Redis and database.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import CaseEvent, User, utcnow
from hotline.services import sla
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work
from tests.workflows.test_fault_tolerance import start_worker, stop
from workflows import scheduler
from workflows.queues import HIGH, QUEUE_NAMES, get_queue
from workflows.scheduling import BOOKED

LOCK = "rq:scheduler-lock:" + HIGH


def test_one_scheduler_holds_the_lock_and_another_takes_it_once_it_lapses(app):
    connection = get_redis()
    connection.delete(*("rq:scheduler-lock:" + name for name in QUEUE_NAMES))
    first = scheduler.FailoverScheduler(QUEUE_NAMES, connection, name="first")
    second = scheduler.FailoverScheduler(QUEUE_NAMES, connection, name="second")
    first.lock_seconds = second.lock_seconds = 1
    try:
        assert first.pass_once() == set(QUEUE_NAMES)
        assert second.pass_once() == set()  # held: the second only waits
        assert first.pass_once() == set(QUEUE_NAMES)  # renewed by its holder
        queue = get_queue(HIGH)
        job = queue.create_job("workflows.jobs.sweep", job_id="failover-probe", result_ttl=0)
        queue.schedule_job(job, utcnow() - timedelta(seconds=1))
        time.sleep(1.2)  # the first stopped renewing (it died): its lock lapses
        assert second.pass_once() == set(QUEUE_NAMES)
        assert "failover-probe" in queue.get_job_ids()  # the second moved the due job
        assert not ScheduledJobRegistry(queue=queue).count
        assert first.pass_once() == set()
    finally:
        get_queue(HIGH).remove("failover-probe")
        Job.fetch("failover-probe", connection=connection).delete()
        for role in (first, second):
            role.close()
    assert not connection.exists(LOCK)  # handed on at stop, not left to expire


def test_the_lock_lapses_well_within_a_minute():
    assert scheduler.LOCK_SECONDS + scheduler.INTERVAL <= 20


@pytest.mark.slow
@pytest.mark.committing
def test_a_killed_lock_holders_timed_point_fires_within_a_minute(app, world, tmp_path):
    connection = get_redis()
    connection.delete(LOCK)
    with unit_of_work():
        sla.set_policy("紧急", urgency="urgent", request_type=None, accept="1m", handle="2m",
                       calendar="natural")
    # No periodic sweep during the test (only the one at each worker's start): the point
    # can only fire through the scheduled set.
    workers = {p.pid: p for p in (start_worker(app, tmp_path, f"w{i}", sweep_every=3600)
                                  for i in (1, 2))}
    try:
        holder = _wait_for_lock_holder(connection, workers, tmp_path)
        stop(workers.pop(holder), signal.SIGKILL)
        killed_at = time.monotonic()

        agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
        app.config["SCHEDULING"] = True
        with unit_of_work():  # sign-for due in 5 s: its warning (45 s) fires at once
            case = register_case(agent, NewCase(content="调度切换", urgency="urgent",
                                                department="URBAN"),
                                 now=utcnow() - timedelta(seconds=55))
        app.config["SCHEDULING"] = False
        overdue = _wait_for_event(case.id, "deadline_overdue", 60, tmp_path)
        took = time.monotonic() - killed_at
        assert took < 60, took
        new_holder = connection.get(LOCK).decode()
        assert int(new_holder.split("-")[1]) in workers, new_holder
        assert overdue.data.get("stage") == "sign"

        # Nothing piles up: the fired point's job is gone, one booking per open case.
        registry = ScheduledJobRegistry(queue=get_queue(HIGH))
        booked = connection.get(BOOKED.format(case_id=case.id)).decode()
        assert registry.get_job_ids() == [booked]
        fired_job = f"due-{case.id}-{int(case.sign_deadline.timestamp())}"
        # the job's own key goes when RQ finishes it, just after the job's commit that the
        # wait above saw: give the worker those moments on a loaded machine
        deadline = time.monotonic() + 10
        while connection.exists(Job.key_for(fired_job)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not connection.exists(Job.key_for(fired_job))
    finally:
        for process in workers.values():
            stop(process)


def _wait_for_lock_holder(connection, workers: dict, tmp_path) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        value = connection.get(LOCK)
        if value is not None:
            pid = int(value.decode().split("-")[1])
            if pid in workers and connection.scard("rq:workers") >= 2:
                return pid
        time.sleep(0.5)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
    raise AssertionError(f"no worker took the scheduler lock\n{logs[-3000:]}")


def _wait_for_event(case_id: int, action: str, seconds: float, tmp_path) -> CaseEvent:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        event = db.session.query(CaseEvent).filter_by(case_id=case_id, action=action).first()
        if event is not None:
            return event
        time.sleep(0.5)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
    raise AssertionError(f"{action} did not fire within {seconds} s\n{logs[-3000:]}")
