"""Oversight figures (KPIs): what they mean, how they are counted, and the daily rollup.

Every figure is about the cases **registered** in a period (local days, ``HOTLINE_TIMEZONE``),
judged from the case rows and case events as they stand now. Each figure is a count of cases
meeting one condition (:func:`case_conditions`); the same condition filters the case list
(``/cases?kpi=...``), so the number on the dashboard and the cases behind it agree.

A case counts for the department that holds it now (the last one it was dispatched to);
timeliness is judged on that department's assignment, i.e. since the last dispatch.
Merged duplicates (并单) count in the volume and separately as ``merged``, and in no rate.

* 按时签收率 on-time sign-for: accepted by the sign-for deadline of the last dispatch, of
  the cases whose sign-for is decided (accepted, or late). Late: a sign-for overdue mark since
  the last dispatch, or still unaccepted past the deadline, or accepted after it.
* 按时办结率 on-time completion: answered (replied or closed) by the handling deadline in
  force, of the cases whose completion is decided (answered, or late). An approved extension
  moves the deadline; an overdue mark since the last dispatch makes the case late for good
  (overdue then replied, or extended only after the deadline, is late); a reopened case must
  also meet its fresh deadline. Cases without a department (direct resolutions) do not count.
* 解决率 resolution: closed, never reopened and never rated dissatisfied, of the closed cases.
* 满意率 satisfaction: (satisfied + w × basically satisfied) / rated cases, w =
  ``HOTLINE_BASICALLY_SATISFIED_WEIGHT``; a case counts once, with its worst rating; cases
  closed without a rating (not rated, 未评价) are left out of the denominator.
* 重办率 reopen: reopened at least once, of the cases answered at least once.
* 直接办结率 direct resolution: closed by the centre without a department (resolve), of all
  cases but merged ones.
* 退单率 return: returned at least once, of the cases dispatched at least once. For one
  department it is the cases *it* returned of the cases dispatched *to it* (whoever holds
  them now), so a return counts against the department that returned the case.
* 办理时长 handling time: from the last dispatch to the latest reply, in hours, of the cases
  answered by a department; average and 90th percentile (estimated from a histogram with the
  bounds :data:`HOUR_BOUNDS`, exact to within its bucket).

The rollup (``stats_daily``, summed per month in ``stats_monthly``) holds these counts per
registration day; an RQ job rebuilds the days whose cases changed (:func:`refresh`). Days
after the rollup, today included, are computed live from the case rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from hotline.extensions import db
from hotline.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    Department,
    Role,
    Satisfaction,
    StatsDaily,
    StatsMonthly,
    StatsState,
    utcnow,
)
from hotline.errors import Forbidden, InvalidInput

S = CaseStatus
DIMENSIONS = ("channel", "category", "type", "district")
# Upper bounds (hours) of the handling-time histogram buckets; the last bucket is open.
HOUR_BOUNDS = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 240, 360, 480, 720, 1440)
HISTOGRAM = tuple(f"h{i:02d}" for i in range(len(HOUR_BOUNDS) + 1))
STATUS_COUNTS = {"st_registered": S.REGISTERED, "st_dispatched": S.DISPATCHED,
                 "st_in_progress": S.IN_PROGRESS, "st_replied": S.REPLIED, "st_closed": S.CLOSED}
FLAGS = ("merged", *STATUS_COUNTS, "sign_on_time", "sign_late", "handle_on_time",
         "handle_late", "closed", "answered", "reopened", "direct", "dispatched", "returned")
RATED = ("rated", "satisfied", "basically_satisfied", "dissatisfied", "not_rated", "resolved")
PAIRS = ("assigned", "returned_by")
COUNTS = ("total", *FLAGS, *RATED, *PAIRS, "handled", "handle_seconds", *HISTOGRAM)
RATES = ("on_time_sign_rate", "on_time_completion_rate", "resolution_rate", "satisfaction_rate",
         "reopen_rate", "direct_resolution_rate", "return_rate")
# Figures whose department is the one dispatched to / returning, not the one holding the case.
EVENT_DEPARTMENT_KPIS = frozenset({"assigned", "returned_by"})
KPIS = frozenset({*FLAGS, *RATED, *PAIRS, "handled", "effective", "sign_due", "handle_due",
                  "completed", "pleased"}) - set(STATUS_COUNTS)
LOOKBACK_EVENTS = 2000  # events re-examined at each refresh, for transactions committed late
MAX_PERIOD_DAYS = 3660

Counts = Counter  # measure name -> count
Key = tuple  # (department_id, dimension, value)


# ---------------------------------------------------------------- periods and local days

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_date(moment: datetime) -> date:
    """The local calendar day of a moment."""
    return moment.astimezone(_zone()).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time(), _zone())


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def window(self) -> tuple[datetime, datetime]:
        return day_start(self.start), day_start(self.end + timedelta(days=1))


def _parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("「{field}」必须是 YYYY-MM-DD 格式的日期", field=field) from None


def period_from(date_from: str | None, date_to: str | None, *, now: datetime | None = None,
                default_days: int = 30) -> Period:
    """The period asked for; by default the last ``default_days`` days up to today."""
    start, end = _parse_day(date_from, "from"), _parse_day(date_to, "to")
    end = end or local_date(now or utcnow())
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise InvalidInput("「{field}」不能早于开始日期", field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput("统计期间最长 {days} 天", field="from", days=MAX_PERIOD_DAYS)
    return Period(start, end)


# ---------------------------------------------------------------- what each case counts as

def _before(earlier, later) -> ColumnElement[bool]:
    """``earlier < later`` that is false, never NULL, when either side is missing."""
    present = [side.is_not(None) for side in (earlier, later) if not isinstance(side, datetime)]
    return and_(*present, earlier < later)


def _event(action: str, *conditions) -> ColumnElement[bool]:
    return exists().where(CaseEvent.case_id == Case.id, CaseEvent.action == action, *conditions)


def _overdue_since_dispatch(stage: str) -> ColumnElement[bool]:
    return _event("deadline_overdue", CaseEvent.data["stage"].as_string() == stage,
                  CaseEvent.at > Case.dispatched_at)


def rating_rank():
    """The worst rating a case has received (3 dissatisfied, 2 basically, 1 satisfied)."""
    value = CaseEvent.data["satisfaction"].as_string()
    rank = case((value == Satisfaction.DISSATISFIED.value, 3),
                (value == Satisfaction.BASICALLY_SATISFIED.value, 2),
                (value == Satisfaction.SATISFIED.value, 1), else_=None)
    return (select(func.max(rank))
            .where(CaseEvent.case_id == Case.id, CaseEvent.action == "feedback")
            .correlate(Case).scalar_subquery())


def case_conditions(now: datetime) -> dict[str, ColumnElement[bool]]:
    """Each per-case fact as a condition on ``Case`` (see the module docstring)."""
    effective = Case.status != S.MERGED
    held = and_(effective, Case.department_id.is_not(None))
    answered_by_dept = and_(held, Case.status.in_([S.REPLIED, S.CLOSED]))
    sign_late = and_(held, or_(
        _overdue_since_dispatch("sign"),
        and_(Case.status == S.DISPATCHED, _before(Case.sign_deadline, now)),
        _before(Case.sign_deadline, Case.accepted_at)))
    handle_late = and_(held, or_(
        _overdue_since_dispatch("handle"),
        and_(Case.status.in_([S.DISPATCHED, S.IN_PROGRESS]), _before(Case.handle_deadline, now)),
        and_(Case.status.in_([S.REPLIED, S.CLOSED]),
             _before(Case.handle_deadline, Case.replied_at))))
    facts = {
        "effective": effective,
        "merged": Case.status == S.MERGED,
        **{name: Case.status == status for name, status in STATUS_COUNTS.items()},
        "sign_late": sign_late,
        "sign_on_time": and_(held, Case.accepted_at.is_not(None), ~sign_late),
        "handle_late": handle_late,
        "handle_on_time": and_(answered_by_dept, ~handle_late),
        "completed": answered_by_dept,
        "closed": Case.status == S.CLOSED,
        "answered": and_(effective, Case.replied_at.is_not(None)),
        "reopened": and_(effective, Case.reopen_count > 0),
        "direct": and_(Case.status == S.CLOSED, Case.department_id.is_(None)),
        "dispatched": and_(effective, Case.dispatched_at.is_not(None)),
        "returned": and_(effective, Case.return_count > 0),
        "never_reopened": Case.reopen_count == 0,
        "expired": and_(Case.status == S.CLOSED, Case.satisfaction == Satisfaction.NOT_RATED),
    }
    facts["handled"] = facts["completed"]
    facts["sign_due"] = or_(facts["sign_on_time"], sign_late)
    facts["handle_due"] = or_(facts["handle_on_time"], handle_late)
    return facts


def rating_conditions(rating, *, effective, closed, never_reopened,
                      expired) -> dict[str, ColumnElement[bool]]:
    """The facts that depend on the worst rating ``rating`` (a column or a subquery)."""
    return {
        "rated": and_(effective, rating.is_not(None)),
        "satisfied": and_(effective, rating == 1),
        "basically_satisfied": and_(effective, rating == 2),
        "pleased": and_(effective, rating.in_([1, 2])),
        "dissatisfied": and_(effective, rating == 3),
        "not_rated": and_(expired, rating.is_(None)),
        "resolved": and_(closed, never_reopened, func.coalesce(rating, 0) != 3),
    }


def kpi_condition(kpi: str, *, now: datetime,
                  department_id: int | None = None) -> ColumnElement[bool]:
    """The condition selecting the cases behind figure ``kpi``, for the case list.

    For ``assigned`` and ``returned_by`` the department is the one the case was dispatched
    to / returned by (the caller then must not filter on the current department).
    """
    if kpi not in KPIS:
        raise InvalidInput("「{field}」无效", field="kpi")
    facts = case_conditions(now)
    if kpi in facts:
        return facts[kpi]
    if kpi == "assigned":
        if department_id is None:
            return facts["dispatched"]
        return and_(facts["effective"],
                    _event("dispatch", CaseEvent.department_id == department_id))
    if kpi == "returned_by":
        if department_id is None:
            return facts["returned"]
        code = select(Department.code).where(Department.id == department_id).scalar_subquery()
        return and_(facts["effective"],
                    _event("return", CaseEvent.data["department"].as_string() == code))
    return rating_conditions(rating_rank(), effective=facts["effective"],
                             closed=facts["closed"], never_reopened=facts["never_reopened"],
                             expired=facts["expired"])[kpi]


# ---------------------------------------------------------------- counting a time window

def _seconds_between(start, end):
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.round(extract("epoch", end - start)), BigInteger)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)


def _dimension_columns(category=None) -> list:
    return [
        cast(Case.channel, String).label("channel"),
        cast(Case.category_id if category is None else category, String).label("category"),
        cast(Case.request_type, String).label("type"),
        Case.district.label("district"),
    ]


def _grouped(source, measures: list) -> list:
    """One SELECT per dimension (and ``all``) of ``measures`` over ``source``, unioned."""
    parts = [select(source.c.department_id, literal("all").label("dimension"),
                    literal("").label("value"), *measures).group_by(source.c.department_id)]
    for dimension in DIMENSIONS:
        value = func.coalesce(source.c[dimension], "")
        parts.append(select(source.c.department_id, literal(dimension), value, *measures)
                     .group_by(source.c.department_id, value))
    return parts


def _case_counts(start: datetime, end: datetime, now: datetime) -> dict[Key, Counts]:
    conditions = case_conditions(now)
    flag_columns = [case((conditions[name], 1), else_=0).label(name)
                    for name in (*FLAGS, "effective", "never_reopened", "expired")]
    seconds = case((conditions["handled"], _seconds_between(Case.dispatched_at, Case.replied_at)),
                   else_=None)
    facts = (select(Case.department_id.label("department_id"), *_dimension_columns(),
                    *flag_columns, rating_rank().label("rating"), seconds.label("seconds"))
             .where(Case.created_at >= start, Case.created_at < end).cte("facts"))
    f = facts.c
    rated = rating_conditions(f.rating, effective=f.effective == 1, closed=f.closed == 1,
                              never_reopened=f.never_reopened == 1, expired=f.expired == 1)
    measures = [func.count().label("total"),
                *(func.sum(f[name]).label(name) for name in FLAGS),
                *(func.sum(case((rated[name], 1), else_=0)).label(name) for name in RATED),
                func.count(f.seconds).label("handled"),
                func.coalesce(func.sum(f.seconds), 0).label("handle_seconds")]
    lows = (0, *HOUR_BOUNDS)
    for i, column in enumerate(HISTOGRAM):
        inside = [f.seconds.is_not(None)]
        if i > 0:  # the first bucket also holds zero-length handling
            inside.append(f.seconds > lows[i] * 3600)
        if i < len(HOUR_BOUNDS):
            inside.append(f.seconds <= HOUR_BOUNDS[i] * 3600)
        measures.append(func.sum(case((and_(*inside), 1), else_=0)).label(column))
    return _collect(union_all(*_grouped(facts, measures)))


def _pair_counts(start: datetime, end: datetime) -> dict[Key, Counts]:
    dispatch = aliased(CaseEvent)
    ret = aliased(CaseEvent)
    pairs = (select(dispatch.case_id, dispatch.department_id).distinct()
             .join(Case, Case.id == dispatch.case_id)
             .where(dispatch.action == "dispatch", dispatch.department_id.is_not(None),
                    Case.created_at >= start, Case.created_at < end, Case.status != S.MERGED)
             .subquery())
    returned = (exists().where(ret.case_id == pairs.c.case_id, ret.action == "return",
                               ret.data["department"].as_string() == Department.code))
    source = (select(pairs.c.department_id.label("department_id"), *_dimension_columns(),
                     case((returned, 1), else_=0).label("ret"))
              .join(Case, Case.id == pairs.c.case_id)
              .join(Department, Department.id == pairs.c.department_id)
              .cte("pairs"))
    measures = [func.count().label("assigned"), func.sum(source.c.ret).label("returned_by")]
    return _collect(union_all(*_grouped(source, measures)))


def _collect(statement) -> dict[Key, Counts]:
    out: dict[Key, Counts] = {}
    for row in db.session.execute(statement).mappings():
        key = (row["department_id"], row["dimension"], row["value"] or "")
        out[key] = Counter({k: int(v or 0) for k, v in row.items()
                            if k not in ("department_id", "dimension", "value")})
    return out


def count_window(start: datetime, end: datetime, now: datetime) -> dict[Key, Counts]:
    """Every count, per (department, dimension, value), of the cases registered in
    ``[start, end)``, judged at ``now``: what one rollup day holds, or a live slice."""
    counts = _case_counts(start, end, now)
    for key, pair in _pair_counts(start, end).items():
        counts.setdefault(key, Counter()).update(pair)
    return counts


# ---------------------------------------------------------------- the rollup

def state() -> StatsState | None:
    """How far the rollup reaches, or None when it was never built."""
    return db.session.get(StatsState, 1)


def needs_refresh(now: datetime | None = None) -> bool:
    """True when the rollup stops before yesterday (or was never built)."""
    current = state()
    yesterday = local_date(now or utcnow()) - timedelta(days=1)
    return current is None or current.covered_through is None or \
        current.covered_through < yesterday


def refresh(*, full: bool = False, now: datetime | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Rebuild the rollup days up to yesterday whose cases changed since the last refresh
    (every day when ``full`` or never built); returns what was done."""
    started = utcnow()
    now = now or started
    through = local_date(now) - timedelta(days=1)
    watermark = db.session.scalar(select(func.max(CaseEvent.id))) or 0
    first = db.session.scalar(select(func.min(Case.created_at)))
    current = state()
    days = _days_to_refresh(current, full, first, through)
    if progress:
        progress(0, len(days))
    if full or current is None:
        db.session.execute(delete(StatsDaily))
        db.session.execute(delete(StatsMonthly))
    for done, day in enumerate(days, start=1):
        rows = count_window(day_start(day), day_start(day + timedelta(days=1)), now)
        db.session.execute(delete(StatsDaily).where(StatsDaily.day == day))
        if rows:
            db.session.execute(insert(StatsDaily), [
                {"day": day, "department_id": dept, "dimension": dim, "value": value,
                 **{name: counts.get(name, 0) for name in COUNTS}}
                for (dept, dim, value), counts in rows.items()])
        db.session.commit()
        if progress:
            progress(done, len(days))
    for month in sorted({day.replace(day=1) for day in days}):
        _sum_month(month)
    current = state() or StatsState(id=1)
    current.covered_through = through
    current.refreshed_at = now
    current.finished_at = utcnow()
    current.event_watermark = watermark
    current.days_refreshed = len(days)
    current.seconds = round((utcnow() - started).total_seconds(), 3)
    db.session.add(current)
    db.session.commit()
    return {"days": len(days), "through": through.isoformat(), "seconds": current.seconds,
            "full": full or current is None}


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _sum_month(month: date) -> None:
    """Rebuild one month's ``stats_monthly`` rows as the sums of its ``stats_daily`` rows."""
    keys = (StatsDaily.department_id, StatsDaily.dimension, StatsDaily.value)
    sums = select(literal(month, type_=StatsMonthly.month.type).label("month"), *keys,
                  *(func.sum(getattr(StatsDaily, name)) for name in COUNTS)) \
        .where(StatsDaily.day >= month, StatsDaily.day < _next_month(month)).group_by(*keys)
    db.session.execute(delete(StatsMonthly).where(StatsMonthly.month == month))
    db.session.execute(insert(StatsMonthly).from_select(
        ["month", "department_id", "dimension", "value", *COUNTS], sums))
    db.session.commit()


