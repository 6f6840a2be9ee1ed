"""After a commit the case's next point is on the RQ schedule; Redis trouble never hurts."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import User, utcnow
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work
from workflows import scheduling


def agent() -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username="agent").one())


def test_dispatch_schedules_the_next_point_once(app, world):
    app.config["SCHEDULING"] = True
    with unit_of_work(keep_loaded=True):
        case = register_case(agent(), NewCase(content="x", department="URBAN"))
    registry = ScheduledJobRegistry(queue=Queue("hotline-high", connection=get_redis()))
    job_ids = registry.get_job_ids()
    assert job_ids == [f"due-{case.id}-{int(case.sign_warn_at.timestamp())}"]
    scheduling.schedule_case(case, utcnow())  # again: same id, still one job
    assert registry.get_job_ids() == job_ids


def test_a_passed_point_is_queued_at_once(app, world):
    case = register_case(agent(), NewCase(content="x", department="URBAN"),
                               now=utcnow() - timedelta(days=3))
    at = scheduling.schedule_case(case, utcnow())
    assert at is not None
    assert Queue("hotline-high", connection=get_redis()).count == 1


def test_redis_down_does_not_fail_the_action(app, world, monkeypatch):
    app.config["SCHEDULING"] = True

    def refuse(*args, **kwargs):
        raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(scheduling, "schedule_case", refuse)
    case = register_case(agent(), NewCase(content="x", department="URBAN"))
    assert case.status.value == "dispatched"
    assert case.sign_deadline is not None  # the database keeps the deadline for the sweep


def test_a_moved_point_leaves_one_booking_and_a_closed_case_none(app, world, monkeypatch):
    """The scheduled set does not pile up: a case's superseded booking is taken off."""
    case = register_case(agent(), NewCase(content="x", department="URBAN"))
    registry = ScheduledJobRegistry(queue=Queue("hotline-high", connection=get_redis()))
    first = scheduling.schedule_case(case, utcnow())
    case.sign_warn_at = first + timedelta(hours=1)  # as an extension moves the point
    second = scheduling.schedule_case(case, utcnow())
    assert second != first
    assert registry.get_job_ids() == [f"due-{case.id}-{int(second.timestamp())}"]
    assert not get_redis().exists(f"rq:job:due-{case.id}-{int(first.timestamp())}")

    monkeypatch.setattr(scheduling.escalation, "upcoming", lambda *_args: [])  # closed
    assert scheduling.schedule_case(case, utcnow()) is None
    assert registry.get_job_ids() == []
