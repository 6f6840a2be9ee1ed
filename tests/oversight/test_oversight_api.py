"""GET /api/v1/stats: the figures as JSON, scoped for department staff."""

from __future__ import annotations

import pytest

from hotline.services import kpi
from tests.oversight.conftest import NOW, refresh

PERIOD = "from=2026-10-19&to=2026-10-23"


@pytest.fixture
def rolled(week):
    refresh(now=NOW)
    return week


def test_stats_json_for_a_supervisor(api, rolled):
    response = api("supervisor").get(f"/api/v1/stats?{PERIOD}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["from"], body["to"], body["department"]) == ("2026-10-19", "2026-10-23", None)
    assert body["total"] == 10 and body["merged"] == 1
    assert body["by_status"] == {"registered": 1, "dispatched": 1, "in_progress": 1,
                                 "replied": 1, "closed": 5, "merged": 1}
    assert body["by_channel"] == {"phone": 7, "wechat": 2, "mailbox": 1}
    assert body["on_time_sign_rate"] == pytest.approx(5 / 7, abs=1e-4)
    assert body["on_time_completion_rate"] == pytest.approx(4 / 7, abs=1e-4)
    assert body["resolution_rate"] == pytest.approx(4 / 5)
    assert body["satisfaction_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["reopen_rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert body["direct_resolution_rate"] == pytest.approx(1 / 9, abs=1e-4)
    assert body["return_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert body["avg_handling_hours"] == 106.0 and body["p90_handling_hours"] == 240.0
    assert body["counts"]["sign_late"] == 2 and body["counts"]["not_rated"] == 1
    assert body["freshness"]["rollup_through"] == "2026-10-29"
    assert body["freshness"]["live_from"] is None
    assert len(body["daily"]) == 5 and body["daily"][0] == {"date": "2026-10-19", "total": 4}
    departments = {row["key"]: row for row in body["breakdowns"]["department"]}
    assert departments["HOUSING"]["return_rate"] == 1.0
    assert departments["URBAN"]["total"] == 7
    categories = {row["key"]: row["total"] for row in body["breakdowns"]["category"]}
    assert categories == {"street_vending": 7, "property_mgmt": 1, None: 2}
    assert set(body["breakdowns"]) == {"channel", "category", "type", "district", "department"}


def test_rates_are_null_when_nothing_counts(api, world):
    body = api("supervisor").get(f"/api/v1/stats?{PERIOD}").get_json()
    assert body["total"] == 0
    assert all(body[rate] is None for rate in kpi.RATES)
    assert body["avg_handling_hours"] is None


def test_department_staff_get_their_own_figures_only(api, rolled):
    own = api("urban").get(f"/api/v1/stats?{PERIOD}").get_json()
    assert own["department"] == "URBAN" and own["total"] == 7
    assert own["return_rate"] == 0.0  # URBAN returned none of the 7 cases dispatched to it
    assert [row["key"] for row in own["breakdowns"]["department"]] == ["URBAN"]
    named = api("urban").get(f"/api/v1/stats?{PERIOD}&department=URBAN").get_json()
    assert {k: v for k, v in named.items() if k != "freshness"} == \
        {k: v for k, v in own.items() if k != "freshness"}
    refused = api("housing").get(f"/api/v1/stats?{PERIOD}&department=URBAN")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    housing = api("housing").get(f"/api/v1/stats?{PERIOD}").get_json()
    assert housing["total"] == 0 and housing["return_rate"] == 1.0


def test_supervisor_may_ask_for_one_department(api, rolled):
    body = api("supervisor").get(f"/api/v1/stats?{PERIOD}&department=URBAN").get_json()
    assert body["department"] == "URBAN" and body["total"] == 7
    unknown = api("supervisor").get(f"/api/v1/stats?{PERIOD}&department=NOPE")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "department"


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-10-32&to=2026-10-23", "from"),
    ("from=2026-10-19&to=yesterday", "to"),
    ("from=2026-10-24&to=2026-10-23", "to"),
])
def test_bad_dates_are_422_naming_the_field(api, world, query, field):
    response = api("supervisor").get(f"/api/v1/stats?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_token_is_required(client, world):
    assert client.get(f"/api/v1/stats?{PERIOD}").status_code == 401


def test_default_period_is_the_last_30_days(api, world):
    body = api("supervisor").get("/api/v1/stats").get_json()
    assert len(body["daily"]) == 30
