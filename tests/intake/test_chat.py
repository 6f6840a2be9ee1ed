"""Web chat: the citizen opens a conversation, an agent picks it up, answers, and registers a
case; the citizen sees the answers and the case number by polling."""

from __future__ import annotations

import re

from hotline.extensions import db
from hotline.models import ChatMessage, Conversation
from tests.intake.conftest import all_cases


def start(client, text: str = "请问社保转移需要什么材料？", **extra) -> dict:
    response = client.post("/chat/conversations", json={"text": text, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def poll(client, chat: dict, after: int = 0):
    return client.get(f"/chat/conversations/{chat['id']}/lines", query_string={"after": after},
                      headers={"X-Chat-Token": chat["token"]})


def test_citizen_opens_a_chat_and_it_waits_for_an_agent(client, auth, world):
    chat = start(client, name="王先生", phone="13800001111")
    assert chat["status"] == "waiting"
    assert [line["body"] for line in chat["lines"]] == ["请问社保转移需要什么材料？"]
    conversation = db.session.query(Conversation).one()
    assert conversation.token_hash != chat["token"]  # only its hash is stored
    auth.login("agent")
    html = client.get("/agent/chats").get_data(as_text=True)
    assert "等待接待" in html and "王先生" in html and "138****1111" in html
    assert re.search(r'id="chat-badge"\s*>1<', html)  # the header's waiting count


def test_agent_answers_and_the_citizen_sees_it_by_polling(client, auth, world):
    chat = start(client)
    last = chat["lines"][-1]["id"]
    conversation = db.session.query(Conversation).one()
    auth.login("agent")
    client.post(f"/agent/chats/{conversation.id}/take")
    client.post(f"/agent/chats/{conversation.id}/say",
                data={"text": "您好，需要身份证和参保缴费凭证。"})
    data = poll(client, chat, after=last).get_json()
    assert data["status"] == "active"
    assert [(line["author"], line["body"]) for line in data["lines"]] == [
        ("system", "agent-name 为您服务"), ("agent", "您好，需要身份证和参保缴费凭证。")]
    assert data["lines"][1]["label"] == "agent-name"
    assert poll(client, chat, after=data["lines"][-1]["id"]).get_json()["lines"] == []


def test_citizen_lines_reach_the_agent_page(client, auth, world):
    chat = start(client)
    response = client.post(f"/chat/conversations/{chat['id']}/lines", json={"text": "还在吗？"},
                           headers={"X-Chat-Token": chat["token"]})
    assert response.status_code == 201
    conversation = db.session.query(Conversation).one()
    auth.login("agent")
    lines = client.get(f"/agent/chats/{conversation.id}/lines").get_json()["lines"]
    assert [line["body"] for line in lines] == ["请问社保转移需要什么材料？", "还在吗？"]


def test_agent_turns_the_chat_into_a_case_and_the_citizen_gets_number_and_code(
        client, auth, world):
    chat = start(client, text="玉林北路酒吧每晚噪音到凌晨两点", phone="13800001111")
    conversation = db.session.query(Conversation).one()
    auth.login("agent")
    page = client.get(f"/agent/chats/{conversation.id}").get_data(as_text=True)
    assert "玉林北路酒吧每晚噪音到凌晨两点" in page  # the form is prefilled
    client.post(f"/agent/chats/{conversation.id}/case", data={
        "content": "玉林北路酒吧每晚噪音到凌晨两点", "phone": "13800001111", "type": "complaint"})
    [case] = all_cases()
    assert case.channel.value == "webchat" and case.external_ref == f"chat:{chat['id']}"
    lines = poll(client, chat).get_json()
    assert lines["case"] == case.number
    assert case.number in lines["lines"][-1]["body"]
    assert case.query_code in lines["lines"][-1]["body"]
    again = client.post(f"/agent/chats/{conversation.id}/case", data={"content": "再来一次"})
    assert again.status_code == 303 and len(all_cases()) == 1


def test_wrong_token_is_like_an_unknown_conversation(client, world):
    chat = start(client)
    response = poll(client, {"id": chat["id"], "token": "guess"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.post(f"/chat/conversations/{chat['id']}/lines", json={"text": "hi"})
    assert response.status_code == 404


def test_closed_conversation_refuses_new_lines(client, auth, world):
    chat = start(client)
    conversation = db.session.query(Conversation).one()
    auth.login("agent")
    client.post(f"/agent/chats/{conversation.id}/close")
    assert poll(client, chat).get_json()["status"] == "closed"
    response = client.post(f"/chat/conversations/{chat['id']}/lines", json={"text": "喂？"},
                           headers={"X-Chat-Token": chat["token"]})
    assert response.status_code == 409


def test_empty_or_too_long_lines_are_refused(client, world):
    assert client.post("/chat/conversations", json={"text": " "}).status_code == 422
    assert client.post("/chat/conversations", json={"text": "长" * 1001}).status_code == 422
    assert client.post("/chat/conversations", data="x").status_code == 422
    assert db.session.query(ChatMessage).count() == 0


def test_new_chats_are_rate_limited_per_address(app, client, world):
    app.config["PUBLIC_SUBMIT_PER_HOUR"] = 3
    for _ in range(3):
        start(client)
    response = client.post("/chat/conversations", json={"text": "again"})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_two_agents_picking_up_at_once_one_wins(client, auth, world, api):
    start(client)
    conversation = db.session.query(Conversation).one()
    auth.login("agent")
    assert client.post(f"/agent/chats/{conversation.id}/take").status_code == 303
    auth.logout()
    auth.login("supervisor")
    response = client.post(f"/agent/chats/{conversation.id}/take", follow_redirects=True)
    assert "已由其他话务员接待" in response.get_data(as_text=True)


def test_chat_pages_are_public_and_load_only_local_assets(client, world):
    for url in ("/chat", "/"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="chat-widget"' in html and "/static/js/chat.js" in html
        assert "https://" not in html and "cdn" not in html.lower()
