"""The monthly open-data export: every case of the month, no personal data, the place
coarsened to the street; as CSV, JSON and from the command line."""

from __future__ import annotations

import csv
import io
import json
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import current_app

from hotline.cli import main
from hotline.models import utcnow

PERSONAL = ("陈先生", "13800001111", "书院街12号", "占道卖菜")


def _month() -> str:
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m")


def _register(api):
    return api.create_case(department="URBAN", category="street_vending",
                           address="锦江区书院街12号",
                           content="书院街12号门口每天早上占道卖菜，车都过不去")


def test_json_has_the_case_and_nothing_personal(api):
    number = _register(api)["number"]
    response = api("supervisor").get(f"/api/v1/opendata/{_month()}.json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["number"] == number
    assert row["category"] == "street_vending" and row["channel"] == "phone"
    assert row["hours_to_dispatch"] is not None and row["hours_to_reply"] is None
    text = response.get_data(as_text=True)
    for secret in PERSONAL:
        assert secret not in text


def test_csv_has_a_header_and_one_row_per_case(api):
    _register(api)
    _register(api)
    response = api("agent").get(f"/api/v1/opendata/{_month()}.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2
    assert set(rows[0]) >= {"category", "district", "channel", "satisfaction"}
    for secret in PERSONAL:
        assert secret not in response.get_data(as_text=True)


def test_another_month_is_empty_and_a_bad_month_is_422(api):
    _register(api)
    assert api("agent").get("/api/v1/opendata/2001-01.json").get_json()["count"] == 0
    response = api("agent").get("/api/v1/opendata/2025-13.json")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "month"


@pytest.mark.committing
def test_command_line_writes_the_export(app, api, monkeypatch, tmp_path):
    _register(api)
    for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY"):
        monkeypatch.setenv(f"HOTLINE_{key}", str(app.config[key]))
    target = tmp_path / "open.json"
    result = CliRunner().invoke(main, ["opendata", _month(), "--format", "json", "-o",
                                       str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["count"] == 1
