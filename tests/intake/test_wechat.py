"""WeChat Official Account push: signed XML in, a passive reply with the case number out."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from hotline.extensions import db
from hotline.models import Case, CaseEvent
from hotline.services import gate
from tests.intake.conftest import (
    WECHAT_TOKEN,
    all_cases,
    messages,
    outbox_to,
    post_wechat,
    sample,
    wechat_params,
    wechat_text,
)


def reply_of(response) -> dict[str, str]:
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    return {child.tag: child.text or "" for child in root}


def test_url_check_echoes_echostr(client, channels):
    params = {**wechat_params(), "echostr": "4711abc"}
    response = client.get("/channels/wechat", query_string=params)
    assert response.status_code == 200 and response.data == b"4711abc"


def test_url_check_with_wrong_signature_is_403_and_counted(client, channels):
    params = {**wechat_params(token="wrong"), "echostr": "4711abc"}
    response = client.get("/channels/wechat", query_string=params)
    assert response.status_code == 403 and b"4711abc" not in response.data
    assert gate.rejection_counts()["today"]["wechat"] == 1


def test_text_message_becomes_a_case_answered_in_the_response(client, channels):
    started = time.monotonic()
    response = post_wechat(client, sample("wechat", "text.xml"))
    assert time.monotonic() - started < 5  # the platform waits 5 s for the passive reply
    assert response.status_code == 200
    reply = reply_of(response)
    [case] = all_cases()
    assert reply["ToUserName"] == "oXk2Z5Lq8mVbN4cT1rY7hJ0pW3sE"
    assert reply["FromUserName"] == "gh_3f2a1b0c9d8e"
    assert reply["MsgType"] == "text"
    assert case.number in reply["Content"] and case.query_code in reply["Content"]
    assert case.channel.value == "wechat"
    assert case.citizen.contact == "oXk2Z5Lq8mVbN4cT1rY7hJ0pW3sE"
    assert "下水道井盖不见了" in case.content
    assert outbox_to("oXk2Z5Lq8mVbN4cT1rY7hJ0pW3sE") == []  # answered passively, not twice


@pytest.mark.parametrize("name", ["image.xml", "voice.xml", "location.xml", "link.xml",
                                  "shortvideo.xml", "voice_unrecognised.xml"])
def test_every_message_type_becomes_a_case(client, channels, name):
    response = post_wechat(client, sample("wechat", name))
    assert response.status_code == 200
    [case] = all_cases()
    assert case.number in reply_of(response)["Content"]


def test_subscribe_gets_a_welcome_and_no_case(client, channels):
    response = post_wechat(client, sample("wechat", "event_subscribe.xml"))
    assert "12345" in reply_of(response)["Content"]
    assert all_cases() == []
    assert messages()[0].status == "ignored"


def test_unsubscribe_is_kept_without_reply(client, channels):
    response = post_wechat(client, sample("wechat", "event_unsubscribe.xml"))
    assert response.data == b"success"
    assert messages()[0].status == "ignored"


@pytest.mark.parametrize(("name", "reason"), [
    ("malformed.xml", "XML"),
    ("missing_fields.xml", "missing"),
    ("encrypted.xml", "encrypted"),
    ("xxe.xml", "XXE"),
    ("billion_laughs.xml", "XXE"),
])
def test_unparseable_push_is_acknowledged_and_queued_for_review(client, channels, name, reason):
    response = post_wechat(client, sample("wechat", name))
    assert response.status_code == 200 and response.data == b"success"
    [message] = messages()
    assert message.status == "review" and reason in message.reason
    assert message.payload == sample("wechat", name)
    assert all_cases() == []


def test_wrong_signature_is_403_and_nothing_stored(client, channels):
    response = post_wechat(client, sample("wechat", "text.xml"), **wechat_params(token="nope"))
    assert response.status_code == 403
    assert messages() == []
    assert gate.rejection_counts()["today"]["wechat"] == 1


def test_replayed_old_signature_is_refused(client, channels):
    old = wechat_params(timestamp=int(time.time()) - 3600)
    assert post_wechat(client, sample("wechat", "text.xml"), **old).status_code == 403


def test_oversized_push_is_413(client, channels):
    body = wechat_text("很" * 30000)
    assert post_wechat(client, body).status_code == 413
    assert messages() == []


def test_disabled_channel_is_404(client, world):
    response = post_wechat(client, wechat_text("hello"), **wechat_params(token=WECHAT_TOKEN))
    assert response.status_code == 404
    assert "HOTLINE_WECHAT_TOKEN" in response.get_json()["error"]["message"]


def test_platform_retry_gets_the_same_answer_and_no_second_case(client, channels):
    first = reply_of(post_wechat(client, sample("wechat", "text.xml")))
    second = reply_of(post_wechat(client, sample("wechat", "text.xml")))
    assert first["Content"] == second["Content"]
    assert len(all_cases()) == 1 and len(messages()) == 1


def test_query_answers_status_for_the_same_openid(client, channels):
    post_wechat(client, wechat_text("建设路口的红绿灯不亮了", msg_id="2001"))
    [case] = all_cases()
    response = post_wechat(client, wechat_text(f"查询 {case.number}", msg_id="2002"))
    content = reply_of(response)["Content"]
    assert case.number in content and "已登记" in content
    assert len(all_cases()) == 1


def test_query_of_someone_elses_case_reveals_nothing(client, channels, api):
    number = api.create_case()["number"]
    response = post_wechat(client, wechat_text(f"查询 {number}", msg_id="2003"))
    assert "未找到" in reply_of(response)["Content"]


def test_follow_up_message_joins_the_case_just_opened(client, channels):
    post_wechat(client, wechat_text("东大街路面塌陷了一个大坑", msg_id="3001"))
    response = post_wechat(client, wechat_text("在东大街和红星路交叉口", msg_id="3002"))
    [case] = all_cases()
    assert case.number in reply_of(response)["Content"]
    supplement = db.session.query(CaseEvent).filter_by(case_id=case.id,
                                                      action="supplement").one()
    assert supplement.note == "在东大街和红星路交叉口" and supplement.public


def test_exact_repeat_days_later_joins_the_open_case_as_repeat(client, channels):
    post_wechat(client, wechat_text("东大街路面塌陷了一个大坑，请尽快修", msg_id="4001"))
    [case] = all_cases()
    db.session.query(Case).filter_by(id=case.id).update(
        {"created_at": case.created_at - timedelta(days=2)})
    db.session.commit()
    again = wechat_text("东大街路面塌陷了一个大坑，请尽快修！", msg_id="4002")
    response = post_wechat(client, again)
    assert "无需重复反映" in reply_of(response)["Content"]
    assert len(all_cases()) == 1
    repeat = db.session.query(CaseEvent).filter_by(case_id=case.id, action="repeat").one()
    assert repeat.public and repeat.data["channel"] == "wechat"
