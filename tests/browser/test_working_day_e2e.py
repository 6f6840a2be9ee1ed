"""Each role's working day through the real pages in headless Chromium: a department's
return, the console's prefill rules, the supervisor's queues and tools."""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import Case, utcnow
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread
# screenshots to look at after a run, in the temporary folder (a fixed path failed on a new machine)
NOTES = Path(tempfile.gettempdir()) / "hotline-screenshots"


def fresh(number: str) -> Case:
    db.session.expire_all()
    return db.session.query(Case).filter_by(number=number).one()


def test_department_returns_and_lands_on_its_workbench(page, api):
    number = api.create_case(department="URBAN", title="不归城管的事")["number"]
    login(page, "urban")
    page.wait_for_url("**/workbench")
    page.click(f"text={number}")
    expect(page.locator("dl.facts")).to_contain_text("派单后 2 个工作日 内")
    page.fill("form[data-action=return] textarea", "非本单位职责，应由住建局办理")
    page.click("form[data-action=return] button")
    page.wait_for_url("**/workbench")
    expect(page.locator(".flash-success")).to_contain_text(f"已退单工单 {number}")
    assert "不存在" not in page.content()
    assert fresh(number).status.value == "registered"


def test_no_return_form_once_the_window_has_passed(page, api):
    number = api.create_case(department="URBAN")["number"]
    case = fresh(number)
    case.dispatched_at = utcnow() - timedelta(days=10)
    db.session.commit()
    login(page, "urban")
    page.goto(f"/cases/{number}")
    expect(page.locator("form[data-action=accept]")).to_be_visible()
    expect(page.locator("form[data-action=return]")).to_have_count(0)


def test_console_prefills_only_what_is_likely(page, world):
    login(page, "agent")
    page.wait_for_url("**/agent")
    page.fill("#phone", "13800001111")
    page.fill("#content", "我想反映一个情况，麻烦你们看一下")  # nothing likely: agent chooses
    page.wait_for_timeout(900)
    expect(page.locator("#department")).to_have_value("")
    expect(page.locator("#category")).to_have_value("")
    page.fill("#content", "楼下天天有人占道经营，车都过不去")  # a centre rule: certain
    expect(page.locator("#category")).to_have_value("street_vending")
    expect(page.locator("#department")).not_to_have_value("")
    page.fill("#content", "楼道里闻到很大的煤气味，燃气泄漏了")
    banner = page.locator("#suggestion .emergency")
    expect(banner).to_contain_text("燃气泄漏")
    assert "gas_leak" not in banner.inner_text()


def _queues(api) -> dict[str, str]:
    extension = api.create_case(department="URBAN", title="路灯维修需延期")["number"]
    api("urban").act(extension, "accept")
    api("urban").act(extension, "extend", days=3, reason="需要采购灯具")
    returned = api.create_case(department="URBAN", title="退回的工单")["number"]
    api("urban").act(returned, "return", reason="非本单位职责")
    reopened = api.create_case(department="HOUSING", title="重办的工单")["number"]
    api("housing").act(reopened, "accept")
    api("housing").act(reopened, "reply", content="已处理")
    api("supervisor").act(reopened, "reopen", reason="市民反映未解决")
    overdue = api.create_case(department="HOUSING", title="超时未签收")["number"]
    due_today = api.create_case(department="URBAN", title="今天到期")["number"]
    now = utcnow()
    fresh(overdue).sign_deadline = now - timedelta(hours=2)
    db.session.commit()  # before the next fresh(), which expires what is not yet written
    fresh(due_today).sign_deadline = now + timedelta(minutes=30)
    db.session.commit()
    return {"extension": extension, "returned": returned, "reopened": reopened,
            "overdue": overdue, "due_today": due_today}


def test_supervisor_queues_filters_export_and_bulk(page, api, tmp_path):
    numbers = _queues(api)
    login(page, "supervisor")
    page.goto("/cases")
    for name, number in numbers.items():
        link = page.locator(f"nav.queues a[data-queue={name}]")
        expect(link.locator(".count")).to_have_text("1")
        link.click()
        expect(page.locator("table.table tbody")).to_contain_text(number)
        assert page.locator("table.table tbody tr").count() == 1, name
    NOTES.mkdir(parents=True, exist_ok=True)
    page.goto("/cases")
    page.screenshot(path=str(NOTES / "issue-12-supervisor-queues.png"), full_page=True)

    page.fill("input[name=phone]", "+86 138-0000-1111")  # the factories' citizen
    page.click(".filters button[type=submit]")
    assert page.locator("table.table tbody tr").count() == 5
    assert "13800001111" not in page.locator("table.table tbody").inner_html()

    page.goto("/cases")
    page.click("text=受理时间")
    assert "sort=created" in page.url
    page.goto("/cases?pending=extension")
    expect(page.locator("table.table tbody")).to_contain_text(numbers["extension"])
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "cases.csv"
    download.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and numbers["extension"] in raw.decode("utf-8-sig")

    page.goto("/cases?queue=overdue")
    page.check(f"input[name=numbers][value='{numbers['overdue']}']")
    page.select_option("#bulk-action", "supervise")
    page.fill("#bulk-note", "请今天内签收")
    page.click("#bulk-submit")
    expect(page.locator(".flash-success")).to_contain_text("1")
    assert fresh(numbers["overdue"]).supervised
    page.goto("/cases?queue=returned")
    page.check("#select-all")
    page.select_option("#bulk-action", "dispatch")
    page.select_option("#bulk-department", "HOUSING")
    page.click("#bulk-submit")
    page.wait_for_selector(".flash-success")
    assert fresh(numbers["returned"]).department.code == "HOUSING"
    assert re.search(r"\d", page.locator("nav.queues a[data-queue=returned] .count").inner_text())


def test_chat_queue_updates_without_a_reload(page, world):
    from hotline.services import chat
    from hotline.unit_of_work import unit_of_work

    login(page, "agent")
    page.goto("/agent/chats")
    expect(page.locator("#chat-badge")).to_be_hidden()
    with unit_of_work():
        conversation, _token = chat.start("小区门口的路灯坏了，晚上很黑", "王先生",
                                          "13800003333", "test")
    expect(page.locator("#chat-queue tbody")).to_contain_text(f"#{conversation.id}",
                                                             timeout=15_000)
    expect(page.locator("#chat-badge")).to_have_text("1")
    titles = set()
    for _ in range(12):  # the title blinks once a second while a citizen waits
        titles.add(page.title())
        page.wait_for_timeout(250)
    assert any("1 位市民等待接待" in t for t in titles) and len(titles) == 2
    page.goto("/agent")  # the console's header counts too
    expect(page.locator("#chat-badge")).to_have_text("1")


def test_printable_case_sheet(page, api):
    number = api.create_case(department="URBAN", title="占道经营")["number"]
    api("urban").act(number, "accept")
    api("urban").act(number, "reply", content="已安排执法队员清理占道摊点，并将持续巡查")
    login(page, "supervisor")
    page.goto(f"/cases/{number}")
    href = page.get_attribute("#print-sheet", "href")
    page.goto(href)
    expect(page.locator("h1")).to_contain_text("交办单")
    text = page.locator("body").inner_text()
    assert number in text and "已安排执法队员清理占道摊点" in text and "签收" in text
    assert "13800001111" not in text  # masked as on the case page
    page.emulate_media(media="print")
    expect(page.locator(".screen-only")).to_be_hidden()
    NOTES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(NOTES / "issue-12-case-sheet-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
