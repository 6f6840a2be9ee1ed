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

:func:`count_window` counts all of them for the cases registered in a time window, per
department and per dimension value: what one day of the rollup (:mod:`.rollup`) holds, or a
live slice of a report (:mod:`.stats`). Nothing here is translated: the names of the figures
are the presenters' business (:mod:`hotline.presenters.figures`).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Case, CaseAction, CaseEvent, CaseStatus, Department, Satisfaction
from hotline.models.case import FIGURE_EVENTS

S = CaseStatus
A = CaseAction
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

Counts = Counter  # measure name -> count
Key = tuple  # (department_id, dimension, value)


# ---------------------------------------------------------------- what each case counts as

def _before(earlier, later) -> ColumnElement[bool]:
    """``earlier < later`` that is false, never NULL, when either side is missing."""
    present = [side.is_not(None) for side in (earlier, later) if not isinstance(side, datetime)]
    return and_(*present, earlier < later)


def _event(action: CaseAction, *conditions) -> ColumnElement[bool]:
    return exists().where(CaseEvent.case_id == Case.id, CaseEvent.action == action, *conditions)


def _overdue_mark(stage: str) -> ColumnElement[bool]:
    """``CaseEvent`` is an overdue mark of ``stage`` (sign, handle) since the case's last
    dispatch."""
    return and_(CaseEvent.action == A.DEADLINE_OVERDUE,
                CaseEvent.data["stage"].as_string() == stage,
                _before(Case.dispatched_at, CaseEvent.at))


def _overdue_since_dispatch(stage: str) -> ColumnElement[bool]:
    return exists().where(CaseEvent.case_id == Case.id, _overdue_mark(stage))


def _rank():
    """One feedback event's rating as a rank (3 dissatisfied, 2 basically, 1 satisfied)."""
    value = CaseEvent.data["satisfaction"].as_string()
    return case((value == Satisfaction.DISSATISFIED.value, 3),
                (value == Satisfaction.BASICALLY_SATISFIED.value, 2),
                (value == Satisfaction.SATISFIED.value, 1), else_=None)


def rating_rank():
    """The worst rating a case has received (3 dissatisfied, 2 basically, 1 satisfied)."""
    return (select(func.max(_rank()))
            .where(CaseEvent.case_id == Case.id, CaseEvent.action == A.FEEDBACK)
            .correlate(Case).scalar_subquery())


def case_conditions(now: datetime, overdue: dict[str, ColumnElement[bool]] | None = None
                    ) -> dict[str, ColumnElement[bool]]:
    """Each per-case fact as a condition on ``Case`` (see the module docstring).

    ``overdue`` gives, by stage (``sign``, ``handle``), whether the case has an overdue mark
    since its last dispatch; by default a look-up of its events per case."""
    if overdue is None:
        overdue = {stage: _overdue_since_dispatch(stage) for stage in ("sign", "handle")}
    effective = Case.status != S.MERGED
    held = and_(effective, Case.department_id.is_not(None))
    answered_by_dept = and_(held, Case.status.in_([S.REPLIED, S.CLOSED]))
    sign_late = and_(held, or_(
        overdue["sign"],
        and_(Case.status == S.DISPATCHED, _before(Case.sign_deadline, now)),
        _before(Case.sign_deadline, Case.accepted_at)))
    handle_late = and_(held, or_(
        overdue["handle"],
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
                    _event(A.DISPATCH, CaseEvent.department_id == department_id))
    if kpi == "returned_by":
        if department_id is None:
            return facts["returned"]
        code = select(Department.code).where(Department.id == department_id).scalar_subquery()
        return and_(facts["effective"],
                    _event(A.RETURN, CaseEvent.data["department"].as_string() == code))
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
    """One SELECT per dimension (and ``all``) of ``measures`` over ``source``, unioned.

    ``measures`` (labelled aggregates over ``source``'s rows) are taken once per cell (a
    department and a value of every dimension); each dimension then adds up the cells, far
    fewer than the rows (1,800 cells for 17,000 open cases), instead of taking every
    measure over every row five times."""
    keys = [source.c.department_id, *(source.c[dimension] for dimension in DIMENSIONS)]
    cells = select(*keys, *measures).group_by(*keys).cte(f"{source.name}_cells")
    sums = [func.sum(cells.c[measure.name]).label(measure.name) for measure in measures]
    parts = [select(cells.c.department_id, literal("all").label("dimension"),
                    literal("").label("value"), *sums).group_by(cells.c.department_id)]
    for dimension in DIMENSIONS:
        value = func.coalesce(cells.c[dimension], "")
        parts.append(select(cells.c.department_id, literal(dimension), value, *sums)
                     .group_by(cells.c.department_id, value))
    return parts


def _event_facts(chosen: list[ColumnElement[bool]]):
    """What the figures read from the events of the cases meeting ``chosen``, one row per
    case that has such events: an overdue mark per stage since the last dispatch (1/0) and
    the worst rating (NULL: none). One GROUP BY over the few events that carry them
    (``ix_case_event_figure_facts``, which carries what is read of them), instead of three
    look-ups per case."""
    marks = {name: func.max(case((_overdue_mark(name), 1), else_=0)).label(name)
             for name in ("sign", "handle")}
    rating = func.max(case((CaseEvent.action == A.FEEDBACK, _rank()), else_=None))
    return (select(CaseEvent.case_id.label("case_id"), *marks.values(), rating.label("rating"))
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.action.in_(FIGURE_EVENTS), *chosen)
            .group_by(CaseEvent.case_id).subquery("case_events"))


