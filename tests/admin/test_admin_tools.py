"""An admin's tools through the pages: users edited, passwords reset (typed or generated,
every session and token of the user ended), each account's state in words, time limit
policies edited and deleted, the calendar warning naming every incomplete year, the queue
page's failures in words, retraining's progress."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rq import Queue, SimpleWorker

from hotline.blueprints import admin as admin_views
from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import SlaPolicy, User
from hotline.services import accounts, directory, sla, throttle
from hotline.unit_of_work import unit_of_work


def _row(html: str, marker: str) -> str:
    """The table row that carries ``marker`` (a data- attribute)."""
    match = re.search(r"<tr[^>]*" + re.escape(marker) + r".*?</tr>", html, re.S)
    assert match, marker
    return match.group(0)


def test_the_users_table_says_each_accounts_state_in_words(client, auth, world):
    with unit_of_work():
        directory.set_user_active("urban2", False)
        accounts.reset_password("housing", "Temporary-pass-set-1")
    rule = accounts._rules()[0]  # noqa: SLF001 - as many failures as lock the account
    throttle.count_failure(["hotline:login:user:agent"] * (rule.free + 1), rule.keep)
    auth.login("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "启用中" in _row(html, 'data-username="supervisor"')
    assert "已停用" in _row(html, 'data-username="urban2"')
    assert "待修改密码" in _row(html, 'data-username="housing"')
    assert "登录已锁定" in _row(html, 'data-username="agent"')
    english = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "Sign-in locked" in _row(english, 'data-username="agent"')
    assert "登录已锁定" not in english


def test_an_admin_edits_a_users_name_role_and_department(client, auth, world):
    auth.login("admin")
    response = client.post("/admin/users", data={
        "op": "update", "username": "urban2", "display_name": "王五", "role": "department",
        "department": "HOUSING"}, follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    user = directory.user_by_username("urban2")
    assert (user.display_name, user.role.value, user.department.code) == (
        "王五", "department", "HOUSING")
    response = client.post("/admin/users", data={
        "op": "update", "username": "urban2", "display_name": "王五", "role": "department",
        "department": ""}, follow_redirects=True)
    assert "承办单位人员必须指定所属单位" in response.get_data(as_text=True)
    client.post("/admin/users", data={"op": "update", "username": "urban2",
                                      "display_name": "", "role": "supervisor"})
    db.session.expire_all()
    user = directory.user_by_username("urban2")
    assert (user.role.value, user.department, user.display_name) == (
        "supervisor", None, "urban2")


def test_a_generated_password_is_shown_once_and_ends_the_users_sessions_and_tokens(
        app, client, auth, api, world):
    victim = app.test_client()
    victim.post("/login", data={"username": "urban", "password": "Kestrel-lamp-river-72"})
    assert victim.get("/workbench").status_code == 200
    assert api("urban").get("/api/v1/cases").status_code == 200
    auth.login("admin")
    response = client.post("/admin/users", data={"op": "reset", "username": "urban",
                                                 "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "只显示这一次" in html
    generated = re.search(r'id="generated-password">([^<]+)<', html).group(1)
    assert len(generated) >= 12
    assert "只显示这一次" not in client.get("/admin/users").get_data(as_text=True)
    assert victim.get("/workbench").status_code in (302, 401)
    assert api("urban").get("/api/v1/cases").status_code == 401
    db.session.expire_all()
    user = directory.user_by_username("urban")
    assert user.check_password(generated) and user.must_change_password


def test_an_admin_typed_password_must_follow_the_policy(client, auth, world):
    auth.login("admin")
    response = client.post("/admin/users", data={"op": "reset", "username": "urban",
                                                 "password": "short"}, follow_redirects=True)
    assert "密码至少 12 位" in response.get_data(as_text=True)


def _policy(name: str) -> SlaPolicy:
    return db.session.query(SlaPolicy).filter_by(name=name).one()


def test_an_admin_edits_and_deletes_time_limit_policies(client, auth, world):
    with unit_of_work():
        sla.seed_default_policies()
    auth.login("admin")
    praise = _policy("一般表扬")
    response = client.post("/admin/sla", data={
        "op": "update", "id": praise.id, "name": "表扬", "urgency": "normal", "type": "praise",
        "accept": "2d", "handle": "4d", "warn": "80", "calendar": "natural"},
        follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    db.session.expire_all()
    praise = db.session.get(SlaPolicy, praise.id)
    assert (praise.name, praise.accept, praise.handle, praise.warn_percent,
            praise.calendar.value) == ("表扬", "2d", "4d", 80, "natural")
    response = client.post("/admin/sla", data={
        "op": "update", "id": praise.id, "name": "表扬", "urgency": "normal", "type": "help",
        "accept": "1d", "handle": "3d", "warn": "75", "calendar": "workday"},
        follow_redirects=True)
    assert "「一般求助」已规定这一紧急程度和类型的时限" in response.get_data(as_text=True)
    response = client.post("/admin/sla", data={"op": "delete", "id": praise.id},
                           follow_redirects=True)
    assert "已删除" in response.get_data(as_text=True)
    assert db.session.get(SlaPolicy, praise.id) is None
    general = _policy("一般")
    response = client.post("/admin/sla?lang=en", data={"op": "delete", "id": general.id},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "general time limit every case falls back on" in text and "通用时限" not in text
    assert db.session.get(SlaPolicy, general.id) is not None
    response = client.post("/admin/sla", data={"op": "delete", "id": "99999999999"},
                           follow_redirects=True)
    assert response.status_code == 200


def _warning(html: str, year: int) -> str | None:
    match = re.search(rf'<li data-year="{year}">(.*?)</li>', html)
    return match.group(1) if match else None


def test_three_days_of_a_year_do_not_clear_its_calendar_warning(client, auth, world,
                                                                 monkeypatch):
    monkeypatch.setattr(admin_views, "utcnow", lambda: datetime(2026, 12, 2, tzinfo=UTC))
    auth.login("admin")
    assert _warning(client.get("/admin/sla").get_data(as_text=True), 2027) == (
        "2027 年缺少：元旦、春节、清明、劳动节、端午、国庆节")
    client.post("/admin/sla", data={"op": "calendar", "csv": (
        "2027-01-01,休,元旦\n2027-02-06,休,春节\n2027-02-07,休,春节")})
    html = client.get("/admin/sla").get_data(as_text=True)
    assert _warning(html, 2027) == "2027 年缺少：清明、劳动节、端午、国庆节"
    english = client.get("/admin/sla?lang=en").get_data(as_text=True)
    assert _warning(english, 2027) == (
        "2027 lacks: Qingming Festival, Labour Day, Dragon Boat Festival, National Day")
    full = "\n".join(f"2027-{day},休,{name}" for day, name in (
        ("01-01", "元旦"), ("02-06", "春节"), ("04-05", "清明节"), ("05-01", "劳动节"),
        ("06-09", "端午节"), ("10-01", "国庆节")))
    client.post("/admin/sla", data={"op": "calendar", "csv": full})
    html = client.get("/admin/sla").get_data(as_text=True)
    assert _warning(html, 2027) is None and "calendar-warning" not in html


def test_the_queue_page_summarises_a_failure_and_hides_its_trace(client, auth, world):
    queue = Queue("hotline", connection=get_redis())
    queue.enqueue("json.loads", "gateway exploded")
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    auth.login("supervisor")
    html = client.get("/queues").get_data(as_text=True)
    summary = re.search(r'<p class="failure-summary">(.*?)</p>', html, re.S).group(1)
    assert "任务 json.loads 于" in summary and "JSONDecodeError" in summary
    assert "Traceback" not in summary
    details = re.search(r"<details>.*?</details>", html, re.S).group(0)
    assert "Traceback" in details and "查看错误详情" in details
    assert "UTC" not in html
    english = client.get("/queues?lang=en").get_data(as_text=True)
    assert "Job json.loads failed at" in english and "任务" not in english


def test_retraining_progress_is_polled_from_the_page(client, auth, world):
    queue = Queue("hotline-low", connection=get_redis())
    job = queue.enqueue("workflows.retrain.retrain")
    job.meta["progress"] = {"stage": "training", "done": 10, "total": 100}
    job.save_meta()
    auth.login("admin")
    html = client.get(f"/admin/models?job={job.id}").get_data(as_text=True)
    assert f'data-job-url="/admin/models/jobs/{job.id}"' in html
    assert 'data-stage-training="训练模型"' in html and "js/oversight.js" in html
    state = client.get(f"/admin/models/jobs/{job.id}").get_json()
    assert state == {"status": "queued", "progress": {"stage": "training", "done": 10,
                                                      "total": 100}}
    other = queue.enqueue("json.loads", "{}")
    assert client.get(f"/admin/models/jobs/{other.id}").get_json() == {"status": "unknown"}
    assert client.get("/admin/models/jobs/nope").get_json() == {"status": "unknown"}


def test_a_training_error_is_shown_in_the_pages_language_only(client, auth, world):
    from classifier.errors import TrainingDataError
    from hotline.models import ModelSource
    from hotline.services import suggestions

    error = TrainingDataError(
        "以下类别只有一个样本：praise；每个类别至少需要 2 个（建议 15 个以上），请补充样本"
        "或合并/删除该类别 / class(es) with only one example: praise; each class needs "
        "at least 2 (15+ recommended): add examples, or merge or drop the class")
    with unit_of_work():
        record = suggestions.start_training(ModelSource.CASES, 3)
        suggestions.training_failed(record.id, error)
    auth.login("admin")
    chinese = client.get("/admin/models").get_data(as_text=True)
    assert "以下类别只有一个样本：praise" in chinese and "only one example" not in chinese
    assert "合并/删除该类别" in chinese  # a slash inside one language is kept
    english = client.get("/admin/models?lang=en").get_data(as_text=True)
    assert "only one example: praise" in english and "以下类别" not in english


def test_a_bad_calendar_row_is_told_in_the_pages_language(client, auth, world):
    auth.login("admin")
    response = client.post("/admin/sla", data={"op": "calendar", "csv": (
        "2027-01-01,休,元旦\n2027-13-01,休,春节")}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "日历文件第 2 行的日期 2027-13-01 无效" in html and "bad date" not in html
    response = client.post("/admin/sla?lang=en", data={"op": "calendar", "csv": (
        "2027-01-01,vacation,元旦")}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Calendar file line 1: the kind vacation is not valid" in html
    assert "日历文件" not in html


def test_an_admin_sets_the_address_a_supervisor_receives_warnings_at(client, auth, world):
    auth.login("admin")
    form = {"op": "update", "username": "supervisor", "display_name": "督办", "role":
            "supervisor", "department": ""}
    saved = client.post("/admin/users", data={**form, "email": " duban@example.gov.cn "},
                        follow_redirects=True)
    assert "已保存" in saved.get_data(as_text=True)
    assert directory.user_by_username("supervisor").email == "duban@example.gov.cn"
    assert 'value="duban@example.gov.cn"' in _row(client.get("/admin/users").get_data(
        as_text=True), 'data-username="supervisor"')
    for bad in ("duban", "duban@localhost", "a@b@c.cn", "x <x@example.cn>", "a@b.c" + "n" * 200):
        refused = client.post("/admin/users", data={**form, "email": bad},
                              follow_redirects=True).get_data(as_text=True)
        assert "email" in refused or "电子邮件" in refused, bad
        db.session.expire_all()
        assert directory.user_by_username("supervisor").email == "duban@example.gov.cn", bad
    # a form without the field keeps the address; a blank field removes it
    client.post("/admin/users", data=form)
    db.session.expire_all()
    assert directory.user_by_username("supervisor").email == "duban@example.gov.cn"
    client.post("/admin/users", data={**form, "email": ""})
    db.session.expire_all()
    assert directory.user_by_username("supervisor").email is None
    added = client.post("/admin/users", data={
        "username": "duban2", "role": "supervisor", "password": "Kestrel-lamp-river-99",
        "email": "duban2@example.gov.cn"}, follow_redirects=True)
    assert "已添加" in added.get_data(as_text=True)
    assert directory.user_by_username("duban2").email == "duban2@example.gov.cn"
    assert client.post("/admin/users", data={
        "username": "duban3", "role": "supervisor", "password": "Kestrel-lamp-river-98",
        "email": "not-an-address"}, follow_redirects=True).status_code == 200
    assert db.session.query(User).filter_by(username="duban3").first() is None
