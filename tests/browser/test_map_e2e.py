"""The map of cases in headless Chromium: a supervisor clicks a district to zoom to its
streets, clicks a street to list its cases and opens one, whose page shows its point; a
department sees its own cases only. Nothing is loaded from outside hosts (the page fixture
refuses it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread


def test_supervisor_zooms_in_and_opens_a_case(page, api):
    urban = api.create_case(content="宽窄巷子门口占道卖菜", address="青羊区宽窄巷子",
                            department="URBAN")["number"]
    housing = api.create_case(content="太古里旁边的路灯不亮", address="太古里",
                              department="HOUSING")["number"]
    login(page, "supervisor")
    page.goto("/oversight/map")
    expect(page.locator("#case-map svg.hl-map")).to_be_visible()
    expect(page.locator("#map-districts")).to_contain_text("锦江区")
    page.locator("#case-map a[href*='district=%E9%94%A6%E6%B1%9F%E5%8C%BA']").first.click()
    expect(page.locator("h1")).to_contain_text("锦江区")
    expect(page.locator("#map-streets")).to_contain_text("春熙路街道")
    page.locator("#map-streets a", has_text="春熙路街道").click()
    expect(page.locator("#map-selection")).to_contain_text(housing)
    expect(page.locator("#map-selection")).not_to_contain_text(urban)
    page.locator("#map-selection a", has_text=housing).click()
    expect(page.locator("#case-point svg .hl-map-mark")).to_have_count(1)
    expect(page.locator("#case-point figcaption")).to_contain_text("精确位置")


def test_a_department_sees_its_own_cases_only(page, api):
    api.create_case(content="宽窄巷子门口占道卖菜", address="青羊区宽窄巷子", department="URBAN")
    api.create_case(content="太古里旁边的路灯不亮", address="太古里", department="HOUSING")
    login(page, "urban")
    page.goto("/oversight/map")
    expect(page.locator(".map-side h2")).to_have_text("共 1 件")
    expect(page.locator("#map-districts")).to_contain_text("青羊区")
    expect(page.locator("#map-districts")).not_to_contain_text("锦江区")
    expect(page.locator("select[name=department]")).to_have_count(0)
