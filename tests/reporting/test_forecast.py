"""The forecast arithmetic on made-up histories whose answer is known."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hotline.reporting.forecast import (
    HOLIDAY,
    MAKEUP,
    DayForecast,
    day_kind,
    day_share,
    forecast,
    seasonal_naive,
    warning,
)

START = date(2026, 3, 2)  # a Monday
HOLIDAYS = {date(2026, 3, 4)}       # a Wednesday off
MAKEUPS = {date(2026, 3, 7)}        # a Saturday worked


def working(day: date) -> bool:
    if day in HOLIDAYS:
        return False
    if day in MAKEUPS:
        return True
    return day.weekday() < 5


def plain(day: date) -> bool:
    return day.weekday() < 5


def weekly_history(weekday: int = 20, weekend: int = 6, days: int = 56) -> dict[date, int]:
    out = {}
    for k in range(1, days + 1):
        day = START - timedelta(days=k)
        out[day] = weekday if day.weekday() < 5 else weekend
    return out


def test_day_kinds():
    assert day_kind(date(2026, 3, 2), working) == "0"
    assert day_kind(date(2026, 3, 4), working) == HOLIDAY
    assert day_kind(date(2026, 3, 7), working) == MAKEUP
    assert day_kind(date(2026, 3, 8), working) == "6"


def test_a_steady_weekly_pattern_is_forecast_exactly():
    days = forecast(weekly_history(), start=START, is_working_day=plain)
    assert [round(d.mean) for d in days] == [20, 20, 20, 20, 20, 6, 6]
    assert all(d.low <= d.mean <= d.high for d in days)


def test_holidays_and_makeup_days_follow_the_calendar():
    days = {d.day: d for d in forecast(weekly_history(), start=START, is_working_day=working)}
    assert days[date(2026, 3, 4)].kind == HOLIDAY
    assert days[date(2026, 3, 4)].mean < 15          # a weekday off: fewer than a weekday
    assert days[date(2026, 3, 7)].mean == pytest.approx(20, abs=1)  # worked Saturday


def test_a_rising_trend_raises_the_forecast():
    history = {START - timedelta(days=k): 100 - k for k in range(1, 57)}  # +1 a day
    # above the mean of the last 4 weeks (85.5), damped, and still rising
    days = forecast(history, start=START, is_working_day=lambda d: True)
    assert days[0].mean > 86 and days[-1].mean > days[0].mean


def test_noise_widens_the_interval():
    calm = forecast(weekly_history(), start=START, is_working_day=plain)[0]
    noisy_history = {d: v + (8 if d.day % 2 else -8) * (v > 10)
                     for d, v in weekly_history().items()}
    noisy = forecast(noisy_history, start=START, is_working_day=plain)[0]
    assert noisy.high - noisy.low > calm.high - calm.low


def test_no_history_forecasts_nothing():
    days = forecast({}, start=START, is_working_day=plain)
    assert len(days) == 7 and all(d.mean == 0 and d.high == 0 for d in days)


def test_seasonal_naive_repeats_last_week():
    history = weekly_history()
    assert seasonal_naive(history, start=START) == [20.0] * 5 + [6.0] * 2


def test_warning_when_today_runs_above_the_interval():
    today = DayForecast(START, "0", 20.0, 12, 28)
    assert warning(today, 29, 9.0)[0]                 # already above the bound
    assert warning(today, 20, 12.0)[0]                # a third of the day: pace of 60
    assert not warning(today, 10, 14.0)[0]            # half the day, pace of 20
    assert not warning(today, 2, 8.5)[0]              # too early and too few to tell
    assert day_share(7) == 0 and day_share(14) == 0.5 and day_share(23) == 1
