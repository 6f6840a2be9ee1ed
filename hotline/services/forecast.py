"""Risk prediction (预测防范): the next 7 days' volume per category and district, and the
early warning when today's volume runs above its forecast interval.

The arithmetic is :mod:`hotline.reporting.forecast`; this module reads the daily counts of
the last 8 weeks (local days), the working-day calendar, and names the series.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Case, Category, utcnow
from hotline.reporting.forecast import HISTORY_DAYS, DayForecast, forecast, warning
from hotline.services import deadlines, periods
from hotline.services.stats import local_day_sql

HORIZON = 7
SHOWN = 8  # series per dimension on the page, the busiest first
TOTAL = "total"


@dataclass
class Series:
    """One forecast series: what it counts, today so far, and the days ahead."""

    dimension: str        # total | category | district
    code: str             # what the case list filters on
    name: str
    today: DayForecast
    so_far: int
    projected: float
    warned: bool
    days: list[DayForecast] = field(default_factory=list)
    recent: float = 0.0   # mean daily volume over the history


@dataclass
class Outlook:
    """The forecast of every shown series and the warnings among all series."""

    today: date
    local_hour: float
    series: dict[str, list[Series]]
    warnings: list[Series]


def _counts(dimension: str, since: datetime, until: datetime) -> dict[str, dict[date, int]]:
    day = local_day_sql(Case.created_at)
    key = {TOTAL: None, "category": Case.category_id, "district": Case.district}[dimension]
    columns = [day, func.count()] if key is None else [key, day, func.count()]
    query = select(*columns).where(Case.created_at >= since, Case.created_at < until)
    query = query.group_by(day) if key is None else query.where(key.is_not(None)).group_by(key,
                                                                                             day)
    out: dict[str, dict[date, int]] = defaultdict(dict)
    for row in db.session.execute(query):
        name, value, count = (TOTAL, *row) if key is None else row
        value = value if isinstance(value, date) else date.fromisoformat(str(value))
        out[str(name)][value] = count
    return out


def _names(dimension: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    if dimension != "category":
        return {k: (k, k) for k in keys}
    ids = [int(k) for k in keys]
    rows = db.session.scalars(select(Category).where(Category.id.in_(ids))) if ids else []
    return {str(c.id): (c.code, c.full_name) for c in rows}


def outlook(*, now: datetime | None = None, shown: int = SHOWN) -> Outlook:
    """The forecast from today for the city, the busiest categories and districts, and the
    series (any of them, shown or not) whose volume today runs above the interval."""
    now = now or utcnow()
    local = now.astimezone(periods.zone())
    today = local.date()
    hour = local.hour + local.minute / 60
    since = periods.day_start(today - timedelta(days=HISTORY_DAYS))
    calendar = deadlines.calendar()
    out: dict[str, list[Series]] = {}
    warnings: list[Series] = []
    for dimension in (TOTAL, "category", "district"):
        counts = _counts(dimension, since, now)
        names = _names(dimension, list(counts))
        made = []
        for key, history in counts.items():
            days = forecast(history, start=today, is_working_day=calendar.is_working_day,
                            horizon=HORIZON + 1)
            so_far = history.get(today, 0)
            warned, projected = warning(days[0], so_far, hour)
            code, name = names.get(key, (key, key))
            past = sum(v for d, v in history.items() if d < today)
            made.append(Series(dimension, code, name, days[0], so_far, projected, warned,
                               days[1:], past / HISTORY_DAYS))
        made.sort(key=lambda s: (-s.recent, s.name))
        warnings.extend(s for s in made if s.warned)
        out[dimension] = made[:shown]
    return Outlook(today, hour, out, warnings)
