"""Every figure right on the hand-made week (see conftest), live and from the rollup."""

from __future__ import annotations

from datetime import date

import pytest

from hotline.extensions import db
from hotline.models import Department, StatsDaily
from hotline.services import kpi, periods, rollup, stats
from hotline.unit_of_work import unit_of_work
from tests.oversight.conftest import NOW, local, refresh

WEEK = periods.Period(date(2026, 10, 19), date(2026, 10, 23))


def dept_id(code: str) -> int:
    return db.session.query(Department).filter_by(code=code).one().id


@pytest.fixture
def live(week):
    return stats.report(WEEK, now=NOW, live=True)


def test_volume_and_states(live):
    c = live.total.counts
    assert c["total"] == 10 and c["merged"] == 1
    assert (c["st_registered"], c["st_dispatched"], c["st_in_progress"], c["st_replied"],
            c["st_closed"]) == (1, 1, 1, 1, 5)
    assert live.series == [(date(2026, 10, 19), 4), (date(2026, 10, 20), 2),
                           (date(2026, 10, 21), 1), (date(2026, 10, 22), 2),
                           (date(2026, 10, 23), 1)]


def test_on_time_sign_for(live):
    c = live.total.counts
    # on time A C D E F (F by its second dispatch); late B (overdue fired first) and I
    assert (c["sign_on_time"], c["sign_late"]) == (5, 2)
    assert live.total.rates()["on_time_sign_rate"] == pytest.approx(5 / 7)


def test_on_time_completion(live):
    c = live.total.counts
    # on time A B D (extended first) E (fresh deadline after reopening); late C (overdue then
    # replied), F and I (still open past the deadline); H has no department
    assert (c["handle_on_time"], c["handle_late"]) == (4, 3)
    assert live.total.rates()["on_time_completion_rate"] == pytest.approx(4 / 7)


def test_resolution_satisfaction_reopen_direct_return(live):
    c = live.total.counts
    rates = live.total.rates()
    assert (c["closed"], c["resolved"]) == (5, 4)  # E was reopened
    assert rates["resolution_rate"] == pytest.approx(4 / 5)
    # worst rating per case: A satisfied, B basically, E dissatisfied; C expired unrated
    assert (c["rated"], c["satisfied"], c["basically_satisfied"], c["dissatisfied"],
            c["not_rated"]) == (3, 1, 1, 1, 1)
    assert rates["satisfaction_rate"] == pytest.approx(2 / 3)
    assert (c["answered"], c["reopened"]) == (6, 1)
    assert rates["reopen_rate"] == pytest.approx(1 / 6)
    assert c["direct"] == 1 and rates["direct_resolution_rate"] == pytest.approx(1 / 9)
    assert (c["dispatched"], c["returned"]) == (7, 1)
    assert rates["return_rate"] == pytest.approx(1 / 7)


def test_basically_satisfied_weight_is_a_setting(app, live):
    app.config["BASICALLY_SATISFIED_WEIGHT"] = 0.5
    assert live.total.rates()["satisfaction_rate"] == pytest.approx(1.5 / 3)


def test_handling_time(live):
    c = live.total.counts
    # last dispatch to latest reply: A 24 h, B 48 h, C 170 h, D 216 h, E 72 h
    assert c["handled"] == 5
    assert c["handle_seconds"] == (24 + 48 + 170 + 216 + 72) * 3600
    average, p90 = live.total.handling_hours()
    assert average == pytest.approx(106)
    assert p90 == pytest.approx(240)  # rank 5 of 5 falls in the (168, 240] h bucket


def test_breakdowns(live):
    channel = {s.key: s.get("total") for s in live.breakdowns["channel"]}
    assert channel == {"phone": 7, "wechat": 2, "mailbox": 1}
    category = {s.key: s.get("total") for s in live.breakdowns["category"]}
    assert category == {"street_vending": 7, "property_mgmt": 1, None: 2}
    kind = {s.key: s.get("total") for s in live.breakdowns["type"]}
    assert kind == {"complaint": 9, "consultation": 1}
    district = {s.key: s.get("total") for s in live.breakdowns["district"]}
    assert district == {"锦江区": 7, "武侯区": 2, None: 1}
    wechat = next(s for s in live.breakdowns["channel"] if s.key == "wechat")
    assert wechat.rates()["satisfaction_rate"] == pytest.approx(1 / 2)  # A yes, E no


