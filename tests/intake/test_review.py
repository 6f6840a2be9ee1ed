"""The review queue: what could not be handled automatically waits visibly for a person,
who makes it a case (the citizen is answered) or discards it with a reason."""

from __future__ import annotations

import re
import threading

import pytest

from hotline.extensions import db
from hotline.models import InboundStatus
from hotline.services.actors import Actor
from hotline.services.intake import process, review, store
from hotline.unit_of_work import unit_of_work
from tests.intake.conftest import (
    all_cases,
    messages,
    outbox_to,
    post_sms,
    post_wechat,
    sample,
    sms_body,
)


def _queued_sms(client) -> int:
    body = b'{"message_id": "bad-1", "from": "13800001111", "text": ""}'
    post_sms(client, body)
    [message] = messages()
    assert message.status == "review"
    return message.id


def test_unparseable_messages_are_on_the_review_page_with_their_reason(client, auth, channels):
    _queued_sms(client)
    post_wechat(client, sample("wechat", "malformed.xml"))
    auth.login("agent")
    html = client.get("/agent/review").get_data(as_text=True)
    assert "malformed XML" in html and "empty" in html
    assert html.count('href="/agent/review/') >= 2
    nav = client.get("/agent").get_data(as_text=True)
    assert re.search(r'id="review-badge"\s*>2<', nav)


def test_review_page_shows_refused_gateway_calls(client, auth, channels):
    post_sms(client, sms_body(), signature="0" * 64)
    post_sms(client, sms_body(), signature="0" * 64)
    auth.login("agent")
    html = client.get("/agent/review").get_data(as_text=True)
    section = html.split('id="gateway-rejections"', 1)[1]
    assert "<td>2</td>" in section


def test_agent_makes_a_case_of_a_queued_sms_and_the_citizen_is_answered(client, auth,
                                                                        channels):
    message_id = _queued_sms(client)
    auth.login("agent")
    page = client.get(f"/agent/review/{message_id}").get_data(as_text=True)
    assert 'value="13800001111"' in page  # the sender, prefilled
    response = client.post(f"/agent/review/{message_id}/case", data={
        "content": "市民短信为空，回电核实：书院街路灯不亮", "phone": "13800001111",
        "type": "help", "department": "URBAN", "dispatch": "1"})
    assert response.status_code == 303
    [case] = all_cases()
    assert case.channel.value == "sms" and case.status.value == "dispatched"
    assert case.created_by.username == "agent"
    [message] = messages()
    assert (message.status, message.case_id, message.handled_by.username) == (
        "case", case.id, "agent")
    [answer] = [m for m in outbox_to("13800001111") if m.template != "notice"]
    assert case.number in answer.body and case.query_code in answer.body


def test_review_form_errors_keep_the_message_queued(client, auth, channels):
    message_id = _queued_sms(client)
    auth.login("agent")
    response = client.post(f"/agent/review/{message_id}/case", data={"content": " "})
    assert response.status_code == 422
    assert messages()[0].status == "review" and all_cases() == []


def test_discard_needs_a_reason_and_keeps_the_message(client, auth, channels):
    message_id = _queued_sms(client)
    auth.login("agent")
    client.post(f"/agent/review/{message_id}/discard", data={"reason": ""})
    assert messages()[0].status == "review"
    client.post(f"/agent/review/{message_id}/discard", data={"reason": "测试短信，无内容"})
    [message] = messages()
    assert message.status == "discarded" and message.handled_note == "测试短信，无内容"
    assert message.payload  # kept, never deleted
    html = client.get("/agent/review").get_data(as_text=True)
    assert "测试短信，无内容" in html


@pytest.mark.committing  # two threads, each with its own session
def test_two_agents_taking_the_same_message_make_one_case(app, channels, client):
    message_id = _queued_sms(client)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(username: str) -> None:
        with app.app_context():
            from hotline.models import User

            user = db.session.query(User).filter_by(username=username).one()
            barrier.wait()
            try:
                with unit_of_work():
                    review.case_from_review(Actor.from_user(user), message_id,
                                            {"content": f"{username} 登记"})
                outcomes.append("case")
            except Exception as exc:  # noqa: BLE001
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(u,)) for u in ("agent", "supervisor")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Conflict", "case"]
    assert len(all_cases()) == 1


def test_retry_after_a_fix_processes_the_message(app, client, auth, channels):
    # a well-formed message that failed for a passing reason (the database was restarting)
    with unit_of_work():
        receipt = store.store("sms", "retry-1", sms_body(message_id="retry-1"),
                              sender="13800001111", status=InboundStatus.REVIEW,
                              reason="处理出错 / processing failed: OperationalError()")
    auth.login("agent")
    response = client.post(f"/agent/review/{receipt.message.id}/retry")
    assert response.status_code == 303
    [message] = messages()
    assert message.status == "case" and message.reason is None
    assert len(all_cases()) == 1


def test_processing_crash_goes_to_review_not_lost(app, client, channels, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(process.repeats, "exact_repeat", crash)
    response = post_sms(client, sms_body(message_id="crash-1"))
    assert response.status_code == 200
    [message] = messages()
    assert message.status == "review" and "disk full" in message.reason
    assert all_cases() == []


def test_stuck_messages_are_listed_and_can_be_processed_now(app, client, auth, channels):
    from datetime import timedelta

    from hotline.models import InboundMessage, utcnow

    with unit_of_work():
        receipt = store.store("sms", "stuck-1", sms_body(message_id="stuck-1"),
                              sender="13800001111")
    db.session.query(InboundMessage).filter_by(id=receipt.message.id).update(
        {"received_at": utcnow() - timedelta(minutes=30)})
    db.session.commit()
    auth.login("agent")
    html = client.get("/agent/review").get_data(as_text=True)
    assert f"/agent/review/{receipt.message.id}/retry" in html
    client.post(f"/agent/review/{receipt.message.id}/retry")
    assert messages()[0].status == "case" and len(all_cases()) == 1


def test_review_pages_are_for_the_call_centre_only(client, auth, channels):
    message_id = _queued_sms(client)
    assert client.get("/agent/review").status_code == 302
    auth.login("urban")
    assert client.get("/agent/review").status_code == 403
    assert client.post(f"/agent/review/{message_id}/discard",
                       data={"reason": "x"}).status_code == 403
    assert client.get(f"/agent/review/{message_id}/raw").status_code == 403


def test_raw_download_is_the_stored_bytes(client, auth, channels):
    post_wechat(client, sample("wechat", "xxe.xml"))
    [message] = messages()
    auth.login("supervisor")
    response = client.get(f"/agent/review/{message.id}/raw")
    assert response.data == sample("wechat", "xxe.xml")
    assert response.mimetype == "application/octet-stream"
