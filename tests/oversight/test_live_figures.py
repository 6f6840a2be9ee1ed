"""Figures are right at the moment they are asked, even for rolled-up past days whose cases
changed after the rollup was built (no 更新汇总数据 needed)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Case, CaseEvent, CaseStatus, StatsDaily, utcnow
from hotline.services import periods, rollup, stats
from tests.oversight.conftest import NOW, act, local, refresh

WEEK = periods.Period(date(2026, 10, 19), date(2026, 10, 23))
PERIOD = "from=2026-10-19&to=2026-10-23"


def _recount() -> dict[str, int]:
    """The week's cases by status, straight from the case rows."""
    start, end = WEEK.window()
    rows = db.session.execute(select(Case.status, func.count()).where(
        Case.created_at >= start, Case.created_at < end).group_by(Case.status))
    return {status.value: n for status, n in rows}


def _returned_recount() -> int:
    start, end = WEEK.window()
    return db.session.scalar(select(func.count(func.distinct(CaseEvent.case_id)))
                             .join(Case, Case.id == CaseEvent.case_id)
                             .where(Case.created_at >= start, Case.created_at < end,
                                    CaseEvent.action == "return")) or 0


@pytest.fixture
def changed_after_rollup(week):
    """The rollup is built, then cases of those past days move on."""
    refresh(now=NOW)
    c = week.cases
    act(c["F"], "urban", "reply", "2026-10-30 13:00", content="物业已整改")
    act(c["A"], "supervisor", "reopen", "2026-10-30 13:10", reason="市民再次来电")
    act(c["I"], "urban", "return", "2026-10-23 09:00", reason="非本单位职责")  # returned late
    act(c["J"], "agent", "dispatch", "2026-10-30 13:20", department="HOUSING")
    return week


def test_the_report_equals_a_live_recount_after_changes_on_past_days(changed_after_rollup):
    rolled = stats.report(WEEK, now=local("2026-10-30 14:00"))
    live = stats.report(WEEK, now=local("2026-10-30 14:00"), live=True)
    assert rolled.rollup_through == date(2026, 10, 29)
    assert rolled.total.counts == live.total.counts
    assert {s.key: s.counts for s in rolled.departments} == \
        {s.key: s.counts for s in live.departments}
    assert rolled.series == live.series
    assert rolled.recounted_days > 0


def test_the_stats_endpoint_matches_the_case_rows(api, changed_after_rollup):
    body = api("supervisor").get(f"/api/v1/stats?{PERIOD}").get_json()
    by_status = {k: v for k, v in body["by_status"].items() if v}
    assert by_status == _recount()
    assert body["total"] == sum(_recount().values())
    recount = _recount()
    closed = recount.get(CaseStatus.CLOSED.value, 0)
    assert body["by_status"]["closed"] == closed
    assert body["counts"]["returned"] == _returned_recount()
    fresh = body["freshness"]
    # Only the day of A (closed when rolled up, then reopened) is recounted whole; F, I and
    # J were open then, so the rollup never held them and they are counted on their own.
    assert fresh["rollup_through"] == "2026-10-29" and fresh["recounted_days"] == 1
    assert fresh["rollup_age_seconds"] >= 0
    live = stats.report(WEEK, now=utcnow(), live=True)
    assert body["total"] == live.total.get("total")
    assert body["resolution_rate"] == pytest.approx(live.total.rates()["resolution_rate"],
                                                    abs=1e-4)
    assert body["return_rate"] == pytest.approx(live.total.rates()["return_rate"], abs=1e-4)


def test_settled_days_still_come_from_the_rollup(week):
    refresh(now=NOW)
    report = stats.report(WEEK, now=NOW)
    open_days = Counter(periods.local_date(c.created_at) for c in week.cases.values()
                        if c.is_open)
    assert open_days  # the week has open cases: counted live, one by one, not their days
    assert report.recounted_days == 0
    assert report.total.counts == stats.report(WEEK, now=NOW, live=True).total.counts
    start, end = WEEK.window()
    settled = sum(1 for c in week.cases.values()
                  if start <= c.created_at < end and c.status in rollup.SETTLED)
    rolled = db.session.scalar(select(func.sum(StatsDaily.total)).where(
        StatsDaily.day >= WEEK.start, StatsDaily.day <= WEEK.end, StatsDaily.dimension == "all"))
    assert 0 < rolled == settled  # the rollup holds the settled cases only
