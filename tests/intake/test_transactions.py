"""The transactions of intake: the raw message is committed before processing starts, and a
message's processing (its case, its outcome, the answer in the outbox) is one commit, or
nothing but the message sent to review."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.models import InboundStatus
from hotline.services import registration
from hotline.services.intake import receive, replies, store
from hotline.unit_of_work import after_commit, unit_of_work
from tests.intake.conftest import all_cases, messages, outbox_to, post_sms, sms_body
from workflows import inbound


@pytest.fixture
def commits():
    """Every commit of a transaction from now on, as a list that grows (the release of a
    savepoint also reports ``after_commit``, while its transaction is still active)."""
    seen: list[int] = []

    def count(session) -> None:
        if not session.get_transaction().is_active:
            seen.append(1)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


def stored_sms(message_id: str = "tx-1") -> int:
    """An SMS stored and committed, claimed for processing (as the webhook leaves it)."""
    with unit_of_work():
        receipt = receive.sms(sms_body(message_id=message_id))
    assert receipt.claimed
    return receipt.id


def test_a_processed_sms_writes_case_outcome_and_reply_in_one_commit(channels, commits):
    message_id = stored_sms()
    assert len(commits) == 1  # the store
    inbound.process_claimed(message_id)
    assert len(commits) == 2  # the store, then the whole processing
    [case] = all_cases()
    [message] = messages()
    assert (message.status, message.case_id) == ("case", case.id)
    assert message.reply == replies.ack_text(case, "sms")
    [reply] = outbox_to("13800001111")
    assert reply.case_id == case.id and case.number in reply.body


def test_the_raw_message_is_committed_before_processing_starts(client, channels, commits,
                                                               monkeypatch):
    seen: list[tuple[str, int]] = []

    def watch(message_id: int, *, passive: bool = False) -> None:
        seen.append((messages()[0].status, len(commits)))

    monkeypatch.setattr(inbound, "process_claimed", watch)
    assert post_sms(client, sms_body(message_id="first")).status_code == 200
    assert seen == [("processing", 1)]


def test_a_failure_after_the_case_rolls_it_all_back_and_keeps_the_message(channels,
                                                                          monkeypatch):
    def outbox_down(*args, **kwargs):
        raise OSError("outbox table locked")

    monkeypatch.setattr(replies.outbox, "enqueue", outbox_down)
    body = sms_body(message_id="tx-fail")
    with unit_of_work():
        receipt = receive.sms(body)
    inbound.process_claimed(receipt.id)
    [message] = messages()
    assert message.payload == body  # the raw message is kept as it came
    assert message.status == "review" and "outbox table locked" in message.reason
    assert message.case_id is None and message.reply is None
    assert all_cases() == [] and outbox_to("13800001111") == []


def test_a_failure_before_the_case_sends_the_stored_message_to_review(channels, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(registration, "register_case", crash)
    message_id = stored_sms("tx-crash")
    inbound.process_claimed(message_id)
    [message] = messages()
    assert message.status == "review" and "classifier exploded" in message.reason
    assert message.payload == sms_body(message_id="tx-crash")
    assert all_cases() == [] and outbox_to("13800001111") == []
    # a person's retry after the fix makes the case
    monkeypatch.undo()
    inbound.retry(message_id)
    assert messages()[0].status == "case" and len(all_cases()) == 1


def test_a_store_that_rolls_back_keeps_nothing_and_tells_no_worker(app, channels,
                                                                   monkeypatch):
    app.config.update(SCHEDULING=True, INTAKE_QUEUE=True)
    told: list[int] = []
    monkeypatch.setattr("workflows.mail.queue_drain", lambda: told.append(1))
    with pytest.raises(RuntimeError), unit_of_work():
        receive.sms(sms_body(message_id="tx-rollback"))
        raise RuntimeError("the acknowledgement failed")
    assert messages() == [] and told == []
    with unit_of_work():
        receipt = receive.sms(sms_body(message_id="tx-commit"))
    assert receipt.status == InboundStatus.RECEIVED and told == [1]


def test_a_message_settled_by_someone_else_is_not_sent_to_review(channels):
    message_id = stored_sms("tx-settled")
    with unit_of_work():
        store.settle(message_id, InboundStatus.IGNORED)
    with unit_of_work():
        assert store.to_review(message_id, "late failure") is False
    assert messages()[0].status == "ignored"


def test_an_effect_booked_before_a_savepoint_is_dropped_when_the_transaction_rolls_back(
        channels):
    ran: list[str] = []
    with pytest.raises(RuntimeError), unit_of_work():
        after_commit(ran.append, "rolled back")
        with db.session.begin_nested():  # the outbox and the letter form take savepoints
            pass
        raise RuntimeError("processing failed")
    with unit_of_work():
        after_commit(ran.append, "committed")
    assert ran == ["committed"]
