"""The API reference page renders the document in one language: Chinese by default, English
in full (a screenshot of the English page is kept)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread
SCREENSHOT = "/tmp/apidocs-en.png"
CJK = re.compile("[\u4e00-\u9fff]")


def test_the_english_reference_has_no_chinese_labels(page):
    page.goto("/api/docs?lang=en")
    expect(page.locator("section.op").first).to_be_visible(timeout=15_000)
    texts = page.locator("h1, h2, h3, h4, th, #reference > p, #reference li").all_inner_texts()
    assert any("register a case" in t for t in texts)
    assert [t for t in texts if CJK.search(t)] == []  # examples in <pre> are citizens' data
    page.screenshot(path=SCREENSHOT)
    page.goto("/api/docs?lang=zh_CN")
    expect(page.locator("section.op").first).to_be_visible(timeout=15_000)
    headings = page.locator("h3").all_inner_texts()
    assert any("登记工单" in t for t in headings)
    assert not any("register a case" in t for t in headings)
