"""The live part of a report: the unsettled cases of rolled-up days, counted set by set.

Each figure of a slice is checked against a count of that slice alone, so the way the live
count is put together (the cases found from the unsettled ones, their events read in one
pass, the measures summed per cell and the cells per breakdown, each dispatch pair counted
once) cannot change a figure."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Case, CaseStatus, Category, Satisfaction
from hotline.services import kpi, periods, rollup, stats
from tests.oversight.conftest import NOW, act, local, rate, refresh, register

WEEK = periods.Period(date(2026, 10, 19), date(2026, 10, 23))
LATER = local("2026-10-30 15:00")


def _slice_recount(condition, now) -> Counter:
    """Every count of the week's cases meeting ``condition``, all departments together."""
    start, end = WEEK.window()
    total: Counter = Counter()
    for (_dept, dimension, _value), counts in kpi.count_window(start, end, now,
                                                               only=condition).items():
        if dimension == "all":
            total.update(counts)
    return total


def _conditions(dimension: str, key: str | None):
    if dimension == "channel":
        return Case.channel == key if key else Case.channel.is_(None)
    if dimension == "type":
        return Case.request_type == key if key else Case.request_type.is_(None)
    if dimension == "district":
        return Case.district == key if key else Case.district.is_(None)
    if key is None:
        return Case.category_id.is_(None)
    return Case.category_id == db.session.scalar(select(Category.id).where(Category.code == key))


def test_every_breakdown_slice_equals_a_count_of_that_slice_alone(week):
    refresh(now=NOW)
    report = stats.report(WEEK, now=NOW)
    checked = 0
    for dimension in kpi.DIMENSIONS:
        slices = report.breakdowns[dimension]
        assert len(slices) > 1  # the week has more than one value of every dimension
        for part in slices:
            assert part.counts == _slice_recount(_conditions(dimension, part.key), NOW), \
                (dimension, part.key)
            checked += 1
    assert checked >= 10


def test_a_case_settled_after_the_rollup_still_counts(week):
    """Open when the rollup was built, closed since: neither in the rollup's rows nor open
    now, it is found as changed since the rollup (on PostgreSQL: the array of ids)."""
    refresh(now=NOW)
    before = stats.report(WEEK, now=NOW).total
    late = week.cases["I"]
    assert late.status == CaseStatus.DISPATCHED
    act(late, "urban", "accept", "2026-10-30 13:00")
    act(late, "urban", "reply", "2026-10-30 13:30", content="已清理")
    rate(late, Satisfaction.SATISFIED, "2026-10-30 14:00")
    db.session.refresh(late)
    assert late.status == CaseStatus.CLOSED
    rolled = stats.report(WEEK, now=LATER)
    live = stats.report(WEEK, now=LATER, live=True)
    assert rolled.recounted_days == 0  # I was not settled at the rollup: its day stays
    assert rolled.total.counts == live.total.counts
    assert rolled.total.get("closed") == before.get("closed") + 1
    assert rolled.total.get("satisfied") == before.get("satisfied") + 1
    start, end = WEEK.window()
    only = rollup.unsettled(rollup.state())
    found = set(db.session.scalars(select(Case.number).where(
        Case.created_at >= start, Case.created_at < end, only)))
    assert late.number in found
    open_now = {c.number for c in week.cases.values() if c.status not in rollup.SETTLED}
    assert open_now <= found


def test_the_unsettled_cases_are_those_open_or_changed(week):
    refresh(now=NOW)
    start, end = WEEK.window()
    only = rollup.unsettled(rollup.state())
    found = set(db.session.scalars(select(Case.number).where(
        Case.created_at >= start, Case.created_at < end, only)))
    expected = {c.number for c in week.cases.values() if c.status not in rollup.SETTLED}
    assert found == expected and expected  # nothing changed since the rollup


def test_a_case_dispatched_twice_to_one_department_is_assigned_once(week):
    twice = register("K", "2026-10-22 11:00", department="HOUSING")
    act(twice, "housing", "return", "2026-10-22 12:00", reason="地址不清")
    act(twice, "agent", "dispatch", "2026-10-22 14:00", department="HOUSING")
    act(twice, "housing", "accept", "2026-10-22 15:00")
    report = stats.report(WEEK, now=NOW, live=True)
    housing = next(s for s in report.departments if s.key == "HOUSING")
    # F (dispatched to HOUSING once, returned) and K (twice, returned once)
    assert (housing.get("assigned"), housing.get("returned_by")) == (2, 2)
    refresh(now=NOW)
    rolled = stats.report(WEEK, now=NOW)
    assert {s.key: s.counts for s in rolled.departments} == \
        {s.key: s.counts for s in report.departments}