def _days_to_refresh(current: StatsState | None, full: bool, first: datetime | None,
                     through: date) -> list[date]:
    if first is None or local_date(first) > through:
        return []
    start = local_date(first)
    if full or current is None or current.covered_through is None:
        return [start + timedelta(days=i) for i in range((through - start).days + 1)]
    days = {current.covered_through + timedelta(days=i + 1)
            for i in range(max(0, (through - current.covered_through).days))}
    since = max(0, current.event_watermark - LOOKBACK_EVENTS)
    changed = select(CaseEvent.case_id).where(CaseEvent.id > since)
    for created in db.session.scalars(select(Case.created_at).where(Case.id.in_(changed))):
        days.add(local_date(created))
    return sorted(d for d in days if start <= d <= through)


# ---------------------------------------------------------------- reading the figures

@dataclass
class Slice:
    """The counts of one slice of a period (the whole, a channel, a department...)."""

    key: str | None
    label: str
    counts: Counts
    by_department: bool = False
    link: dict = field(default_factory=dict)  # extra /cases filters selecting this slice

    def get(self, name: str) -> int:
        return int(self.counts.get(name, 0))

    def rates(self) -> dict[str, float | None]:
        return rates(self.counts, by_department=self.by_department)

    def handling_hours(self) -> tuple[float | None, float | None]:
        return handling_hours(self.counts)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def rates(c: Counts, *, by_department: bool = False) -> dict[str, float | None]:
    """The seven rates (0-1, None when nothing counts) from a slice's counts."""
    weight = current_app.config["BASICALLY_SATISFIED_WEIGHT"]
    if by_department:
        returned = _ratio(c["returned_by"], c["assigned"])
    else:
        returned = _ratio(c["returned"], c["dispatched"])
    return {
        "on_time_sign_rate": _ratio(c["sign_on_time"], c["sign_on_time"] + c["sign_late"]),
        "on_time_completion_rate": _ratio(c["handle_on_time"],
                                          c["handle_on_time"] + c["handle_late"]),
        "resolution_rate": _ratio(c["resolved"], c["closed"]),
        "satisfaction_rate": _ratio(c["satisfied"] + weight * c["basically_satisfied"],
                                    c["rated"]),
        "reopen_rate": _ratio(c["reopened"], c["answered"]),
        "direct_resolution_rate": _ratio(c["direct"], c["total"] - c["merged"]),
        "return_rate": returned,
    }


