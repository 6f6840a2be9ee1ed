"""Manual inspection as a supervisor does it in the browser: draw the week's sample, read
each drawn case with its automatic findings, score one on the rubric (CSRF on)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import InspectionSample, User
from hotline.services import cases, registration, sampling
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread

REPLY = "这个不归我们管，你自己去找物业。"


def _actor(username: str) -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username=username).one())


def _replied_case() -> str:
    with unit_of_work(keep_loaded=True):
        case = registration.register_case(_actor("agent"), registration.NewCase(
            content="书院街小区电梯异响很大，物业说没钱修", department="URBAN",
            request_type="complaint", citizen_phone="13800001111"))
        number = case.number
    with unit_of_work():
        cases.perform(_actor("urban"), number, "accept", {})
    with unit_of_work():
        cases.perform(_actor("urban"), number, "reply", {"content": REPLY})
    with unit_of_work():
        sampling.ensure_default_rubric()
    return number


def test_supervisor_draws_reads_the_findings_and_scores(page, world):
    number = _replied_case()
    page.set_default_timeout(30_000)  # the first inspection loads the relevance model
    login(page, "supervisor")
    page.goto("/oversight/inspection")
    expect(page.locator("text=URBAN 1")).to_be_visible()
    page.click("button:has-text('抽取样本')")
    sample = page.locator("details.sample").first
    expect(sample).to_contain_text(number)
    expect(sample).to_contain_text("推诿用语")  # the kept automatic inspection, made now
    for name, value in (("relevance", "2"), ("action", "0"), ("basis", "0"), ("manner", "0")):
        sample.locator(f"input[name='points.{name}']").fill(value)
    sample.locator("button[type=submit]").click()
    expect(page.locator(".sample-score").first).to_have_text("6.0")
    db.session.expire_all()
    [kept] = db.session.query(InspectionSample).all()
    assert kept.score == pytest.approx(6.0) and kept.points["relevance"] == 2.0