def test_returns_count_against_the_department_that_returned(live):
    by_dept = {s.key: s for s in live.departments}
    assert by_dept["URBAN"].get("total") == 7
    assert by_dept[None].get("total") == 3  # G merged, H resolved, J registered
    assert by_dept["HOUSING"].get("total") == 0
    assert (by_dept["HOUSING"].get("assigned"), by_dept["HOUSING"].get("returned_by")) == (1, 1)
    assert by_dept["HOUSING"].rates()["return_rate"] == 1.0
    assert by_dept["URBAN"].get("assigned") == 7
    assert by_dept["URBAN"].rates()["return_rate"] == 0.0


def test_department_scope(week):
    housing = stats.report(WEEK, department_id=dept_id("HOUSING"), now=NOW, live=True)
    assert housing.total.get("total") == 0
    assert housing.total.rates()["return_rate"] == 1.0
    urban = stats.report(WEEK, department_id=dept_id("URBAN"), now=NOW, live=True)
    assert urban.total.get("total") == 7 and urban.total.get("sign_late") == 2
    assert [s.key for s in urban.departments] == ["URBAN"]


def test_the_rollup_and_the_live_computation_agree(week):
    live = stats.report(WEEK, now=NOW, live=True)
    result = refresh(now=NOW)
    assert result["through"] == "2026-10-29" and result["days"] == 11  # 19th to 29th
    rolled = stats.report(WEEK, now=NOW)
    assert rolled.rollup_through == date(2026, 10, 29) and rolled.live_from is None
    assert rolled.total.counts == live.total.counts
    assert rolled.series == live.series
    for dim in kpi.DIMENSIONS:
        assert {s.key: s.counts for s in rolled.breakdowns[dim]} == \
            {s.key: s.counts for s in live.breakdowns[dim]}
    assert {s.key: s.counts for s in rolled.departments} == \
        {s.key: s.counts for s in live.departments}
    urban = dept_id("URBAN")
    assert stats.report(WEEK, department_id=urban, now=NOW).total.counts == \
        stats.report(WEEK, department_id=urban, now=NOW, live=True).total.counts


def test_days_after_the_rollup_are_counted_live(week):
    refresh(now=local("2026-10-21 12:00"))  # rollup through the 20th only
    report = stats.report(WEEK, now=NOW)
    assert report.rollup_through == date(2026, 10, 20)
    assert report.live_from == date(2026, 10, 21)
    assert report.total.counts == stats.report(WEEK, now=NOW, live=True).total.counts


def test_refresh_rebuilds_only_days_whose_cases_changed(week, monkeypatch):
    from hotline.services import cases
    from tests.oversight.conftest import actor

    monkeypatch.setattr(rollup, "LOOKBACK_EVENTS", 0)  # no late-commit margin in this test
    refresh(now=NOW)
    assert refresh(now=NOW)["days"] == 0
    with unit_of_work():
        cases.perform(actor("urban"), week.cases["I"].number, "accept", now=NOW)
    again = refresh(now=NOW)
    assert again["days"] == 1  # the 22nd, the day I was registered
    rows = db.session.query(StatsDaily).filter_by(day=date(2026, 10, 22), dimension="all").all()
    # I is in progress now: open cases are counted live by the report, not held in the rollup
    assert sum(r.st_in_progress for r in rows) == 0
    assert sum(r.total for r in rows) == sum(
        1 for c in week.cases.values()
        if periods.local_date(c.created_at) == date(2026, 10, 22) and c.status in rollup.SETTLED)
    day = periods.Period(date(2026, 10, 22), date(2026, 10, 22))
    report = stats.report(day, now=NOW)
    assert report.total.get("st_in_progress") >= 1
    assert report.total.counts == stats.report(day, now=NOW, live=True).total.counts
    assert refresh(full=True, now=NOW)["days"] == 11


