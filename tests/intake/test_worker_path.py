"""With workers (INTAKE_QUEUE and SCHEDULING on), SMS are acknowledged once stored and become
cases in a worker job; nothing is processed twice and nothing stays behind."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from rq import Queue

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import InboundMessage, utcnow
from hotline.services.intake import process, review, store
from tests.intake.conftest import all_cases, messages, post_sms, sample, sms_body
from workflows import context, inbound
from workflows import mail as mail_jobs
from workflows.queues import HIGH


@pytest.fixture
def queued(app, channels):
    app.config.update(SCHEDULING=True, INTAKE_QUEUE=True)
    context.use_app(app)
    yield app
    context.use_app(None)


def drain_jobs() -> list:
    return [job for job in Queue(HIGH, connection=get_redis()).jobs
            if job.func_name == "workflows.mail.drain_inbound"]


def test_sms_is_acknowledged_stored_and_left_to_one_worker_job(client, queued):
    for i in range(5):
        body = sms_body(message_id=f"q-{i}", sender=f"1390000{i:04d}", text=f"第{i}条：路灯不亮")
        response = post_sms(client, body)
        assert response.status_code == 200 and response.get_json()["status"] == "received"
    assert all_cases() == []
    assert len(drain_jobs()) == 1  # one queued drain covers every waiting message
    assert mail_jobs.drain_inbound() == 5
    assert [m.status for m in messages()] == ["case"] * 5
    assert len(all_cases()) == 5


def test_mail_is_made_a_case_at_once_even_with_workers(queued):
    receipt = mail_jobs.import_mail(sample("email", "utf8_plain.eml"))
    assert receipt.message.status == "case" and drain_jobs() == []


def test_message_stuck_in_a_dead_worker_is_taken_again(client, queued):
    post_sms(client, sms_body(message_id="stuck"))
    db.session.query(InboundMessage).update({"status": "processing",
                                             "claimed_at": utcnow() - timedelta(hours=1)})
    db.session.commit()
    assert inbound.drain() == 1
    assert messages()[0].status == "case" and len(all_cases()) == 1


def test_message_being_processed_now_is_left_alone(client, queued):
    post_sms(client, sms_body(message_id="busy"))
    db.session.query(InboundMessage).update({"status": "processing", "claimed_at": utcnow()})
    db.session.commit()
    assert inbound.drain() == 0 and all_cases() == []


@pytest.mark.committing  # two threads, each with its own session
def test_two_workers_draining_at_once_make_each_case_once(app, client, queued):
    for i in range(30):
        post_sms(client, sms_body(message_id=f"w-{i}", sender=f"1380000{i:04d}",
                                  text=f"第{i}号楼下水道堵了"))
    barrier = threading.Barrier(2)
    done: list[int] = []

    def work() -> None:
        with app.app_context():
            barrier.wait()
            done.append(inbound.drain())
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(done) == 30
    cases = all_cases()
    assert len(cases) == 30
    assert len({c.external_ref for c in cases}) == 30
    assert {m.status for m in messages()} == {"case"}


def test_redis_down_keeps_the_message_waiting_visibly(app, client, queued, monkeypatch):
    import redis

    def down(*args, **kwargs):
        raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(mail_jobs, "get_redis", down)
    response = post_sms(client, sms_body(message_id="no-redis"))
    assert response.status_code == 200
    [message] = messages()
    assert message.status == "received"
    db.session.query(InboundMessage).update({"received_at": utcnow() - timedelta(minutes=5)})
    db.session.commit()
    assert [m.id for m in review.waiting()] == [message.id]


def test_a_drain_job_that_runs_out_of_time_queues_the_rest(client, queued, monkeypatch):
    for i in range(3):
        post_sms(client, sms_body(message_id=f"t-{i}", sender=f"1370000{i:04d}"))
    get_redis().delete(mail_jobs.DRAIN_FLAG)
    Queue(HIGH, connection=get_redis()).empty()
    monkeypatch.setattr(mail_jobs, "DRAIN_SECONDS", 0)
    assert mail_jobs.drain_inbound() == 0
    assert len(drain_jobs()) == 1  # the next job takes over
    monkeypatch.setattr(mail_jobs, "DRAIN_SECONDS", 120)
    assert mail_jobs.drain_inbound() == 3
    assert len(all_cases()) == 3


def test_job_timeout_while_processing_is_not_the_messages_fault(client, queued, monkeypatch):
    from rq.timeouts import JobTimeoutException

    def timeout(*args, **kwargs):
        raise JobTimeoutException("Task exceeded maximum timeout value (180 seconds)")

    post_sms(client, sms_body(message_id="slow"))
    monkeypatch.setattr(process.repeats, "open_cases_of", timeout)
    with pytest.raises(JobTimeoutException):
        inbound.drain()
    [message] = messages()
    assert message.status == "processing"  # taken again once stale, never sent to review


def test_a_message_that_keeps_killing_its_worker_goes_to_review(client, queued):
    post_sms(client, sms_body(message_id="poison"))
    db.session.query(InboundMessage).update({
        "status": "processing", "attempts": store.MAX_ATTEMPTS,
        "claimed_at": utcnow() - timedelta(hours=1)})
    db.session.commit()
    inbound.drain()
    [message] = messages()
    assert message.status == "review" and "attempts" in message.reason
    assert all_cases() == []
