"""Two-level dispatch, co-handling and reply files through the real pages in headless
Chromium: a district passes its case on to a street, the street replies and the district
sees it; an assisting department adds a note, only the lead replies; a reply held by the
quality check keeps the files the department chose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Attachment, Case, CaseEvent
from tests.browser.conftest import login
from tests.channels.samples.make_samples import tiny_png
from tests.factories import add_streets

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread


def fresh(number: str) -> Case:
    db.session.expire_all()
    return db.session.query(Case).filter_by(number=number).one()


@pytest.fixture
def as_user(browser, live_server):
    """Open a signed-in page for another user (each in a browser context of its own)."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(base_url=live_server,
                                      viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, username)
        page.wait_for_url("**/workbench")
        return page
    yield open_as
    for context in contexts:
        context.close()


def fill_with_photo(page, action: str, text: str, filename: str) -> None:
    """Write a reply or note, choose a photo for it, and send the form."""
    form = f"form[data-action={action}]"
    page.fill(f"{form} textarea", text)
    page.set_input_files(f"{form} input[type=file]", files=[
        {"name": filename, "mimeType": "image/png", "buffer": tiny_png()}])
    page.click(f"{form} button")


def send_reply(page, text: str, files=None) -> None:
    page.fill("form[data-action=reply] textarea", text)
    if files:
        page.set_input_files("form[data-action=reply] input[type=file]", files)
    page.click("form[data-action=reply] button")
    page.wait_for_selector("#draft-inspection, .flash-success")
    if page.locator("#draft-inspection").count():
        page.click("form[data-action=reply] button[name=checked][value='1']")
        page.wait_for_selector(".flash-success")


def test_district_passes_on_the_street_replies_and_the_district_sees_it(page, api, world,
                                                                         as_user):
    add_streets(world)
    number = api.create_case(department="JINJIANG", title="春熙路小区消防通道被占")["number"]
    login(page, "jinjiang")
    page.wait_for_url("**/workbench")
    page.click(f"text={number}")
    page.select_option("form[data-action=dispatch] select[name=department]",
                       "JINJIANG-CHUNXI")
    page.fill("form[data-action=dispatch] input[name=note]", "请街道三日内处理")
    page.click("form[data-action=dispatch] button")
    page.wait_for_selector(".flash-success")
    assert page.locator("#district-hint").is_visible()  # still in view, as the district
    assert "春熙路街道办事处" in page.locator("#case-lead").inner_text()
    case = fresh(number)
    assert case.department.code == "JINJIANG-CHUNXI" and case.via_department.code == "JINJIANG"

    street = as_user("chunxi")
    street.click(f"text={number}")
    street.click("form[data-action=accept] button")
    street.wait_for_selector("form[data-action=reply]")
    send_reply(street, "春熙路街道已于今日清理消防通道内车辆，并设置隔离桩，今后每日巡查。")
    assert fresh(number).status.value == "replied"

    page.goto("/workbench")
    row = page.locator("#street-cases tr", has_text=number)
    assert "待回访" in row.inner_text() and "春熙路街道办事处" in row.inner_text()
    row.locator("a").click()
    assert "春熙路街道已于今日清理" in page.locator(".answer").inner_text()


def test_district_takes_a_case_back(page, api, world):
    add_streets(world)
    number = api.create_case(department="JINJIANG")["number"]
    api("jinjiang").act(number, "dispatch", department="JINJIANG-SHUYUAN")
    login(page, "jinjiang")
    page.goto(f"/cases/{number}")
    page.fill("form[data-action=recall] textarea", "街道人手不足，区里直接办")
    page.click("form[data-action=recall] button")
    page.wait_for_selector(".flash-success")
    assert page.locator("form[data-action=accept]").is_visible()
    assert fresh(number).department.code == "JINJIANG"


def test_assisting_department_notes_and_only_the_lead_replies(page, api, as_user):
    number = api.create_case(department="URBAN", assist=["HOUSING"],
                             title="书院街占道经营")["number"]
    login(page, "housing")
    page.wait_for_url("**/workbench")
    row = page.locator("#assisting-cases tr", has_text=number)
    assert "协办" in row.inner_text()
    row.locator("a").click()
    assert page.locator("#case-assisting").inner_text().strip() == "市住房和城乡建设局"
    assert page.locator("form[data-action=reply]").count() == 0  # assisting cannot reply
    assert page.locator("form[data-action=accept]").count() == 0
    fill_with_photo(page, "note", "住建局已约谈物业公司，限期清理", "约谈现场.png")
    page.wait_for_selector(".flash-success")
    note = page.locator(".timeline li", has_text="住建局已约谈物业公司")
    assert "约谈现场.png" in note.inner_text() and "协办" in note.inner_text()

    lead = as_user("urban")
    lead.click(f"text={number}")
    assert "住建局已约谈物业公司" in lead.locator(".timeline").inner_text()
    lead.click("form[data-action=accept] button")
    lead.wait_for_selector("form[data-action=reply]")
    send_reply(lead, "城管与住建共同处理：已清理占道摊点，物业限期整改，今后每日巡查。")
    assert fresh(number).status.value == "replied"


def test_a_held_reply_keeps_the_chosen_files(page, api):
    number = api.create_case(department="URBAN", title="占道经营")["number"]
    api("urban").act(number, "accept")
    login(page, "urban")
    page.wait_for_url("**/workbench")
    page.goto(f"/cases/{number}")
    fill_with_photo(page, "reply", "已处理。", "整改后.png")
    page.wait_for_selector("#draft-inspection")
    assert "整改后.png" in page.locator("#held-files").inner_text()
    page.click("form[data-action=reply] button[name=checked][value='1']")
    page.wait_for_selector(".flash-success")
    reply = page.locator(".timeline li", has_text="已处理。")
    assert "整改后.png" in reply.inner_text()
    db.session.expire_all()
    case = fresh(number)
    [row] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id))
    event = db.session.get(CaseEvent, row.event_id)
    assert row.filename == "整改后.png" and event.action == "reply"
