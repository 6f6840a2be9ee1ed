"""A 7-day forecast of daily volume from history, with intervals, and the early warning.

Plain numbers in, plain numbers out (no database, no Flask):

* each day has a *kind*: its weekday, or ``holiday`` (a weekday off), or ``makeup`` (a
  weekend worked, 调休), told by the caller's working-day calendar;
* the weekday factors are the mean volume of each kind over the history divided by the
  overall mean; holidays and make-up days, seen on few days, are shrunk toward
  :data:`HOLIDAY_PRIOR` and the mean of the working weekdays, which they take when unseen;
* the level and trend are a least-squares line through the de-seasonalised last
  :data:`TREND_DAYS` days, continued from their mean with the slope damped (so a week's
  noise does not run away);
* the interval is the mean ± z·sd with the variance of an over-dispersed Poisson count
  (dispersion measured on the history's residuals, at least 1).

:func:`warning` tells whether today's volume so far runs above today's interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

HOLIDAY = "holiday"
MAKEUP = "makeup"
HISTORY_DAYS = 56
TREND_DAYS = 28
TREND_DAMPING = 0.5
SHRINK = 2.0               # a holiday or make-up kind seen on n days keeps n/(n+SHRINK)
                           # of its own factor (weekdays are seen 8 times in 8 weeks)
HOLIDAY_PRIOR = 0.6        # holidays bring fewer requests than a weekday
Z = 1.645                  # two-sided 90 % interval


@dataclass(frozen=True)
class DayForecast:
    """The expected volume of one day and its 90 % interval."""

    day: date
    kind: str
    mean: float
    low: int
    high: int


def day_kind(day: date, is_working_day: Callable[[date], bool]) -> str:
    """The weekday number as a string, ``holiday`` for a weekday off, ``makeup`` for a
    weekend worked."""
    working = is_working_day(day)
    if day.weekday() < 5 and not working:
        return HOLIDAY
    if day.weekday() >= 5 and working:
        return MAKEUP
    return str(day.weekday())


def _factors(days: list[date], counts: list[float], kinds: list[str]) -> dict[str, float]:
    overall = sum(counts) / len(counts) if counts else 0.0
    if overall <= 0:
        return {}
    by_kind: dict[str, list[float]] = {}
    for kind, count in zip(kinds, counts, strict=True):
        by_kind.setdefault(kind, []).append(count)
    factors = {}
    for kind, values in by_kind.items():
        own = (sum(values) / len(values)) / overall
        if kind not in (HOLIDAY, MAKEUP):
            factors[kind] = own
            continue
        weight = len(values) / (len(values) + SHRINK)
        prior = HOLIDAY_PRIOR if kind == HOLIDAY else 1.0
        factors[kind] = weight * own + (1 - weight) * prior
    weekdays = [factors[str(d)] for d in range(5) if str(d) in factors]
    factors.setdefault(MAKEUP, sum(weekdays) / len(weekdays) if weekdays else 1.0)
    factors.setdefault(HOLIDAY, HOLIDAY_PRIOR)
    return factors


def _line(ys: list[float]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through ``ys`` at x = 0, 1, ..."""
    n = len(ys)
    if n < 2:
        return (ys[0] if ys else 0.0), 0.0
    mx, my = (n - 1) / 2, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in range(n))
    slope = sum((x - mx) * (y - my) for x, y in enumerate(ys)) / sxx
    return my - slope * mx, slope


def forecast(history: Mapping[date, int], *, start: date, is_working_day: Callable[[date], bool],
             horizon: int = 7, history_days: int = HISTORY_DAYS) -> list[DayForecast]:
    """Forecast the ``horizon`` days from ``start`` from the counts of the ``history_days``
    days before it (a day missing from ``history`` counted none)."""
    days = [start - timedelta(days=k) for k in range(history_days, 0, -1)]
    counts = [float(history.get(d, 0)) for d in days]
    kinds = [day_kind(d, is_working_day) for d in days]
    factors = _factors(days, counts, kinds)
    if not factors:
        return [DayForecast(start + timedelta(days=k),
                            day_kind(start + timedelta(days=k), is_working_day), 0.0, 0, 0)
                for k in range(horizon)]
    plain = [c / max(factors[k], 0.05) for c, k in zip(counts, kinds, strict=True)]
    recent = plain[-TREND_DAYS:]
    intercept, slope = _line(recent)
    fitted_level = [intercept + slope * x for x in range(len(recent))]
    centre = sum(recent) / len(recent)
    slope *= TREND_DAMPING
    dispersion = _dispersion(counts[-TREND_DAYS:], fitted_level, kinds[-TREND_DAYS:], factors)
    out = []
    for k in range(horizon):
        day = start + timedelta(days=k)
        kind = day_kind(day, is_working_day)
        level = max(centre + slope * ((len(recent) - 1) / 2 + k + 1), 0.0)
        mean = level * factors.get(kind, 1.0)
        sd = math.sqrt(mean * dispersion)
        out.append(DayForecast(day, kind, mean, max(0, math.floor(mean - Z * sd)),
                               math.ceil(mean + Z * sd)))
    return out


def _dispersion(counts: list[float], levels: list[float], kinds: list[str],
                factors: dict[str, float]) -> float:
    ratios = []
    for count, level, kind in zip(counts, levels, kinds, strict=True):
        expected = max(level * factors.get(kind, 1.0), 0.5)
        ratios.append((count - expected) ** 2 / expected)
    return max(1.0, sum(ratios) / len(ratios)) if ratios else 1.0


def seasonal_naive(history: Mapping[date, int], *, start: date, horizon: int = 7) -> list[float]:
    """The baseline: each day as the same weekday of the week before ``start``."""
    return [float(history.get(start + timedelta(days=k - 7 * (1 + k // 7)), 0))
            for k in range(horizon)]


def day_share(local_hour: float, *, opens: float = 8.0, closes: float = 20.0) -> float:
    """The share of a day's requests usually in by ``local_hour``: most arrive between
    ``opens`` and ``closes``, evenly (a plain model of a hotline's day)."""
    return min(1.0, max(0.0, (local_hour - opens) / (closes - opens)))


def warning(today: DayForecast, so_far: int, local_hour: float, *,
            min_share: float = 0.25) -> tuple[bool, float]:
    """Whether today's ``so_far`` runs above the interval, and the projected full day:
    above when it already exceeds the upper bound, or when, with at least ``min_share`` of
    the day gone, its pace projects past it."""
    share = day_share(local_hour)
    projected = so_far / share if share >= min_share else float(so_far)
    return (so_far > today.high or projected > today.high) and so_far >= 3, projected
