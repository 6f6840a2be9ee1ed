"""Channel abuse: a replayed WeChat nonce, a forged "same letter again", a flooding chat, and
channel text no database column can hold (kept raw, then reviewed; never a 500)."""

from __future__ import annotations

import json

from hotline.extensions import db
from hotline.models import InboundMessage
from hotline.services import gate
from tests.intake.conftest import (
    all_cases,
    post_sms,
    post_wechat,
    solved_challenge,
    wechat_params,
    wechat_text,
)

LETTER = {"name": "陈女士", "phone": "13800001111", "address": "锦江区书院街88号",
          "title": "夜市摊贩占道", "type": "complaint",
          "content": "书院街晚上夜市摊位摆到人行道上，行人只能走机动车道。"}


def test_a_replayed_wechat_nonce_with_another_body_is_refused(client, channels):
    params = wechat_params(nonce="replayed-nonce")
    first = post_wechat(client, wechat_text("书院街路灯不亮", msg_id="2001"), **params)
    assert first.status_code == 200
    forged = post_wechat(client, wechat_text("伪造的另一条诉求", msg_id="2002"), **params)
    assert forged.status_code == 403
    assert gate.rejection_counts()["today"]["wechat"] == 1
    assert db.session.query(InboundMessage).count() == 1


def test_the_platforms_own_retry_with_the_same_body_passes(client, channels):
    params = wechat_params(nonce="retry-nonce")
    body = wechat_text("书院街路灯不亮", msg_id="3001")
    assert post_wechat(client, body, **params).status_code == 200
    assert post_wechat(client, body, **params).status_code == 200
    assert len(all_cases()) == 1


def _letter(token: str, answer: str) -> dict:
    return {**LETTER, "challenge_token": token, "answer": answer}


def test_same_letter_again_needs_the_browsers_signed_receipt(app, client, world):
    token, answer = solved_challenge()
    first = client.post("/mailbox", data=_letter(token, answer))
    assert first.status_code == 200
    [case] = all_cases()
    stranger = app.test_client()  # knows the token (or its nonce), not the receipt
    forged = stranger.post("/mailbox", data=_letter(token, answer))
    assert case.query_code not in forged.get_data(as_text=True)
    assert forged.status_code == 422
    again = client.post("/mailbox", data=_letter(token, answer))  # the sender's double submit
    assert case.query_code in again.get_data(as_text=True)


def test_a_nonce_only_token_does_not_show_an_earlier_letter(app, client, world):
    token, answer = solved_challenge()
    client.post("/mailbox", data=_letter(token, answer))
    [case] = all_cases()
    nonce = token.split(".")[2]
    forged = app.test_client().post("/mailbox", data=_letter(f"v1.1.{nonce}.x.y", "1"))
    assert case.query_code not in forged.get_data(as_text=True)


def test_a_chat_is_limited_to_ten_lines_in_ten_seconds(client, world):
    chat = client.post("/chat/conversations", json={"text": "你好"}).get_json()
    headers = {"X-Chat-Token": chat["token"]}
    url = f"/chat/conversations/{chat['id']}/lines"
    statuses = [client.post(url, json={"text": f"第{i}行"}, headers=headers).status_code
                for i in range(gate.CHAT_LINES_PER_WINDOW + 1)]
    assert statuses[:-1] == [201] * gate.CHAT_LINES_PER_WINDOW
    refused = client.post(url, json={"text": "又一行"}, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_an_sms_id_with_a_surrogate_is_kept_and_reviewed(client, channels):
    body = b'{"message_id": "SM-\\ud800", "from": "13800001111", "text": "lamp"}'
    assert post_sms(client, body).status_code == 200
    [message] = db.session.query(InboundMessage).all()
    assert message.status == "review" and message.external_id == "SM-\\ud800"


def test_an_sms_whose_id_holds_nul_is_kept_raw_and_reviewed(client, channels):
    body = json.dumps({"message_id": "SM-\u0000-1", "from": "13800001111",
                       "text": "路灯坏了\u0000"}).encode()
    first = post_sms(client, body)
    assert first.status_code == 200, first.get_data(as_text=True)
    again = post_sms(client, body)  # the gateway's retry finds the same row
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    [message] = db.session.query(InboundMessage).all()
    assert message.status == "review" and "NUL" in message.reason
    assert message.payload == body and "\x00" not in message.external_id
    assert all_cases() == []


def test_an_sms_with_a_lone_surrogate_is_kept_raw_and_cleaned(client, channels):
    body = b'{"message_id": "SM-9", "from": "13800001111", "text": "\\ud800 lamp"}'
    response = post_sms(client, body)
    assert response.status_code == 200
    [message] = db.session.query(InboundMessage).all()
    assert message.payload == body  # the bytes as they came; the text without the surrogate
    assert all("\ud800" not in case.content for case in all_cases())


def test_a_letter_with_nul_is_refused_before_anything_is_kept(client, world, tmp_path):
    token, answer = solved_challenge()
    response = client.post("/mailbox", data={**_letter(token, answer),
                                             "content": "路灯\x00不亮"})
    assert response.status_code == 422
    assert db.session.query(InboundMessage).count() == 0
