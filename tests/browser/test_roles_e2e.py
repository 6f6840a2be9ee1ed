"""Each role does its job through the real pages in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import Case
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread


def fresh(number: str) -> Case:
    db.session.expire_all()
    return db.session.query(Case).filter_by(number=number).one()


def test_agent_logs_a_call_and_dispatches(page, api):
    earlier = api.create_case(content="上次反映的占道问题")["number"]
    login(page, "agent")
    page.wait_for_url("**/agent")
    page.fill("#phone", "13800001111")
    page.wait_for_selector(f"#history >> text={earlier}")  # the caller's earlier case pops up
    page.fill("#content", "书院街路口又有人占道卖菜，车开不过去")
    page.fill("#address", "锦江区书院街")
    page.select_option("#category", "street_vending")
    expect(page.locator("#department")).not_to_have_value("")  # suggested from the category
    page.keyboard.press("Control+Enter")
    flash = page.locator(".flash-success").inner_text()
    number = re.search(r"\d{14}", flash).group(0)
    case = fresh(number)
    assert case.status.value == "dispatched"
    assert case.department.code in ("URBAN", "JINJIANG")
    assert case.citizen.phone == "13800001111"


def test_agent_sees_field_error_and_keeps_the_text(page, world):
    login(page, "agent")
    page.fill("#phone", "13800001111")
    page.fill("#content", "   ")
    page.click("#submit")
    assert "不能为空" in page.locator(".flash-error").inner_text()
    assert page.input_value("#phone") == "13800001111"


def test_department_accepts_and_replies(page, api):
    number = api.create_case(department="URBAN", title="占道经营")["number"]
    login(page, "urban")
    page.wait_for_url("**/workbench")
    page.click(f"text={number}")
    page.click("form[data-action=accept] button")
    assert fresh(number).status.value == "in_progress"
    page.fill("form[data-action=reply] textarea", "已安排执法队员清理占道摊点")
    page.click("form[data-action=reply] button")
    # the reply is inspected before it is sent (智能质检): this short one is held with its
    # findings, and the department sends it as it is
    page.wait_for_selector("#draft-inspection")
    page.click("form[data-action=reply] button[name=checked][value='1']")
    page.wait_for_selector(".flash-success")
    case = fresh(number)
    assert case.status.value == "replied"
    assert case.answer == "已安排执法队员清理占道摊点"


def test_supervisor_filters_and_supervises(page, api):
    number = api.create_case(department="URBAN", content="垃圾三天没人清运")["number"]
    api.create_case(department="HOUSING", content="物业不作为")
    login(page, "supervisor")
    page.fill("input[name=q]", "垃圾")
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    page.wait_for_selector("table.table tbody tr")
    rows = page.locator("table.table tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").click()
    page.fill("form[data-action=supervise] textarea", "请今天内处理完毕")
    page.click("form[data-action=supervise] button")
    page.wait_for_selector(".flash-success")
    assert fresh(number).supervised


def test_citizen_tracks_and_rates(page, api):
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    api("urban").act(case["number"], "reply", content="摊点已清理")
    page.goto("/")
    page.fill("input[name=number]", case["number"])
    page.fill("input[name=code]", case["query_code"])
    page.click("button[type=submit]")
    assert "摊点已清理" in page.content()
    assert "13800001111" not in page.content()
    page.check("input[value=satisfied]")
    page.click("text=提交评价")
    page.wait_for_selector(".flash-success")
    assert fresh(case["number"]).status.value == "closed"


def test_admin_adds_a_department(page, world):
    login(page, "admin")
    page.goto("/admin/departments")
    page.fill("input[name=code]", "WATER")
    page.fill("input[name=name]", "市水务局")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "市水务局" in page.content()


def test_english_interface(page, world):
    page.goto("/?lang=en")
    assert "Track" in page.content() or "track" in page.content()
