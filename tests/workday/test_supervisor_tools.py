"""The supervisor's queues and tools on /cases and the API: queues with counts, filters,
phone search, sorting, export and bulk actions."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Case, User, utcnow
from hotline.services import cases, queries
from hotline.services.actors import Actor


def _case(api, **fields) -> str:
    return api.create_case(**fields)["number"]


@pytest.fixture
def queues(api, world):
    """One case in each queue, and one plain registered case."""
    extension = _case(api, department="URBAN", content="路灯坏了，申请延期的那件")
    api("urban").act(extension, "accept")
    api("urban").act(extension, "extend", days=3, reason="需要采购灯具")
    returned = _case(api, department="URBAN", content="不归城管的那件")
    api("urban").act(returned, "return", reason="非本单位职责")
    reopened = _case(api, department="URBAN", content="市民不满意又重办的那件")
    api("urban").act(reopened, "accept")
    api("urban").act(reopened, "reply", content="已处理")
    api("supervisor").act(reopened, "reopen", reason="市民说没处理")
    overdue = _case(api, department="HOUSING", content="物业超时没签收的那件")
    due_today = _case(api, department="HOUSING", content="今天到期的那件")
    now = utcnow()
    for number, deadline in ((overdue, now - timedelta(hours=1)),
                             (due_today, now + timedelta(minutes=5))):
        case = db.session.query(Case).filter_by(number=number).one()
        case.sign_deadline = deadline
    db.session.commit()
    plain = _case(api, content="只登记未派单的那件", citizen={"phone": "0571-87654321"})
    return {"extension": extension, "returned": returned, "reopened": reopened,
            "overdue": overdue, "due_today": due_today, "plain": plain}


def _numbers(body) -> set[str]:
    return {item["number"] for item in body["items"]}


def test_each_queue_lists_its_cases_and_the_header_counts_them(client, auth, queues):
    auth.login("supervisor")
    html = client.get("/cases").get_data(as_text=True)
    for name in ("extension", "returned", "reopened", "overdue", "due_today"):
        count = re.search(rf'data-queue="{name}">[^<]*<span class="count">(\d+)</span>', html)
        assert count and count.group(1) == "1", name
        listed = client.get(f"/cases?queue={name}").get_data(as_text=True)
        assert queues[name] in listed, name
        others = set(queues.values()) - {queues[name]}
        if name != "due_today":  # the due-today case may also be... only itself
            assert not any(n in listed for n in others), name


@pytest.mark.parametrize("username", ["supervisor", "urban", "housing"])
def test_header_counts_equal_a_count_of_each_queue_among_the_visible_cases(queues, username):
    """The header counts the open cases from one index with the visibility as a condition;
    each count must equal the queue's cases among every case the actor may see."""
    actor = Actor.from_user(db.session.query(User).filter_by(username=username).one())
    counts = queries.queue_counts(actor)
    now = utcnow()
    for name in queries.QUEUES:
        expected = db.session.scalar(select(func.count()).select_from(
            cases.visible_cases(actor).where(queries.queue_condition(name, now)).subquery()))
        assert counts[name] == expected, (username, name)
    assert sum(counts.values()) > 0
    if username == "housing":  # HOUSING sees its own two, not URBAN's three
        assert (counts["overdue"], counts["due_today"], counts["extension"]) == (1, 1, 0)


def test_header_counts_each_running_clock_up_to_the_end_of_the_local_day(api, world):
    """The header counts overdue and due-today cases as ranges of each clock's deadline
    (sign while dispatched, handle while in progress); a deadline that has passed on a case
    whose clock has stopped, or one at local midnight or later, is in neither."""
    from hotline.services.queries import _local_day_end

    now = utcnow()
    midnight = _local_day_end(now)
    made = {}
    for name, action, deadline in (
            ("sign_overdue", None, now - timedelta(days=400)),
            ("sign_today", None, now + (midnight - now) / 2),
            ("sign_midnight", None, midnight),
            ("handle_overdue", "accept", now - timedelta(minutes=1)),
            ("handle_today", "accept", midnight - timedelta(seconds=1)),
            ("handle_tomorrow", "accept", midnight + timedelta(hours=3)),
            ("replied_late", "reply", now - timedelta(days=2))):
        number = _case(api, department="URBAN", content=f"时钟 {name}")
        if action:
            api("urban").act(number, "accept")
        if action == "reply":
            api("urban").act(number, "reply", content="已处理")
        case = db.session.query(Case).filter_by(number=number).one()
        case.sign_deadline = case.handle_deadline = deadline
        made[name] = number
    db.session.commit()
    actor = Actor.from_user(db.session.query(User).filter_by(username="supervisor").one())
    counts = queries.queue_counts(actor)
    assert (counts["overdue"], counts["due_today"]) == (2, 2)
    for name in ("overdue", "due_today"):
        listed = {c.number for c in db.session.scalars(
            select(Case).where(queries.queue_condition(name, utcnow())))}
        assert listed == {made[f"sign_{name.replace('due_', '')}"],
                          made[f"handle_{name.replace('due_', '')}"]}, name