def _case_counts(start: datetime, end: datetime, now: datetime,
                 only: ColumnElement[bool] | None) -> dict[Key, Counts]:
    chosen = [Case.created_at >= start, Case.created_at < end, *([] if only is None else [only])]
    events = _event_facts(chosen)
    conditions = case_conditions(now, overdue={
        stage: func.coalesce(events.c[stage], 0) == 1 for stage in ("sign", "handle")})
    flag_columns = [case((conditions[name], 1), else_=0).label(name)
                    for name in (*FLAGS, "effective", "never_reopened", "expired")]
    seconds = case((conditions["handled"], _seconds_between(Case.dispatched_at, Case.replied_at)),
                   else_=None)
    facts = (select(Case.department_id.label("department_id"), *_dimension_columns(),
                    *flag_columns, events.c.rating.label("rating"), seconds.label("seconds"))
             .select_from(Case).outerjoin(events, events.c.case_id == Case.id)
             .where(*chosen).cte("facts").prefix_with("MATERIALIZED"))
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


def _pair_counts(start: datetime, end: datetime,
                 only: ColumnElement[bool] | None) -> dict[Key, Counts]:
    dispatch = aliased(CaseEvent)
    ret = aliased(CaseEvent)
    returned = exists().where(ret.case_id == dispatch.case_id, ret.action == A.RETURN,
                              ret.data["department"].as_string() == Department.code)
    # one row per dispatch (a case dispatched twice to a department has two), with the
    # case's dimensions read along; a case counts once per department it was dispatched to
    # (count distinct within a cell: a case lies in one cell per department)
    source = (select(dispatch.department_id.label("department_id"), *_dimension_columns(),
                     dispatch.case_id.label("case_id"),
                     case((returned, dispatch.case_id), else_=None).label("returned"))
              .join(Case, Case.id == dispatch.case_id)
              .join(Department, Department.id == dispatch.department_id)
              .where(dispatch.action == A.DISPATCH,
                     Case.created_at >= start, Case.created_at < end, Case.status != S.MERGED,
                     *([] if only is None else [only]))
              .cte("pairs"))
    measures = [func.count(source.c.case_id.distinct()).label("assigned"),
                func.count(source.c.returned.distinct()).label("returned_by")]
    return _collect(union_all(*_grouped(source, measures)))


def _collect(statement) -> dict[Key, Counts]:
    result = db.session.execute(statement)
    columns = list(result.keys())  # once: a row's own keys() costs as much as its values
    dept, dim, value = (columns.index(name) for name in ("department_id", "dimension", "value"))
    measures = [(i, name) for i, name in enumerate(columns) if i not in (dept, dim, value)]
    out: dict[Key, Counts] = {}
    for row in result:
        out[(row[dept], row[dim], row[value] or "")] = Counter(
            {name: int(row[i] or 0) for i, name in measures})
    return out


def count_window(start: datetime, end: datetime, now: datetime,
                 only: ColumnElement[bool] | None = None) -> dict[Key, Counts]:
    """Every count, per (department, dimension, value), of the cases registered in
    ``[start, end)`` (and meeting ``only``, a condition on ``Case``, when given), judged at
    ``now``: what one rollup day holds, or a live slice."""
    counts = _case_counts(start, end, now, only)
    for key, pair in _pair_counts(start, end, only).items():
        counts.setdefault(key, Counter()).update(pair)
    return counts


# ---------------------------------------------------------------- rates from counts

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
