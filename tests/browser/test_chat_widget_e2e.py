"""The web-chat widget in headless Chromium: a citizen asks on the home page, an agent answers
and registers a case, and the citizen's page shows both without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import Conversation, User
from hotline.services import chat
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread


def test_citizen_chats_from_the_home_page_and_sees_the_agent_and_the_case(page):
    page.goto("/")
    panel = page.locator("#chat-panel")
    expect(panel).to_be_hidden()
    page.click("#chat-toggle")
    expect(panel).to_be_visible()
    page.fill("#chat-start textarea[name=text]", "玉林北路的酒吧每晚噪音到凌晨两点，怎么办？")
    page.fill("#chat-start input[name=phone]", "13800001111")
    page.click("#chat-start button[type=submit]")
    lines = page.locator("#chat-lines")
    expect(lines).to_contain_text("玉林北路的酒吧每晚噪音到凌晨两点")
    expect(page.locator("#chat-send")).to_be_visible()

    db.session.expire_all()
    conversation = db.session.query(Conversation).one()
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    with unit_of_work():
        chat.agent_says(agent, conversation.id, "您好，我们帮您登记，请稍候。")
    expect(lines).to_contain_text("您好，我们帮您登记，请稍候。", timeout=10_000)

    page.fill("#chat-send textarea[name=text]", "好的，谢谢")
    page.keyboard.press("Enter")
    expect(lines.locator(".from-citizen")).to_have_count(2)
    assert chat.transcript(conversation).endswith("好的，谢谢")

    with unit_of_work():
        case = chat.to_case(agent, conversation.id, {
            "content": "玉林北路酒吧每晚噪音到凌晨两点", "phone": "13800001111",
            "type": "complaint"})
    expect(lines).to_contain_text(case.number, timeout=10_000)
    expect(lines).to_contain_text(case.query_code)

    page.reload()  # the conversation survives a reload of the page
    page.click("#chat-toggle")
    expect(page.locator("#chat-lines")).to_contain_text(case.number)
