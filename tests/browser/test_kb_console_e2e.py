"""The console shows knowledge-base answers beside the intake form while the agent types,
and one click answers the caller and closes the consultation (a screenshot is kept)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Case, CaseStatus
from hotline.services.kb import search
from tests.browser.conftest import login
from tests.kb.conftest import FUND, GAS, published

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread
SCREENSHOT = "/tmp/kb-console.png"
RENT = {"title": "租房提取住房公积金", "questions": ["租房子的可以取公积金不"],
        "answer": "无自有住房且租房的职工，可按月提取住房公积金支付房租。",
        "department": "HOUSING", "source": "《成都住房公积金提取管理办法》"}


def test_agent_answers_from_the_knowledge_base(page, world):
    search.forget()
    for article in (GAS, FUND, RENT):
        published(article)
    assert search.search("公积金")  # the index is built before the page asks
    login(page, "agent")
    page.goto("/agent")
    page.fill("#phone", "13800001111")
    page.fill("#content", "我才买了房子，单位交的公积金咋个取出来")
    first = page.locator("#kb-results .kb-result").first
    expect(first).to_contain_text("住房公积金提取条件", timeout=15_000)
    page.screenshot(path=SCREENSHOT, full_page=True)
    first.locator("button.kb-answer-button").click()
    expect(page.locator(".flash").first).to_contain_text("直接答复")
    db.session.expire_all()
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.status == CaseStatus.CLOSED and case.answer == FUND["answer"]
    search.forget()
