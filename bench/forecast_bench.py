"""The 7-day volume forecast against a seasonal-naive forecast, on a generated year.

The history is generated per series (a category or a district): a level of 5-80 requests a
day, a weekday profile (Mondays busiest, weekends a third to a half of a weekday), the
official holidays and make-up working days (调休) of ``chinese_calendar`` (holidays at a
fraction of a weekday), a slow trend, a few one-week surges, and negative-binomial noise.
From every day of the last 120 days, each method forecasts the next 7 days from the days
before; the error is the mean absolute error over all series, origins and horizons, and
the share of actual days inside the 90 % interval.

    .venv/bin/python bench/forecast_bench.py [--series 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.reporting.forecast import forecast, seasonal_naive  # noqa: E402
from hotline.services.holidays import official_days  # noqa: E402

START, DAYS, ORIGINS = date(2024, 9, 1), 487, 120


def calendar():
    special = {d.day: d.kind.value for d in official_days(range(2024, 2027))}

    def is_working_day(day: date) -> bool:
        kind = special.get(day)
        return kind == "workday" if kind else day.weekday() < 5
    return is_working_day


def neg_binomial(rng: random.Random, mean: float, shape: float = 8.0) -> int:
    """A count with mean ``mean`` and variance mean + mean²/shape (gamma-Poisson)."""
    rate = rng.gammavariate(shape, mean / shape) if mean > 0 else 0.0
    # Poisson by inversion is slow for large rates: a normal approximation above 50.
    if rate > 50:
        return max(0, round(rng.gauss(rate, rate ** 0.5)))
    limit, k, p = pow(2.718281828459045, -rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def series(rng: random.Random, is_working_day) -> dict[date, int]:
    level = rng.uniform(5, 80)
    weekly = [1.15, 1.05, 1.0, 1.0, 0.95, rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.5)]
    trend = rng.uniform(-0.4, 0.6) / 365
    surges = {START + timedelta(days=rng.randrange(DAYS)) for _ in range(rng.randrange(3))}
    out = {}
    for k in range(DAYS):
        day = START + timedelta(days=k)
        if is_working_day(day):
            factor = weekly[day.weekday()] if day.weekday() < 5 else 1.0
        else:
            factor = weekly[day.weekday()] if day.weekday() >= 5 else 0.4
        surge = 1.8 if any(0 <= (day - s).days < 7 for s in surges) else 1.0
        out[day] = neg_binomial(rng, level * (1 + trend * k) * factor * surge)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    is_working_day = calendar()
    made = [series(rng, is_working_day) for _ in range(args.series)]
    errors = {"ours": 0.0, "naive": 0.0}
    holiday_errors = {"ours": 0.0, "naive": 0.0}
    inside = total = holiday_total = 0
    started = time.perf_counter()
    end = START + timedelta(days=DAYS - 7)
    for history in made:
        for k in range(ORIGINS):
            origin = end - timedelta(days=k)
            ours = forecast(history, start=origin, is_working_day=is_working_day)
            naive = seasonal_naive(history, start=origin)
            for f, n in zip(ours, naive, strict=True):
                actual = history[f.day]
                errors["ours"] += abs(f.mean - actual)
                errors["naive"] += abs(n - actual)
                inside += f.low <= actual <= f.high
                total += 1
                if is_working_day(f.day) != is_working_day(f.day - timedelta(days=7)):
                    holiday_errors["ours"] += abs(f.mean - actual)
                    holiday_errors["naive"] += abs(n - actual)
                    holiday_total += 1
    seconds = time.perf_counter() - started
    print(f"{args.series} series x {ORIGINS} origins x 7 days = {total} forecasts "
          f"({seconds / (args.series * ORIGINS) * 1000:.2f} ms per 7-day forecast)")
    print(f"MAE  ours {errors['ours'] / total:6.2f}   seasonal naive {errors['naive'] / total:6.2f}"
          f"   ratio {errors['ours'] / errors['naive']:.2f}")
    if holiday_total:
        print(f"  on {holiday_total} days whose working status differs from a week before "
              f"(holidays, 调休): ours {holiday_errors['ours'] / holiday_total:.2f}, "
              f"naive {holiday_errors['naive'] / holiday_total:.2f}")
    print(f"90% interval coverage: {inside / total:.1%}")


if __name__ == "__main__":
    main()
