"""A WeChat image or voice whose fetch job Redis never got (down at the commit) or lost
(flushed) is found by the sweep from the database and queued again, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job, JobStatus

from hotline.extensions import db
from hotline.models import InboundMessage, utcnow
from hotline.services import storage
from hotline.services.intake import media
from tests.gateways.test_gateway_http import Reply, provider  # noqa: F401
from tests.intake.conftest import all_cases, messages, post_wechat, sample, wechat_text
from tests.intake.test_wechat_safe_mode import JPEG, wechat_api  # noqa: F401
from workflows import media as media_jobs
from workflows import sweep
from workflows.queues import DEFAULT, get_queue

LATER = timedelta(minutes=5)  # past the grace the commit's own job is given


def due(message_id: int):
    db.session.expire_all()
    return db.session.get(InboundMessage, message_id).media_due_at


def job_of(message_id: int) -> Job:
    return Job.fetch(f"media-{message_id}", connection=get_queue(DEFAULT).connection)


def test_a_medium_never_queued_is_queued_by_the_sweep_and_kept_once(client, channels,
                                                                   wechat_api):  # noqa: F811 - the fixture
    post_wechat(client, sample("wechat", "image.xml"))  # scheduling off: no job, as if
    [case], [message] = all_cases(), messages()         # Redis was down at the commit
    assert due(message.id) is not None
    assert media_jobs.requeue_due(utcnow()) == 0  # the commit's own job gets its grace
    assert media_jobs.requeue_due(utcnow() + LATER) == 1
    job = job_of(message.id)
    assert job.func_name == media_jobs.FETCH_JOB and job.args == (message.id,)
    assert media_jobs.requeue_due(utcnow() + LATER) == 0  # queued already: not twice
    wechat_api.script("/cgi-bin/media/get", Reply(body=JPEG, headers={
        "Content-Type": "image/jpeg"}))
    assert media_jobs.fetch_media(message.id) == "kept"
    assert due(message.id) is None and len(storage.of_case(case.id)) == 1
    job.delete()
    assert media_jobs.requeue_due(utcnow() + LATER) == 0  # nothing left to fetch


def test_a_failed_job_is_queued_again_and_a_gone_medium_settles(client, channels,
                                                               wechat_api):  # noqa: F811 - the fixture
    post_wechat(client, sample("wechat", "image.xml"))
    [message] = messages()
    assert media_jobs.requeue_due(utcnow() + LATER) == 1
    job_of(message.id).set_status(JobStatus.FAILED)  # RQ gave up its retries
    assert media_jobs.requeue_due(utcnow() + LATER) == 1
    assert job_of(message.id).get_status() == JobStatus.QUEUED
    wechat_api.script("/cgi-bin/media/get", Reply(body={"errcode": 40007,
                                                        "errmsg": "invalid media_id"}))
    assert media_jobs.fetch_media(message.id) == "gone" and due(message.id) is None


def test_media_the_platform_no_longer_keeps_are_given_up(client, channels, wechat_api):  # noqa: F811 - the fixture
    post_wechat(client, sample("wechat", "voice.xml"))
    [message] = messages()
    assert media_jobs.requeue_due(utcnow() + timedelta(days=4)) == 0
    assert due(message.id) is None


def test_text_has_no_medium_and_no_gateway_queues_nothing(client, channels, app):
    post_wechat(client, wechat_text("路灯坏了"))
    assert due(messages()[0].id) is None
    post_wechat(client, sample("wechat", "image.xml"))
    assert media_jobs.requeue_due(utcnow() + LATER) == 0  # no WeChat API configured


def test_the_sweep_queues_them_and_says_so(client, channels, wechat_api, monkeypatch):  # noqa: F811 - the fixture
    post_wechat(client, sample("wechat", "image.xml"))
    monkeypatch.setattr(media, "GRACE", timedelta(0))
    assert sweep.run()["media_queued"] == 1


@pytest.fixture(autouse=True)
def _clean_jobs(app):
    yield
    queue = get_queue(DEFAULT)
    for job_id in queue.get_job_ids():
        Job.fetch(job_id, connection=queue.connection).delete()
