"""SMS gateway webhook: signed JSON in, a case (or a review item) and an SMS answer out."""

from __future__ import annotations

import threading

import pytest

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import Case, CaseEvent, CaseStatus, InboundMessage, Satisfaction
from hotline.services import gate
from tests.intake.conftest import (
    all_cases,
    messages,
    outbox_to,
    post_sms,
    sample,
    sms_body,
    sms_signature,
)


def test_valid_sms_becomes_a_case_and_the_citizen_gets_number_and_code(client, channels):
    response = post_sms(client, sms_body())
    assert response.status_code == 200
    assert response.get_json()["accepted"] is True
    [case] = all_cases()
    assert case.channel.value == "sms"
    assert case.citizen.phone == "13800001111"
    assert case.content == "书院街路口的路灯坏了三天了，晚上很黑"
    assert case.status == CaseStatus.REGISTERED
    [message] = messages()
    assert (message.status, message.case_id, message.external_id) == ("case", case.id, "SM-1")
    assert message.payload == sms_body()
    [answer] = outbox_to("13800001111")
    assert answer.channel == "sms"
    assert case.number in answer.body and case.query_code in answer.body
    assert answer.case_id == case.id


def test_real_gateway_sample_with_plus86_and_local_time(client, channels):
    assert post_sms(client, sample("sms", "complaint.json")).status_code == 200
    [case] = all_cases()
    assert case.citizen.phone == "13800138000"  # +86 138-0013-8000 normalised
    assert "长安路15号" in case.content


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "JSON"),
    (b'{"message_id": "x1", "from": "13800001111"}', "text"),
    (b'{"message_id": "x2", "from": "not-a-phone", "text": "hello"}', "from"),
    (b'[1, 2, 3]', "object"),
])
def test_malformed_sms_is_acknowledged_and_kept_for_review(client, channels, body, reason):
    response = post_sms(client, body)
    assert response.status_code == 200  # stored: the gateway must not retry forever
    [message] = messages()
    assert message.status == "review"
    assert reason in message.reason
    assert message.payload == body
    assert all_cases() == []


def test_wrong_field_type_sample_goes_to_review(client, channels):
    post_sms(client, sample("sms", "wrong_types.json"))
    [message] = messages()
    assert message.status == "review" and "message_id" in message.reason


def test_oversized_sms_is_refused_before_storing(client, channels):
    body = sms_body(text="长" * 30000)
    response = post_sms(client, body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert messages() == []


@pytest.mark.parametrize("signature", ["", "0" * 64, "sha256=" + "f" * 64, "not-hex"])
def test_wrong_signature_is_403_counted_and_nothing_stored(client, channels, signature):
    response = post_sms(client, sms_body(), signature=signature)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert messages() == []
    assert gate.rejection_counts()["today"]["sms"] == 1


def test_signature_with_another_secret_is_refused(client, channels):
    body = sms_body()
    assert post_sms(client, body, signature=sms_signature(body, "other")).status_code == 403


def test_sha256_prefixed_signature_is_accepted(client, channels):
    body = sms_body()
    assert post_sms(client, body, signature="sha256=" + sms_signature(body)).status_code == 200


def test_disabled_channel_is_404_with_a_clear_message(client, world):
    response = post_sms(client, sms_body())
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "channel_disabled" and "HOTLINE_SMS_SECRET" in error["message"]


def test_duplicate_delivery_makes_one_case(client, channels):
    first = post_sms(client, sms_body()).get_json()
    second = post_sms(client, sms_body()).get_json()
    assert second["duplicate"] is True and second["id"] == first["id"]
    assert len(all_cases()) == 1 and len(messages()) == 1
    assert len(outbox_to("13800001111")) == 1


@pytest.mark.committing
@pytest.mark.parametrize("round_no", range(3))
def test_two_concurrent_deliveries_make_one_case(app, channels, round_no):
    body = sms_body(message_id=f"race-{round_no}")
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        response = post_sms(client, body)
        results.append({**(response.get_json() or {}), "http": response.status_code})

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r["http"] for r in results) == [200, 200]
    assert sorted(r["duplicate"] for r in results) == [False, True]
    assert len(all_cases()) == 1
    assert len(messages()) == 1


def test_query_answers_the_status_to_the_same_phone(client, channels, api):
    number = api.create_case(department="URBAN")["number"]  # citizen 13800001111
    post_sms(client, sms_body(message_id="q1", text=f"查询 {number}"))
    [answer] = [m for m in outbox_to("13800001111") if m.template != "notice"]
    assert number in answer.body and "待签收" in answer.body and "市城市管理委员会" in answer.body
    assert messages()[0].status == "answered"
    assert len(all_cases()) == 1


def test_query_from_another_phone_reveals_nothing(client, channels, api):
    number = api.create_case()["number"]
    post_sms(client, sms_body(message_id="q2", sender="13900002222", text=f"查询 {number}"))
    [answer] = outbox_to("13900002222")
    assert "未找到" in answer.body and "已登记" not in answer.body


def _replied_case(api) -> str:
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    api("urban").act(number, "reply", content="已修复路灯")
    return number


@pytest.mark.parametrize(("text", "satisfaction", "status"), [
    ("1", Satisfaction.SATISFIED, CaseStatus.CLOSED),
    (" ２ ", Satisfaction.BASICALLY_SATISFIED, CaseStatus.CLOSED),
    ("3不满意", Satisfaction.DISSATISFIED, CaseStatus.IN_PROGRESS),
])
def test_rating_reply_rates_the_most_recent_replied_case(client, channels, api, text,
                                                         satisfaction, status):
    number = _replied_case(api)
    post_sms(client, sms_body(message_id="r1", text=text))
    case = db.session.query(Case).filter_by(number=number).one()
    db.session.refresh(case)
    assert case.status == status  # dissatisfied reopens the case (重办)
    feedback = db.session.query(CaseEvent).filter_by(case_id=case.id, action="feedback").one()
    assert feedback.data["satisfaction"] == satisfaction.value
    [message] = messages()
    assert (message.status, message.case_id) == ("answered", case.id)
    assert "感谢您的评价" in outbox_to("13800001111")[-1].body
    assert len(all_cases()) == 1


def test_rating_without_a_case_to_rate_waits_for_review(client, channels):
    post_sms(client, sms_body(message_id="r2", text="1"))
    [message] = messages()
    assert message.status == "review" and "没有待评价的工单" in message.reason


def test_second_sms_minutes_later_adds_to_the_first_case(client, channels):
    post_sms(client, sms_body(message_id="a1", text="人民南路四段的井盖丢了"))
    post_sms(client, sms_body(message_id="a2", text="就在地铁站C口旁边"))
    [case] = all_cases()
    events = db.session.query(CaseEvent).filter_by(case_id=case.id, action="supplement").all()
    assert [e.note for e in events] == ["就在地铁站C口旁边"]
    assert [m.status for m in messages()] == ["case", "appended"]


def test_flood_of_bad_signatures_costs_only_a_counter(client, channels):
    for _ in range(25):
        post_sms(client, sms_body(), signature="0" * 64)
    assert gate.rejection_counts()["today"]["sms"] == 25
    assert db.session.query(InboundMessage).count() == 0
    assert get_redis().ping()
