"""The statistics rollup: the counts of :func:`kpi.count_window` kept per registration day
(``stats_daily``) and summed per month (``stats_monthly``), and how they are rebuilt.

The rollup holds the **settled** cases only: closed or merged when the day was rebuilt.
Their figures no longer depend on the clock (a deadline can only pass for an open case), so
they stay right until the case changes again, which an event after the rollup's watermark
shows. The day's open cases are left to the report, which counts them live
(:func:`unsettled`): a case open for months (an extended dispute, a case waiting for its
rating) costs one case counted live, not a whole day of them.

An RQ job (``workflows/stats.py``) rebuilds the days whose cases changed (:func:`refresh`)
inside its unit of work: nothing here commits, so a rebuild that fails half-way leaves the
previous rollup whole. Days after the rollup, today included, are counted live by the report
(:mod:`hotline.services.stats`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    any_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from hotline.extensions import db
from hotline.models import (
    SETTLED_STATUSES,
    UNSETTLED_STATUSES,
    Case,
    CaseEvent,
    StatsDaily,
    StatsMonthly,
    StatsState,
    utcnow,
)
from hotline.services.kpi import COUNTS, Counts, count_window
from hotline.services.periods import Period, day_start, local_date, next_month, split_months

LOOKBACK_EVENTS = 2000  # events re-examined at each refresh, for transactions committed late
SETTLED = SETTLED_STATUSES  # the statuses the rollup keeps (closed, merged)
UNSETTLED = UNSETTLED_STATUSES


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
    (every day when ``full`` or never built); returns what was done. Joins the caller's
    unit of work: the new rollup is seen by others once the caller commits."""
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
        _rebuild_day(day, now)
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
    db.session.flush()
    return {"days": len(days), "through": through.isoformat(), "seconds": current.seconds,
            "full": full or current is None}


def _rebuild_day(day: date, now: datetime) -> None:
    """Replace one day's ``stats_daily`` rows with the counts of the settled cases registered
    that day."""
    rows = count_window(day_start(day), day_start(day + timedelta(days=1)), now,
                        only=Case.status.in_(SETTLED))
    db.session.execute(delete(StatsDaily).where(StatsDaily.day == day))
    if rows:
        db.session.execute(insert(StatsDaily), [
            {"day": day, "department_id": dept, "dimension": dim, "value": value,
             **{name: counts.get(name, 0) for name in COUNTS}}
            for (dept, dim, value), counts in rows.items()])


def _sum_month(month: date) -> None:
    """Rebuild one month's ``stats_monthly`` rows as the sums of its ``stats_daily`` rows."""
    keys = (StatsDaily.department_id, StatsDaily.dimension, StatsDaily.value)
    sums = select(literal(month, type_=StatsMonthly.month.type).label("month"), *keys,
                  *(func.sum(getattr(StatsDaily, name)) for name in COUNTS)) \
        .where(StatsDaily.day >= month, StatsDaily.day < next_month(month)).group_by(*keys)
    db.session.execute(delete(StatsMonthly).where(StatsMonthly.month == month))
    db.session.execute(insert(StatsMonthly).from_select(
        ["month", "department_id", "dimension", "value", *COUNTS], sums))


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


# ---------------------------------------------------------------- reading the rollup

def _changed_since(current: StatsState, *conditions):
    # never correlated: it may sit inside a query that reads case_event itself
    return select(CaseEvent.case_id).where(CaseEvent.id > (current.event_watermark or 0),
                                           *conditions).correlate(None)


def unsettled(current: StatsState) -> ColumnElement[bool]:
    """The cases of a rolled-up day that its rows do not hold: not settled now, or changed
    since the rollup (then not settled when it was built, on a day that is not
    :func:`resettled`).

    Written so that the database starts from the period's few unsettled cases
    (``ix_case_unsettled_created``, a partial index over the open cases by registration
    time), not from every case of a long period: on PostgreSQL the changed cases are an
    array of ids (``id = ANY(ARRAY(...))``) so that both halves are index scans ORed into
    one bitmap; ``id IN (...)`` made it read the whole period and keep the few."""
    changed = _changed_since(current)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = func.array(changed.scalar_subquery(), type_=ARRAY(Integer))
        was_changed = Case.id == any_(ids)
    else:
        was_changed = Case.id.in_(changed)
    return or_(Case.status.in_(UNSETTLED), was_changed)


def resettled(current: StatsState) -> ColumnElement[bool]:
    """The cases whose rolled-up counts are out of date: settled when the rollup was built
    and changed since (reopened, rated late). An event names the status it left: such a
    case has an event after the watermark that left a settled status (a case settled only
    after the rollup may have one too; counting it costs a recount, never a wrong figure).
    An event that names none (a registration, an import) counts too."""
    left = CaseEvent.from_status
    return Case.id.in_(_changed_since(current, or_(left.in_(SETTLED), left.is_(None))))


def _sum_columns(table) -> list:
    return [func.coalesce(func.sum(getattr(table, name)), 0).label(name) for name in COUNTS]


def _counts(row) -> Counts:
    return Counter({name: int(row[name] or 0) for name in COUNTS})


def read(period: Period, department_id: int | None, dims: dict, depts: dict,
         series: Counter) -> None:
    """Add the rolled-up counts of ``period`` to ``dims`` ((dimension, value) -> counts),
    ``depts`` (department id -> counts) and ``series`` (day -> cases registered); whole
    months come from ``stats_monthly``, the days around them from ``stats_daily``."""
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
