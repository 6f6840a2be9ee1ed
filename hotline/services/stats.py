"""Oversight reports: the figures of a period, whole and broken down, and the assessment.

A report reads the rolled-up days (:mod:`.rollup`: their settled cases), and counts their
other cases and the days after the rollup live (:func:`kpi.count_window`). What each figure
means is in :mod:`.kpi`; the periods are in :mod:`.periods`. A :class:`Slice` carries the
codes and the names found in the data; the labels shown on a page (channel names,
"unclassified"...) are added by :mod:`hotline.presenters`, so nothing here depends on the
language of a request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from hotline.errors import Forbidden
from hotline.extensions import db
from hotline.models import (
    Case,
    Category,
    Department,
    Role,
    utcnow,
)
from hotline.services import directory, rollup
from hotline.services.kpi import DIMENSIONS, Counts, count_window, handling_hours, rates
from hotline.services.periods import Period

# ---------------------------------------------------------------- reading the figures

@dataclass
class Slice:
    """The counts of one slice of a period (the whole, a channel, a department...).

    ``key`` is the slice's code (a channel or type value, a category or department code, a
    district; None for "none"), ``name`` its name in the data (a category's full name, a
    department's name, a district; None when it has none), ``dimension`` what it slices by
    (``all``, one of :data:`kpi.DIMENSIONS`, or ``department``)."""

    key: str | None
    name: str | None
    counts: Counts
    by_department: bool = False
    link: dict = field(default_factory=dict)  # extra /cases filters selecting this slice
    dimension: str = "all"

    def get(self, name: str) -> int:
        """One count of the slice (0 when nothing counted)."""
        return int(self.counts.get(name, 0))

    def rates(self) -> dict[str, float | None]:
        """The seven rates of the slice (see :func:`kpi.rates`)."""
        return rates(self.counts, by_department=self.by_department)

    def handling_hours(self) -> tuple[float | None, float | None]:
        """Average and 90th percentile handling time (see :func:`kpi.handling_hours`)."""
        return handling_hours(self.counts)


def _order(slice_: Slice) -> tuple:
    return -slice_.get("total"), slice_.name or slice_.key or ""


@dataclass
class Report:
    """Every figure of a period, whole and broken down, with where they came from."""

    period: Period
    department: Department | None
    total: Slice
    breakdowns: dict[str, list[Slice]]
    departments: list[Slice]
    series: list[tuple[date, int]]
    now: datetime
    rollup_through: date | None
    refreshed_at: datetime | None
    live_from: date | None
    recounted_days: int = 0  # rolled-up days counted live because their cases changed

    @property
    def scoped(self) -> bool:
        """True when the report is one department's."""
        return self.department is not None


def report(period: Period, *, department_id: int | None = None, now: datetime | None = None,
           live: bool = False) -> Report:
    """The figures of ``period`` (for one department when given) as they stand at ``now``:
    a rolled-up day's settled cases from ``stats_daily`` and its other cases (open, or
    changed since the rollup) counted live; days after the rollup counted live;
    ``live=True`` counts everything live.

    A rolled-up day is recounted live, whole, when a case that was settled when the rollup
    was built has changed since (:func:`rollup.resettled`): the rollup speeds up the settled
    past and never makes a figure wrong."""
    now = now or utcnow()
    current = None if live else rollup.state()
    through = current.covered_through if current else None
    dims: dict[tuple[str, str], Counts] = {}
    depts: dict[int | None, Counts] = {}
    series: Counter = Counter()
    recounted: list[date] = []
    if through is not None and through >= period.start:
        rolled = Period(period.start, min(period.end, through))
        stale = _stale_days(current, rolled)
        for run, is_stale in _runs(rolled, stale):
            if is_stale:
                _count_live(run, department_id, now, dims, depts, series)
                recounted.extend(run.days)
            else:
                rollup.read(run, department_id, dims, depts, series)
                _count_live(run, department_id, now, dims, depts, series,
                            only=rollup.unsettled(current))
    live_from = period.start if through is None else max(period.start,
                                                         through + timedelta(days=1))
    if live_from <= period.end:
        _count_live(Period(live_from, period.end), department_id, now, dims, depts, series)
    else:
        live_from = None
    result = _assemble(period, department_id, dims, depts, series, now, current, live_from)
    result.recounted_days = len(recounted)
    return result


def _count_live(period: Period, department_id: int | None, now: datetime, dims: dict,
                depts: dict, series: Counter, only=None) -> None:
    """Add the live counts of the cases of ``period`` (those meeting ``only``, a condition
    on ``Case``, when given)."""
    start, end = period.window()
    for (dept, dim, value), counts in count_window(start, end, now, only).items():
        if department_id is not None and dept != department_id:
            continue
        dims.setdefault((dim, value), Counter()).update(counts)
        if dim == "all":
            depts.setdefault(dept, Counter()).update(counts)
    series.update(_live_series(start, end, department_id, only))


def _stale_days(current, rolled: Period) -> set[date]:
    """The rolled-up days of ``rolled`` whose rows may no longer be right."""
    start, end = rolled.window()
    day = local_day_sql(Case.created_at)
    query = (select(day).distinct()
             .where(Case.created_at >= start, Case.created_at < end,
                    rollup.resettled(current)))
    return {value if isinstance(value, date) else date.fromisoformat(str(value))
            for value in db.session.scalars(query)}


def _runs(period: Period, stale: set[date]) -> list[tuple[Period, bool]]:
    """``period`` cut into consecutive runs of stale and settled days."""
    runs: list[tuple[Period, bool]] = []
    for day in period.days:
        flag = day in stale
        if runs and runs[-1][1] == flag:
            runs[-1] = (Period(runs[-1][0].start, day), flag)
        else:
            runs.append((Period(day, day), flag))
    return runs


def local_day_sql(column):
    """The local calendar day of a timestamp column, in SQL (PostgreSQL or SQLite)."""
    tz = current_app.config["TIMEZONE"]
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, column))
    offset = datetime.now(ZoneInfo(tz)).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _live_series(start: datetime, end: datetime, department_id: int | None,
                 only=None) -> Counter:
    day = local_day_sql(Case.created_at)
    query = (select(day, func.count()).where(Case.created_at >= start, Case.created_at < end,
                                             *([] if only is None else [only]))
             .group_by(day))
    if department_id is not None:
        query = query.where(Case.department_id == department_id)
    out: Counter = Counter()
    for value, count in db.session.execute(query):
        out[value if isinstance(value, date) else date.fromisoformat(str(value))] += count
    return out



