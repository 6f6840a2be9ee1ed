"""Early warning: volume spikes, clusters of similar requests with bulk merge and dispatch,
top terms, and the jobs that compute the rollup and the analysis with progress."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from rq import SimpleWorker

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import Case, CaseStatus, StatsState, utcnow
from hotline.presenters.hotspots import spike_rows
from hotline.services import cases, hotspots, periods, registration
from hotline.unit_of_work import unit_of_work
from tests.oversight.conftest import NOW, actor, local
from workflows import context, schedule
from workflows.queues import LOW, get_queue


def register(when, *, category="street_vending", content="书院街路口每天早上占道卖菜，车过不去",
             address="锦江区书院街", department=None):
    with unit_of_work(keep_loaded=True):
        return registration.register_case(actor("agent"), registration.NewCase(
            content=content, category=category, address=address, department=department,
            request_type="complaint"), now=when)


@pytest.fixture
def surge(world):
    """Street vending: one case a day for 28 days, then eight in the last 24 hours;
    property management: one a day throughout."""
    for day in range(1, 29):
        register(NOW - timedelta(days=day, hours=2))
    for hour in range(8):
        register(NOW - timedelta(hours=hour + 1))
    for day in range(0, 29):
        register(NOW - timedelta(days=day, hours=3), category="property_mgmt",
                 content="小区电梯坏了物业不修", address="武侯区玉林北路")


def test_a_category_well_above_its_usual_level_is_flagged(surge):
    flagged = spike_rows(hotspots.spikes("day", now=NOW))
    by_key = {s.label: s for s in flagged["category"]}
    assert "城市管理 / 占道经营" in by_key and "物业管理" not in by_key
    spike = by_key["城市管理 / 占道经营"]
    assert (spike.current, spike.baseline) == (8, 1.0)
    assert len(spike.cases) == 8 and all(c.created_at >= NOW - timedelta(days=1)
                                         for c in spike.cases)
    assert spike.link == {"category": "street_vending", "from": "2026-10-29",
                          "to": "2026-10-30"}
    assert [s.key for s in flagged["district"]] == ["锦江区"]


def test_nothing_is_flagged_on_a_steady_week(world):
    for day in range(0, 29):
        register(NOW - timedelta(days=day, hours=2))
    assert hotspots.spikes("day", now=NOW) == {"category": [], "district": []}


def test_the_hotspots_page_shows_spikes_with_their_cases(client, auth, world):
    now = utcnow()
    for day in range(1, 29):
        register(now - timedelta(days=day, hours=2))
    recent = [register(now - timedelta(minutes=10 * (i + 1))) for i in range(8)]
    auth.login("supervisor")
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert "诉求量突增预警" in html and "城市管理 / 占道经营" in html
    assert all(case.number in html for case in recent)


BASE = utcnow()  # the analysis job looks back from the real clock


@pytest.fixture
def cluster(world):
    text = "书院街路口每天早上占道卖菜，车过不去"
    same = [register(BASE - timedelta(hours=h), content=text + "！" * h) for h in range(1, 5)]
    register(BASE - timedelta(hours=2), content="玉林北路垃圾桶满了没人清运",
             address="武侯区玉林北路", category="property_mgmt")
    register(BASE - timedelta(days=30), content="书院街路口每天早上占道卖菜，车过不去")  # too old
    return same


def test_analysis_clusters_recent_open_cases_and_counts_terms(cluster, monkeypatch):
    words = re.compile("卖菜|路口|垃圾桶|没人")
    monkeypatch.setattr(hotspots, "tokenizer", lambda: words.findall)
    result = hotspots.analyse(now=BASE)
    assert [sorted(c["ids"]) for c in result["clusters"]] == [sorted(c.id for c in cluster)]
    assert result["clusters"][0]["place"] == "锦江区书院街街道"
    # the last 7 days: the old case is left out, and 没人 is a stopword
    assert result["terms"]["week"] == [["卖菜", 4], ["路口", 4], ["垃圾桶", 1]]
    assert result["terms"]["districts"]["武侯区"] == [["垃圾桶", 1]]
    assert result["terms"]["day"] == [["卖菜", 4], ["路口", 4], ["垃圾桶", 1]]


def test_the_default_tokenizer_segments_chinese():
    words = hotspots.tokenizer()("书院街路口每天早上占道卖菜")
    assert "书院街" in words and "卖菜" in words  # classifier.segment or jieba: both find them


def run_jobs(app, monkeypatch) -> None:
    monkeypatch.setattr(context, "_app", app)
    SimpleWorker([get_queue(LOW)], connection=get_redis()).work(burst=True)


def test_supervisor_merges_a_cluster_into_one_case(app, client, auth, cluster, monkeypatch):
    auth.login("supervisor")
    response = client.post("/oversight/hotspots/analyse")
    assert response.status_code == 303 and "job=hotspots-analyse" in response.location
    run_jobs(app, monkeypatch)
    assert client.get("/oversight/jobs/hotspots-analyse").get_json()["status"] == "finished"
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert all(case.number in html for case in cluster)
    primary, *others = [c.number for c in cluster]
    response = client.post("/oversight/hotspots/merge", data={
        "number": [primary, *others], "into": primary}, follow_redirects=True)
    assert "已将 3 件工单并入" in response.get_data(as_text=True)
    merged = db.session.query(Case).filter(Case.number.in_(others)).all()
    assert {c.status for c in merged} == {CaseStatus.MERGED}
    assert {c.merged_into.number for c in merged} == {primary}
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert not any(number in html for number in others)  # merged cases leave the cluster


def test_supervisor_dispatches_a_cluster_to_one_department(client, auth, cluster):
    numbers = [c.number for c in cluster]
    cases.perform(actor("agent"), numbers[0], "dispatch", {"department": "HOUSING"})
    auth.login("supervisor")
    response = client.post("/oversight/hotspots/dispatch", data={
        "number": numbers, "department": "URBAN"}, follow_redirects=True)
    assert "已派发 4 件工单" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {c.department.code for c in db.session.query(Case).filter(
        Case.number.in_(numbers))} == {"URBAN"}
    again = client.post("/oversight/hotspots/dispatch", data={
        "number": numbers[:1], "department": "URBAN"}, follow_redirects=True)
    assert "工单已在该单位办理" in again.get_data(as_text=True)  # refused, reported, harmless
    bad = client.post("/oversight/hotspots/dispatch", data={"number": numbers,
                                                            "department": "NOPE"})
    assert bad.status_code == 422


def test_bulk_actions_are_for_supervisors(client, auth, cluster):
    auth.login("agent")
    assert client.post("/oversight/hotspots/merge", data={"number": ["x"], "into": "y"}
                       ).status_code == 403
    auth.logout()
    auth.login("urban")
    assert client.post("/oversight/hotspots/dispatch", data={"number": ["x"]}).status_code == 403


def test_refresh_job_reports_progress_and_books_the_next_night(app, client, auth, week,
                                                               monkeypatch):
    auth.login("supervisor")
    response = client.post("/oversight/refresh", data={"from": "2026-10-19"})
    assert response.status_code == 303
    assert "job=stats-refresh" in response.location and "from=2026-10-19" in response.location
    assert client.get("/oversight/jobs/stats-refresh").get_json()["status"] == "queued"
    run_jobs(app, monkeypatch)
    state = client.get("/oversight/jobs/stats-refresh").get_json()
    assert state["status"] == "finished"
    assert state["progress"]["done"] == state["progress"]["total"] > 0
    assert db.session.get(StatsState, 1).covered_through == periods.local_date(utcnow()) - \
        timedelta(days=1)
    # The next night is the schedule's job (tests/workflows/test_worker_tick.py), not a booking.
    assert schedule.entry("stats-nightly").job == "workflows.stats.refresh_stats"
    assert client.get("/oversight/jobs/somebody-elses-job").get_json() == {"status": "unknown"}


def test_a_stale_rollup_queues_its_own_refresh(client, auth, world):
    auth.login("supervisor")
    client.get("/oversight")
    assert client.get("/oversight/jobs/stats-refresh").get_json()["status"] == "queued"


def test_nightly_time_follows_the_setting(app):
    app.config["STATS_REFRESH_AT"] = time(2, 15)
    nightly = schedule.entry("stats-nightly")
    assert schedule.next_run(nightly, app.config, local("2026-10-30 01:00")) == local(
        "2026-10-30 02:15")
    assert schedule.next_run(nightly, app.config, local("2026-10-30 03:00")) == local(
        "2026-10-31 02:15")
