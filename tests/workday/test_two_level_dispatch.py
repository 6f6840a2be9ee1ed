"""二级派单 through the API and the pages: a district government passes its case on to one of
its street offices, keeps seeing it (case, list, workbench), the street replies, and the
district can take a case back."""

from __future__ import annotations

import pytest

from tests.factories import add_streets


@pytest.fixture
def streets(world):
    return add_streets(world)


def _at_district(api) -> dict:
    return api.create_case(department="JINJIANG", title="春熙路小区消防通道被占")


def test_the_district_passes_on_the_street_replies_and_the_district_sees_it(api, streets):
    case = _at_district(api)
    number = case["number"]
    response = api("jinjiang").act(number, "dispatch", department="JINJIANG-CHUNXI",
                                   note="请街道三日内处理")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["department"] == "JINJIANG-CHUNXI" and body["via_department"] == "JINJIANG"
    assert body["handle_deadline"] == case["handle_deadline"]  # the clock runs on
    dispatch = body["events"][-1]
    assert dispatch["action"] == "dispatch" and dispatch["actor"] == "jinjiang-name"
    assert dispatch["data"]["by"] == "JINJIANG"
    assert api("chunxi").act(number, "accept").status_code == 200
    replied = api("chunxi").act(number, "reply", content="街道已清理消防通道并设置隔离桩")
    assert replied.status_code == 200 and replied.get_json()["status"] == "replied"
    seen = api("jinjiang").get(f"/api/v1/cases/{number}").get_json()
    assert seen["status"] == "replied" and seen["answer"].startswith("街道已清理")
    listed = api("jinjiang").get("/api/v1/cases").get_json()["items"]
    assert number in [c["number"] for c in listed]
    assert api("shuyuan").get(f"/api/v1/cases/{number}").status_code == 404
    assert api("urban").get(f"/api/v1/cases/{number}").status_code == 404


def test_the_district_cannot_act_for_its_street_but_can_recall(api, streets):
    number = _at_district(api)["number"]
    api("jinjiang").act(number, "dispatch", department="JINJIANG-CHUNXI")
    refused = api("jinjiang").act(number, "accept")
    assert refused.status_code == 403
    assert "春熙路街道办事处" in refused.get_json()["error"]["message"]
    assert api("jinjiang").act(number, "recall").status_code == 422  # the reason is required
    recalled = api("jinjiang").act(number, "recall", reason="街道人手不足，区里直接办")
    assert recalled.status_code == 200, recalled.get_json()
    body = recalled.get_json()
    assert body["department"] == "JINJIANG" and body["via_department"] is None
    assert body["events"][-1]["action"] == "recall" and body["events"][-1]["public"] is False
    assert api("chunxi").get(f"/api/v1/cases/{number}").status_code == 404
    assert api("jinjiang").act(number, "accept").status_code == 200


def test_refusals_name_the_field(api, streets):
    number = _at_district(api)["number"]
    wrong = api("jinjiang").act(number, "dispatch", department="URBAN")
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "department"
    other = api.create_case(department="URBAN")["number"]
    assert api("urban").act(other, "dispatch", department="HOUSING").status_code == 403
    assert api("urban").act(other, "recall", reason="x").status_code == 403
    assert api("agent").get(f"/api/v1/cases/{number}").get_json()["department"] == "JINJIANG"


def test_the_districts_workbench_shows_its_streets_cases(client, auth, api, streets):
    number = _at_district(api)["number"]
    api("jinjiang").act(number, "dispatch", department="JINJIANG-CHUNXI")
    direct = api.create_case(department="JINJIANG-SHUYUAN", title="书院街路灯不亮")["number"]
    auth.login("jinjiang")
    page = client.get("/workbench").get_data(as_text=True)
    streets_part = page.split('id="street-cases"')[1]
    assert number in streets_part and direct in streets_part
    assert "春熙路街道办事处" in streets_part and "二级派单" in streets_part
    detail = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="district-hint"' in detail and 'data-action="recall"' in detail
    assert 'data-action="reply"' not in detail
    auth.logout()
    auth.login("chunxi")
    assert number in client.get("/workbench").get_data(as_text=True)


def test_the_district_passes_on_through_the_page(client, auth, api, streets):
    number = _at_district(api)["number"]
    auth.login("jinjiang")
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    form = page.split('data-action="dispatch"')[1].split("</form>")[0]
    assert "JINJIANG-CHUNXI" in form and "URBAN" not in form  # only its own streets
    response = client.post(f"/cases/{number}/dispatch", data={
        "department": "JINJIANG-SHUYUAN", "assist": ["", "JINJIANG-CHUNXI"]},
        follow_redirects=True)
    assert response.status_code == 200
    body = api("agent").get(f"/api/v1/cases/{number}").get_json()
    assert body["department"] == "JINJIANG-SHUYUAN"
    assert body["assisting"] == ["JINJIANG-CHUNXI"]