def handling_hours(c: Counts) -> tuple[float | None, float | None]:
    """(average, 90th percentile) handling time in hours; the percentile is interpolated
    inside its histogram bucket, and is the lower bound for the open last bucket."""
    handled = c["handled"]
    if not handled:
        return None, None
    average = c["handle_seconds"] / handled / 3600
    rank = math.ceil(0.9 * handled)
    below = 0
    lows = (0, *HOUR_BOUNDS)
    for i, column in enumerate(HISTOGRAM):
        inside = c[column]
        if below + inside >= rank and inside:
            if i == len(HOUR_BOUNDS):
                return average, float(lows[i])
            return average, lows[i] + (HOUR_BOUNDS[i] - lows[i]) * (rank - below) / inside
        below += inside
    return average, None


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

    @property
    def scoped(self) -> bool:
        return self.department is not None


def report(period: Period, *, department_id: int | None = None, now: datetime | None = None,
           live: bool = False) -> Report:
    """The figures of ``period`` (for one department when given): rollup days from
    ``stats_daily``, later days counted live; ``live=True`` counts everything live."""
    now = now or utcnow()
    current = None if live else state()
    through = current.covered_through if current else None
    dims: dict[tuple[str, str], Counts] = {}
    depts: dict[int | None, Counts] = {}
    series: Counter = Counter()
    if through is not None and through >= period.start:
        _read_rollup(Period(period.start, min(period.end, through)), department_id,
                     dims, depts, series)
    live_from = period.start if through is None else max(period.start,
                                                         through + timedelta(days=1))
    if live_from <= period.end:
        start, end = Period(live_from, period.end).window()
        for (dept, dim, value), counts in count_window(start, end, now).items():
            if department_id is not None and dept != department_id:
                continue
            dims.setdefault((dim, value), Counter()).update(counts)
            if dim == "all":
                depts.setdefault(dept, Counter()).update(counts)
        series.update(_live_series(start, end, department_id))
    else:
        live_from = None
    return _assemble(period, department_id, dims, depts, series, now, current, live_from)


