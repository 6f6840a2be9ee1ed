"""An admin's tools in the browser: a user edited and a password reset, a time limit policy
edited and deleted, the calendar warning, the admin tables' columns under their headers,
retraining's progress, and the failures on /queues behind their toggle. Screenshots of the
users, time limit and queue pages are kept for the issue's note."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect
from rq import Queue, SimpleWorker

from hotline.blueprints import admin as admin_views
from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import SlaPolicy
from hotline.services import directory, sla
from hotline.unit_of_work import unit_of_work
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread
SHOTS = Path("/tmp")  # copied into the note by hand


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"w12admin-{name}.png"), full_page=True)


def test_admin_edits_a_user_and_resets_a_password(page, browser, live_server, world):
    login(page, "admin")
    page.goto("/admin/users")
    row = page.locator("tr[data-username=urban2]")
    expect(row.locator("td.state")).to_have_text("启用中")
    row.locator("input[name=display_name]").fill("王五")
    row.locator("select[name=department]").select_option("HOUSING")
    row.locator("button.save").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存")
    db.session.expire_all()
    user = directory.user_by_username("urban2")
    assert (user.display_name, user.department.code) == ("王五", "HOUSING")

    page.locator("tr[data-username=urban] form.reset button").click()
    expect(page.locator(".generated-password")).to_contain_text("只显示这一次")
    password = page.locator("#generated-password").inner_text().strip()
    expect(page.locator("tr[data-username=urban] td.state")).to_contain_text("待修改密码")
    _shot(page, "users")

    other = browser.new_context(base_url=live_server)
    try:
        them = other.new_page()
        login(them, "urban", password)
        expect(them.locator("input[name=new_password], input[name=password]").first
               ).to_be_visible()
        assert "/password" in them.url or "密码" in them.content()
    finally:
        other.close()


def _policy(name: str) -> SlaPolicy:
    db.session.expire_all()
    return db.session.query(SlaPolicy).filter_by(name=name).one_or_none()


def test_admin_edits_and_deletes_time_limit_policies_and_sees_the_calendar_warning(
        page, world, monkeypatch):
    monkeypatch.setattr(admin_views, "utcnow", lambda: datetime(2026, 12, 2, tzinfo=UTC))
    with unit_of_work():
        sla.seed_default_policies()
    login(page, "admin")
    page.goto("/admin/sla")
    praise = page.locator("tr[data-policy=一般表扬]")
    praise.locator("input[name=handle]").fill("4d")
    praise.locator("button.save").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存")
    assert _policy("一般表扬").handle == "4d"

    page.locator("tr[data-policy=一般建议] button.delete").click()
    expect(page.locator(".flash-success")).to_contain_text("已删除")
    expect(page.locator("tr[data-policy=一般建议]")).to_have_count(0)
    assert _policy("一般建议") is None

    page.locator("tr[data-policy=一般] button.delete").click()
    expect(page.locator(".flash-error")).to_contain_text("通用时限，不能删除")
    assert _policy("一般") is not None

    page.fill("textarea[name=csv]", "2027-01-01,休,元旦\n2027-02-06,休,春节\n2027-02-07,休,春节")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("已导入")
    expect(page.locator(".calendar-warning li[data-year='2027']")).to_have_text(
        "2027 年缺少：清明、劳动节、端午、国庆节")
    _shot(page, "sla")


def test_admin_tables_have_one_cell_under_each_header(page, world):
    login(page, "admin")
    for path in ("/admin/departments", "/admin/categories", "/admin/users", "/admin/sla"):
        page.goto(path)
        table = page.locator("table").first
        headers = table.locator("thead th").count()
        cells = table.locator("tbody tr").first.locator("> td")
        assert cells.count() == headers, path
        for i in range(headers):  # each cell starts where its header starts
            head = table.locator("thead th").nth(i).bounding_box()
            cell = cells.nth(i).bounding_box()
            assert abs(head["x"] - cell["x"]) < 2, (path, i)


def test_retraining_shows_its_stage_and_percent(page, world):
    job = Queue("hotline-low", connection=get_redis()).enqueue("workflows.retrain.retrain")
    job.meta["progress"] = {"stage": "training", "done": 10, "total": 100}
    job.save_meta()
    login(page, "admin")
    page.goto(f"/admin/models?job={job.id}")
    expect(page.locator(".job .job-text")).to_contain_text("排队")
    job.set_status("started")
    expect(page.locator(".job .job-text")).to_contain_text("训练模型 10%")
    job.meta["progress"] = {"stage": "saving", "done": 80, "total": 100}
    job.save_meta()
    expect(page.locator(".job .job-text")).to_contain_text("保存模型 80%")
    expect(page.locator(".job progress")).to_have_attribute("value", "80")


def test_a_failed_job_is_summarised_with_its_trace_behind_a_toggle(page, world):
    queue = Queue("hotline", connection=get_redis())
    queue.enqueue("json.loads", "gateway exploded")
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    login(page, "supervisor")
    page.goto("/queues")
    failure = page.locator("tr.failure")
    expect(failure.locator(".failure-summary")).to_contain_text("任务 json.loads 于")
    expect(failure.locator(".failure-summary")).to_contain_text("JSONDecodeError")
    trace = failure.locator("pre.error-trace")
    expect(trace).to_be_hidden()
    failure.locator("summary").click()
    expect(trace).to_be_visible()
    expect(trace).to_contain_text("Traceback")
    _shot(page, "queues")