def _assemble(period, department_id, dims, depts, series, now, current, live_from) -> Report:
    department = db.session.get(Department, department_id) if department_id else None
    scoped = department is not None
    categories = {str(c.id): c for c in db.session.scalars(select(Category))}
    names = {d.id: d for d in db.session.scalars(select(Department))}

    def slice_for(dimension: str, value: str, counts: Counts) -> Slice:
        if dimension == "category":
            category = categories.get(value)
            key = category.code if category else None
            name = category.full_name if category else None
        elif dimension == "district":
            key = name = value or None
        else:
            key, name = value, None
        filter_name = "type" if dimension == "type" else dimension
        return Slice(key, name, counts, by_department=scoped, link={filter_name: key or "-"},
                     dimension=dimension)

    breakdowns = {dim: sorted((slice_for(dim, value, counts)
                               for (d, value), counts in dims.items() if d == dim), key=_order)
                  for dim in DIMENSIONS}
    departments = []
    for dept_id, counts in depts.items():
        dept = names.get(dept_id)
        departments.append(Slice(dept.code if dept else None, dept.name if dept else None,
                                 counts, by_department=True,
                                 link={"department": dept.code if dept else "-"},
                                 dimension="department"))
    departments.sort(key=_order)
    total = Slice(department.code if department else None,
                  department.name if department else None,
                  dims.get(("all", ""), Counter()), by_department=scoped)
    days = [(day, int(series.get(day, 0))) for day in period.days]
    return Report(period, department, total, breakdowns, departments, days, now,
                  current.covered_through if current else None,
                  current.refreshed_at if current else None, live_from)


# ---------------------------------------------------------------- monthly assessment (考核)

@dataclass
class Assessed:
    """A department's assessment score (0-100) and rank (None: too few cases to rank)."""

    department: Slice
    score: float | None
    parts: dict[str, float | None]
    rank: int | None = None


ASSESSMENT_RATES = {"sign": "on_time_sign_rate", "completion": "on_time_completion_rate",
                    "resolution": "resolution_rate", "satisfaction": "satisfaction_rate",
                    "return": "return_rate", "reopen": "reopen_rate"}
INVERTED = frozenset({"return", "reopen"})  # lower is better: scored as 1 - rate


def assessment(departments: Iterable[Slice], inspection: dict[str, float] | None = None
               ) -> list[Assessed]:
    """Score each department: the weighted mean (``HOTLINE_ASSESSMENT_WEIGHTS``) of its part
    scores, each 100 × rate (100 × (1 − rate) for return and reopen), and its mean manual
    inspection score (``inspection``, by department code, 0-100) when it has one, over the
    parts it has figures for; ranked highest first among those with
    ``HOTLINE_ASSESSMENT_MIN_CASES``."""
    weights = current_app.config["ASSESSMENT_WEIGHTS"]
    minimum = current_app.config["ASSESSMENT_MIN_CASES"]
    out = []
    for dept in departments:
        if dept.key is None:
            continue
        rates_ = dept.rates()
        parts: dict[str, float | None] = {}
        for part, rate_name in ASSESSMENT_RATES.items():
            rate = rates_[rate_name]
            parts[part] = None if rate is None else 100 * (1 - rate if part in INVERTED else rate)
        parts["inspection"] = (inspection or {}).get(dept.key)
        weighed = [(weights.get(p, 0.0), v) for p, v in parts.items() if v is not None]
        total_weight = sum(w for w, _ in weighed)
        score = sum(w * v for w, v in weighed) / total_weight if total_weight else None
        out.append(Assessed(dept, score, parts))
    ranked = sorted((a for a in out if a.score is not None
                     and a.department.get("total") - a.department.get("merged") >= minimum),
                    key=lambda a: (-a.score, a.department.name or ""))
    for position, item in enumerate(ranked, start=1):
        item.rank = position
    unranked = sorted((a for a in out if a.rank is None),
                      key=lambda a: a.department.name or "")
    return ranked + unranked


# ---------------------------------------------------------------- who sees which figures

def scope(actor, department_code: str | None) -> int | None:
    """The department whose figures the actor may read (None: all). Department staff read
    only their own: naming another department is refused (403), not silently replaced."""
    own = actor.department_id if actor.role == Role.DEPARTMENT else None
    if actor.role == Role.DEPARTMENT:
        if own is None:
            raise Forbidden("没有权限")
        if department_code:
            code = db.session.scalar(select(Department.code).where(Department.id == own))
            if department_code != code:
                raise Forbidden("只能查看本单位的统计")
        return own
    if not department_code:
        return None
    return directory.department_by_code(department_code, field="department").id
