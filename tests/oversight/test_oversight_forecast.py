"""The 7-day forecast and its early warning, from cases registered through the services."""

from __future__ import annotations

from datetime import timedelta

from hotline.services import forecast
from tests.oversight.conftest import NOW
from tests.oversight.test_oversight_hotspots import register


def _steady_weeks(days: int = 56) -> None:
    """Two street-vending cases every day at 10:00 local (02:00 UTC) for eight weeks."""
    for day in range(1, days + 1):
        for _ in range(2):
            register(NOW.replace(hour=10) - timedelta(days=day))


def test_a_steady_history_forecasts_the_same_and_warns_of_nothing(world):
    _steady_weeks()
    outlook = forecast.outlook(now=NOW)
    [vending] = outlook.series["category"]
    assert vending.code == "street_vending" and vending.name == "城市管理 / 占道经营"
    assert len(vending.days) == 7 and vending.days[0].day == outlook.today + timedelta(days=1)
    assert all(round(d.mean) == 2 and d.low <= 2 <= d.high for d in vending.days)
    assert [s.code for s in outlook.series["district"]] == ["锦江区"]
    assert outlook.series["total"][0].days[0].mean == vending.days[0].mean
    assert outlook.warnings == []


def test_a_day_far_above_its_interval_is_a_warning(world):
    _steady_weeks()
    for hour in range(9):
        register(NOW - timedelta(hours=hour + 1))
    outlook = forecast.outlook(now=NOW)
    warned = {(s.dimension, s.code) for s in outlook.warnings}
    assert ("category", "street_vending") in warned and ("district", "锦江区") in warned
    assert all(s.so_far > s.today.high for s in outlook.warnings)


def test_the_hotspots_page_shows_the_forecast(client, auth, world):
    auth.login("supervisor")
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert 'id="forecast"' in html and "今日受理量均在预测区间内" in html


def test_the_forecast_reads_in_english(client, auth, world):
    auth.login("supervisor")
    english = client.get("/oversight/hotspots?lang=en").get_data(as_text=True)
    assert "Forecast of the next 7 days" in english and "Above the forecast interval" in english
