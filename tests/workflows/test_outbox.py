"""The outbox: stored with the decision, delivered once, retried with back-off, never lost."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.gateways import GatewayError, PermanentGatewayError
from hotline.models import OutboxMessage, utcnow
from hotline.services import outbox
from workflows import delivery, sweep


def stored(key: str = "k1", channel: str = "sms") -> OutboxMessage:
    message = outbox.enqueue(channel, "13800001111", "您的工单已受理", idempotency_key=key)
    db.session.commit()
    return message


def sent_lines(app) -> list[dict]:
    folder = Path(app.config["INSTANCE_PATH"]) / "outbox"
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]


def test_same_key_is_stored_once(app):
    first = stored("same")
    second = stored("same")
    assert first.id == second.id
    assert db.session.query(OutboxMessage).count() == 1


def test_delivered_once_even_when_the_job_runs_twice(app):
    message = stored()
    assert delivery.deliver(message.id).outcome == "sent"
    assert delivery.deliver(message.id).outcome == "skipped"
    lines = sent_lines(app)
    assert len(lines) == 1
    assert lines[0]["idempotency_key"] == "k1"
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 1


class Flaky:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, message) -> str:
        self.calls += 1
        raise self.error


@pytest.fixture
def gateway(monkeypatch):
    def install(fake):
        monkeypatch.setattr(outbox, "gateways", lambda: {"sms": fake, "console": fake})
        return fake
    return install


def test_a_failed_send_is_retried_later_with_backoff(app, gateway):
    fake = gateway(Flaky(GatewayError("gateway timeout")))
    message = stored()
    now = utcnow()
    assert delivery.deliver(message.id, now=now).outcome == "retry"
    db.session.refresh(message)
    assert message.status == "pending"
    assert message.last_error == "gateway timeout"
    assert message.next_attempt_at >= now + timedelta(seconds=30)
    # not due yet: a second job does nothing
    assert delivery.deliver(message.id, now=now + timedelta(seconds=5)).outcome == "skipped"
    assert outbox.due_ids(now + timedelta(seconds=5)) == []
    assert outbox.due_ids(now + timedelta(seconds=31)) == [message.id]
    assert fake.calls == 1


def test_a_permanent_refusal_is_not_retried(app, gateway):
    gateway(Flaky(PermanentGatewayError("invalid number")))
    message = stored()
    assert delivery.deliver(message.id).outcome == "dead"
    assert outbox.due_ids(utcnow() + timedelta(days=1)) == []


def test_a_send_stuck_in_progress_is_taken_up_again(app):
    message = stored()
    message.status, message.claimed_at = "sending", utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert outbox.due_ids(utcnow()) == [message.id]
    assert delivery.deliver(message.id).outcome == "sent"


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


@pytest.mark.committing
def test_the_claim_is_committed_before_the_send(app, gateway):
    """While one job is sending, the message is taken: a second job skips it, and the
    claim is visible to another connection (it was committed, not held in a transaction)."""
    message = stored()
    seen: list[tuple[str, str]] = []

    class Watching:
        def send(self, outbound) -> str:
            with db.engine.connect() as elsewhere:
                status = elsewhere.execute(select(OutboxMessage.status).where(
                    OutboxMessage.id == outbound.id)).scalar_one()
            seen.append((status, delivery.deliver(outbound.id).outcome))
            return "provider-1"

    gateway(Watching())
    assert delivery.deliver(message.id).outcome == "sent"
    assert seen == [("sending", "skipped")]
    db.session.refresh(message)
    assert (message.status, message.provider_id, message.attempts) == ("sent", "provider-1", 1)


def _claimed_seconds_ago(message: OutboxMessage, seconds: float) -> None:
    message.status, message.claimed_at = "sending", utcnow() - timedelta(seconds=seconds)
    db.session.commit()


def test_a_claim_is_not_taken_over_while_the_send_may_still_be_in_flight(app):
    # Default gateways: the webhook posts with the 10 s timeout, four network steps.
    assert outbox.longest_send() == timedelta(seconds=40)
    assert outbox.reclaim_after() == timedelta(seconds=100)
    message = stored()
    _claimed_seconds_ago(message, 90)
    assert outbox.due_ids(utcnow()) == []
    assert delivery.deliver(message.id).outcome == "skipped"
    _claimed_seconds_ago(message, 110)
    assert delivery.deliver(message.id).outcome == "sent"


def test_reclaim_timing_follows_the_slowest_gateways_timeout(app):
    app.config.update(SMTP_HOST="smtp.example.org", SMTP_SENDER="hotline@example.org",
                      SMTP_TIMEOUT=30)
    app.extensions.pop("hotline.gateways", None)  # built again from the new settings
    assert outbox.longest_send() == timedelta(seconds=8 * 30)  # SMTP's dialogue
    message = stored(channel="email")
    _claimed_seconds_ago(message, 200)
    assert outbox.due_ids(utcnow()) == []


def test_the_delivery_job_is_stopped_before_its_claim_may_be_taken_over(app):
    assert outbox.delivery_job_timeout() < outbox.reclaim_after().total_seconds()


class Slow:
    """A gateway that trickles its answer far past its own timeout; each send it starts and
    finishes is written to a file (the send runs in a child process)."""

    timeout = 0.2
    send_steps = 1

    def __init__(self, log: Path, seconds: float) -> None:
        self.log, self.seconds = log, seconds

    def send(self, message) -> str:
        with self.log.open("a") as out:
            out.write(f"start {message.idempotency_key}\n")
        self.log.with_suffix(".pid").write_text(str(os.getpid()))
        time.sleep(self.seconds)
        with self.log.open("a") as out:
            out.write(f"end {message.idempotency_key}\n")
        return "provider-1"


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setattr(outbox, "LOCAL_SEND", timedelta(seconds=0.5))
    monkeypatch.setattr(outbox, "JOB_MARGIN", timedelta(seconds=0.5))


def test_a_sweep_send_to_a_slow_gateway_is_stopped_at_its_limit(app, gateway, short_limits,
                                                                 tmp_path):
    slow = gateway(Slow(tmp_path / "sends.log", seconds=30))
    message = stored()
    limit = outbox.send_limit("sms")
    assert limit == timedelta(seconds=1)  # the gateway's one step of 0.2 s, at least 0.5 s
    assert limit < outbox.reclaim_after()
    started = time.monotonic()
    summary = sweep.run()
    took = time.monotonic() - started
    assert summary["messages"] == 1 and summary["sent"] == 0
    assert took < 5, took  # stopped at ~1 s, not 30
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 1
    assert "stopped" in message.last_error
    with pytest.raises(ProcessLookupError):  # the sending process is gone, not left running
        os.kill(int((tmp_path / "sends.pid").read_text()), 0)
    assert (tmp_path / "sends.log").read_text().splitlines() == ["start k1"]
    assert sweep.run()["messages"] == 0  # retried after its back-off, not at once

    # Its turn comes: the gateway answers now, and the message goes out once more, once.
    slow.seconds = 0
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sweep.run()["sent"] == 1
    assert (tmp_path / "sends.log").read_text().splitlines() == ["start k1", "start k1",
                                                                 "end k1"]
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_id == "provider-1"


def test_a_stopped_send_is_over_before_anyone_may_take_the_message_over(app):
    """Every channel's send limit ends before the delivery job's, which ends before the
    takeover: no second sender while a first may still be talking to the gateway."""
    app.config.update(SMTP_HOST="smtp.example.org", SMTP_SENDER="hotline@example.org",
                      SMTP_TIMEOUT=30)
    app.extensions.pop("hotline.gateways", None)
    for channel in ("sms", "email", "wechat", "webhook", "console"):
        limit = outbox.send_limit(channel).total_seconds()
        assert limit <= outbox.delivery_job_timeout() < outbox.reclaim_after().total_seconds()
    assert outbox.send_limit("email") == timedelta(seconds=8 * 30 + 10)


def test_a_bounded_send_that_crashes_is_raised_not_hidden(app, gateway):
    gateway(Flaky(ZeroDivisionError("bug")))
    message = stored()
    with delivery.BoundedSender() as sender, pytest.raises(delivery.SendCrashed,
                                                           match="ZeroDivisionError"):
        delivery.deliver(message.id, sender=sender)


def test_one_sending_process_serves_a_whole_sweep_until_a_send_is_stopped(
        app, gateway, short_limits, tmp_path):
    slow = gateway(Slow(tmp_path / "sends.log", seconds=0))
    messages = [stored(f"m{i}") for i in range(3)]
    with delivery.BoundedSender() as sender:
        assert [delivery.deliver(m.id, sender=sender).outcome for m in messages] == ["sent"] * 3
        assert sender.forks == 1  # one fork for the lot, not one per message
        slow.seconds = 30  # the parent's copy: the next child forked sees it
        sender.close()
        late = stored("late")
        assert delivery.deliver(late.id, sender=sender).outcome == "retry"
        slow.seconds = 0
        again = stored("again")
        assert delivery.deliver(again.id, sender=sender).outcome == "sent"
        assert sender.forks == 3  # the stopped child was replaced