def test_pending_extension_filter_on_the_page_and_the_api(client, auth, api, queues):
    body = api("supervisor").get("/api/v1/cases?pending=extension").get_json()
    assert _numbers(body) == {queues["extension"]}
    assert api("supervisor").get("/api/v1/cases?pending=other").status_code == 422
    auth.login("supervisor")
    html = client.get("/cases?pending=extension").get_data(as_text=True)
    assert queues["extension"] in html and queues["returned"] not in html
    reopened = api("supervisor").get("/api/v1/cases?reopened=1").get_json()
    assert _numbers(reopened) == {queues["reopened"]}
    urgent = api("supervisor").get("/api/v1/cases?urgency=urgent").get_json()
    assert _numbers(urgent) == set()


@pytest.mark.parametrize("typed", ["13800001111", "+86 138-0000-1111", "138 0000 1111",
                                   "0086 13800001111"])
def test_search_by_the_citizens_phone_in_any_format(client, auth, api, queues, typed):
    body = api("supervisor").get("/api/v1/cases", query_string={"phone": typed}).get_json()
    assert queues["extension"] in _numbers(body) and queues["plain"] not in _numbers(body)
    auth.login("supervisor")
    html = client.get("/cases", query_string={"phone": typed}).get_data(as_text=True)
    assert queues["overdue"] in html
    rows = html[html.index("<tbody>"):html.index("</tbody>")]
    assert "13800001111" not in rows  # the list never shows the number


def test_landline_search_and_a_bad_number_named(client, auth, api, queues):
    body = api("supervisor").get("/api/v1/cases?phone=(0571)8765-4321").get_json()
    assert _numbers(body) == {queues["plain"]}
    refused = api("supervisor").get("/api/v1/cases?phone=abc")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "phone"


def test_sortable_columns(client, auth, api, queues):
    oldest_first = api("supervisor").get("/api/v1/cases?sort=number").get_json()["items"]
    numbers = [i["number"] for i in oldest_first]
    assert numbers == sorted(numbers)
    page = api("supervisor").get("/api/v1/cases?sort=deadline&limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api("supervisor").get(
        f"/api/v1/cases?sort=deadline&limit=50&cursor={page['next_cursor']}").get_json()
    assert len(page["items"]) + len(rest["items"]) == len(queues)
    assert not _numbers(page) & _numbers(rest)
    auth.login("supervisor")
    html = client.get("/cases?sort=-created").get_data(as_text=True)
    assert "▼" in html


def test_export_of_the_filtered_list(client, auth, api, queues):
    response = api("supervisor").get("/api/v1/cases/export?format=csv&department=HOUSING")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert queues["overdue"] in text and queues["extension"] not in text
    assert "13800001111" not in text
    xlsx = api("supervisor").get("/api/v1/cases/export?format=xlsx&queue=returned")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == [queues["returned"]]
    assert api("supervisor").get("/api/v1/cases/export?format=pdf").status_code == 422
    assert client.get("/api/v1/cases/export").status_code == 401
    auth.login("supervisor")
    page = client.get("/cases/export.csv?queue=overdue")
    assert page.status_code == 200 and queues["overdue"] in page.get_data().decode("utf-8-sig")
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/cases/export" in spec["paths"] and "/api/v1/cases/bulk" in spec["paths"]


def test_bulk_actions_answer_per_case(client, auth, api, queues):
    body = api("supervisor").post("/api/v1/cases/bulk", json={
        "action": "supervise", "numbers": [queues["overdue"], queues["due_today"], "999"],
        "note": "请今天处理"}).get_json()
    assert body["done"] == 2
    outcome = {r["number"]: r for r in body["results"]}
    assert outcome[queues["overdue"]]["ok"] and outcome[queues["due_today"]]["ok"]
    assert outcome["999"]["ok"] is False and outcome["999"]["error"]["code"] == "not_found"
    dispatched = api("supervisor").post("/api/v1/cases/bulk", json={
        "action": "dispatch", "numbers": [queues["returned"], queues["plain"]],
        "department": "HOUSING"}).get_json()
    assert dispatched["done"] == 2
    assert api("agent").post("/api/v1/cases/bulk", json={
        "action": "close", "numbers": [queues["plain"]]}).status_code == 403
    assert api("supervisor").post("/api/v1/cases/bulk", json={
        "action": "merge", "numbers": [queues["plain"]]}).status_code == 422
    auth.login("supervisor")
    response = client.post("/cases/bulk", data={
        "action": "close", "numbers": [queues["reopened"], queues["overdue"]]},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "不能执行" in html  # neither is replied: each refusal said with its number
    assert queues["reopened"] in html


def test_the_queues_hold_only_cases_still_open(client, auth, api, queues):
    """A request left on a case no longer running (here closed behind the service's back)
    can no longer be decided: neither listed nor counted. The header counts open cases
    only, so its cost follows them and not the archive."""
    case = db.session.query(Case).filter_by(number=queues["extension"]).one()
    case.status = "closed"
    db.session.commit()
    auth.login("supervisor")
    html = client.get("/cases").get_data(as_text=True)
    count = re.search(r'data-queue="extension">[^<]*<span class="count">(\d+)</span>', html)
    assert count and count.group(1) == "0"
    listed = client.get("/cases?queue=extension").get_data(as_text=True)
    assert queues["extension"] not in listed