def test_assessment_ranks_departments_by_weighted_score(app, week):
    app.config["ASSESSMENT_MIN_CASES"] = 1
    report = stats.report(WEEK, now=NOW, live=True)
    ranked = stats.assessment(report.departments)
    urban = next(a for a in ranked if a.department.key == "URBAN")
    rates = urban.department.rates()
    weights = app.config["ASSESSMENT_WEIGHTS"]
    parts = {"sign": 100 * rates["on_time_sign_rate"],
             "completion": 100 * rates["on_time_completion_rate"],
             "resolution": 100 * rates["resolution_rate"],
             "satisfaction": 100 * rates["satisfaction_rate"],
             "return": 100 * (1 - rates["return_rate"]), "reopen": 100 * (1 - rates["reopen_rate"])}
    expected = sum(weights[k] * v for k, v in parts.items()) / sum(weights[k] for k in parts)
    assert urban.score == pytest.approx(expected)
    assert urban.parts["inspection"] is None  # no manual score: the part weighs nothing
    assert urban.rank == 1
    # a manual inspection score joins as one more weighted part
    with_manual = stats.assessment(report.departments, {"URBAN": 40.0})
    joined = next(a for a in with_manual if a.department.key == "URBAN")
    assert joined.parts["inspection"] == 40.0
    assert joined.score == pytest.approx(
        (sum(weights[k] * v for k, v in parts.items()) + weights["inspection"] * 40.0)
        / (sum(weights[k] for k in parts) + weights["inspection"]))
    housing = next(a for a in ranked if a.department.key == "HOUSING")
    assert housing.rank is None  # no case of its own: too few to rank
    assert housing.parts["return"] == 0.0


def test_period_checks_dates():
    from hotline.errors import InvalidInput

    with pytest.raises(InvalidInput) as bad:
        periods.period_from("2026-13-01", None)
    assert bad.value.field == "from"
    with pytest.raises(InvalidInput) as reversed_:
        periods.period_from("2026-10-20", "2026-10-19")
    assert reversed_.value.field == "to"


def test_whole_months_are_read_from_the_monthly_sums(week):
    later = local("2026-11-15 12:00")
    refresh(now=later)
    period = periods.Period(date(2026, 9, 15), date(2026, 11, 10))
    days, months = periods.split_months(period)
    assert months == periods.Period(date(2026, 10, 1), date(2026, 10, 1))
    assert days == [periods.Period(date(2026, 9, 15), date(2026, 9, 30)),
                    periods.Period(date(2026, 11, 1), date(2026, 11, 10))]
    rolled = stats.report(period, now=later)
    live = stats.report(period, now=later, live=True)
    assert rolled.live_from is None and rolled.total.get("total") == 10
    assert rolled.total.counts == live.total.counts
    assert {s.key: s.counts for s in rolled.departments} == \
        {s.key: s.counts for s in live.departments}
    for dim in kpi.DIMENSIONS:
        assert {s.key: s.counts for s in rolled.breakdowns[dim]} == \
            {s.key: s.counts for s in live.breakdowns[dim]}
    assert rolled.series == live.series


def test_month_splitting_edges():
    def split(a, b):
        return periods.split_months(periods.Period(date.fromisoformat(a), date.fromisoformat(b)))

    assert split("2026-10-01", "2026-10-31") == ([], periods.Period(date(2026, 10, 1),
                                                                  date(2026, 10, 1)))
    assert split("2026-10-02", "2026-10-31")[1] is None
    assert split("2026-01-01", "2026-12-31")[1] == periods.Period(date(2026, 1, 1),
                                                                date(2026, 12, 1))
    assert split("2026-02-10", "2026-03-05") == (
        [periods.Period(date(2026, 2, 10), date(2026, 3, 5))], None)


def test_refresh_joins_the_callers_transaction(week):
    rollup.refresh(now=NOW)  # no unit of work: nothing is committed
    assert rollup.state() is not None
    db.session.rollback()
    assert rollup.state() is None and db.session.query(StatsDaily).count() == 0


def test_a_failed_rebuild_leaves_the_previous_rollup_whole(week):
    refresh(now=local("2026-10-21 12:00"))  # through the 20th
    before = db.session.query(StatsDaily).count()
    assert before > 0

    def worker_lost(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        refresh(full=True, now=NOW, progress=worker_lost)
    assert rollup.state().covered_through == date(2026, 10, 20)
    assert db.session.query(StatsDaily).count() == before
    assert stats.report(WEEK, now=NOW).total.counts == \
        stats.report(WEEK, now=NOW, live=True).total.counts