def _sum_columns(table) -> list:
    return [func.coalesce(func.sum(getattr(table, name)), 0).label(name) for name in COUNTS]


def split_months(period: Period) -> tuple[list[Period], Period | None]:
    """The period as whole calendar months (read from ``stats_monthly``; the returned period
    runs from the first to the last month's first day) and the days around them."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = period.end + timedelta(days=1)
    last = after.replace(day=1)  # the month after the last whole month
    if first >= last:
        return [period], None
    days = [p for p in (Period(period.start, first - timedelta(days=1)),
                        Period(last, period.end)) if p.start <= p.end]
    return days, Period(first, (last - timedelta(days=1)).replace(day=1))


def _read_rollup(period: Period, department_id: int | None, dims, depts, series) -> None:
    day_periods, months = split_months(period)
    parts = [(StatsDaily, or_(*(and_(StatsDaily.day >= p.start, StatsDaily.day <= p.end)
                                for p in day_periods)))] if day_periods else []
    if months is not None:
        parts.append((StatsMonthly, and_(StatsMonthly.month >= months.start,
                                         StatsMonthly.month <= months.end)))
    for table, when in parts:
        scope = [when]
        if department_id is not None:
            scope.append(table.department_id == department_id)
        rows = db.session.execute(select(table.dimension, table.value, *_sum_columns(table))
                                  .where(*scope).group_by(table.dimension, table.value))
        for row in rows.mappings():
            dims.setdefault((row["dimension"], row["value"]), Counter()).update(_counts(row))
        rows = db.session.execute(select(table.department_id, *_sum_columns(table))
                                  .where(*scope, table.dimension == "all")
                                  .group_by(table.department_id))
        for row in rows.mappings():
            depts.setdefault(row["department_id"], Counter()).update(_counts(row))
    scope = [StatsDaily.day >= period.start, StatsDaily.day <= period.end,
             StatsDaily.dimension == "all"]
    if department_id is not None:
        scope.append(StatsDaily.department_id == department_id)
    rows = db.session.execute(select(StatsDaily.day, func.sum(StatsDaily.total))
                              .where(*scope).group_by(StatsDaily.day))
    for day, total in rows:
        series[day] += int(total or 0)


def _counts(row) -> Counts:
    return Counter({name: int(row[name] or 0) for name in COUNTS})


def _local_day_sql(column):
    tz = current_app.config["TIMEZONE"]
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, column))
    offset = datetime.now(ZoneInfo(tz)).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _live_series(start: datetime, end: datetime, department_id: int | None) -> Counter:
    day = _local_day_sql(Case.created_at)
    query = (select(day, func.count()).where(Case.created_at >= start, Case.created_at < end)
             .group_by(day))
    if department_id is not None:
        query = query.where(Case.department_id == department_id)
    out: Counter = Counter()
    for value, count in db.session.execute(query):
        out[value if isinstance(value, date) else date.fromisoformat(str(value))] += count
    return out


def _assemble(period, department_id, dims, depts, series, now, current, live_from) -> Report:
    from hotline.i18n import gettext as _
    from hotline.i18n import label

    department = db.session.get(Department, department_id) if department_id else None
    scoped = department is not None
    categories = {str(c.id): c for c in db.session.scalars(select(Category))}
    names = {d.id: d for d in db.session.scalars(select(Department))}

    def slice_for(dimension: str, value: str, counts: Counts) -> Slice:
        if dimension == "category":
            category = categories.get(value)
            key = category.code if category else None
            text = category.full_name if category else _("未分类")
        elif dimension == "district":
            key, text = value or None, value or _("区县不详")
        else:
            key, text = value, label(value)
        filter_name = "type" if dimension == "type" else dimension
        return Slice(key, text, counts, by_department=scoped, link={filter_name: key or "-"})

    breakdowns = {dim: sorted((slice_for(dim, value, counts)
                               for (d, value), counts in dims.items() if d == dim),
                              key=lambda s: (-s.get("total"), s.label))
                  for dim in DIMENSIONS}
    departments = []
    for dept_id, counts in depts.items():
        dept = names.get(dept_id)
        departments.append(Slice(dept.code if dept else None,
                                 dept.name if dept else _("未派单"), counts, by_department=True,
                                 link={"department": dept.code if dept else "-"}))
    departments.sort(key=lambda s: (-s.get("total"), s.label))
    total = Slice(department.code if department else None,
                  department.name if department else _("全部"),
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


def assessment(departments: Iterable[Slice]) -> list[Assessed]:
    """Score each department: the weighted mean (``HOTLINE_ASSESSMENT_WEIGHTS``) of its part
    scores, each 100 × rate (100 × (1 − rate) for return and reopen), over the parts it has
    figures for; ranked highest first among those with ``HOTLINE_ASSESSMENT_MIN_CASES``."""
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
        weighed = [(weights.get(p, 0.0), v) for p, v in parts.items() if v is not None]
        total_weight = sum(w for w, _ in weighed)
        score = sum(w * v for w, v in weighed) / total_weight if total_weight else None
        out.append(Assessed(dept, score, parts))
    ranked = sorted((a for a in out if a.score is not None
                     and a.department.get("total") - a.department.get("merged") >= minimum),
                    key=lambda a: (-a.score, a.department.label))
    for position, item in enumerate(ranked, start=1):
        item.rank = position
    unranked = sorted((a for a in out if a.rank is None), key=lambda a: a.department.label)
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
    found = db.session.scalar(select(Department.id).where(Department.code == department_code))
    if found is None:
        raise InvalidInput("未知的承办单位代码：{code}", field="department", code=department_code)
    return found
