"""Open311 GeoReport v2, checked with a real client (PyPI ``georeport``) against a live
server, and the formats and refusals the specification asks for."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests
from georeport import GeoReport
from werkzeug.serving import make_server

ROOT = "/open311/v2"


@pytest.fixture
def live_root(app, world) -> Iterator[str]:
    """The app served on 127.0.0.1 in a thread; yields the GeoReport root address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{ROOT}"
    finally:
        server.shutdown()
        thread.join(5)


def _post(root: str, token: str, **fields) -> requests.Response:
    data = {"api_key": token, "service_code": "street_vending",
            "description": "书院街路口每天早上占道卖菜，车都过不去，电话13800001111",
            "address_string": "锦江区书院街12号", "first_name": "陈", "phone": "13800001111",
            "email": "chen@example.org", **fields}
    return requests.post(f"{root}/requests.json", data=data, timeout=10)


@pytest.mark.committing
def test_the_georeport_client_reads_what_it_posted(live_root, world):
    client = GeoReport(live_root)
    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert codes == {"street_vending", "property_mgmt"}  # leaves only, not city_mgmt
    assert client.get_service_definition("street_vending")["attributes"] == []

    posted = _post(live_root, world.tokens["agent"])
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == "street_vending"
    text = repr(one)
    assert "13800001111" not in text and "陈" not in text and "12号" not in text
    assert "chen@example.org" not in text

    listed = client.get_service_requests(service_code="street_vending", status="open")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(status="closed") == []

    xml_client = GeoReport(live_root, output_format="xml")
    assert xml_client.get_service_request(number)["service_request_id"] == number
    assert {s["service_code"] for s in xml_client.get_service_list()} == codes


@pytest.mark.committing
def test_a_bad_key_is_refused_in_georeport_form(live_root, world):
    refused = _post(live_root, "hl_not_a_token")
    assert refused.status_code == 403
    assert refused.json()[0]["code"] == 403
    department = _post(live_root, world.tokens["urban"])
    assert department.status_code == 403


def test_lat_long_stand_in_for_an_address(client, world):
    response = client.post(f"{ROOT}/requests.json", data={
        "api_key": world.tokens["agent"], "service_code": "property_mgmt",
        "description": "小区电梯坏了三天", "lat": "30.657", "long": "104.066"})
    assert response.status_code == 201, response.get_json()
    number = response.get_json()[0]["service_request_id"]
    row = client.get(f"{ROOT}/requests/{number}.json").get_json()[0]
    assert (row["lat"], row["long"]) == (30.657, 104.066)


def test_no_location_is_a_georeport_error(client, world):
    response = client.post(f"{ROOT}/requests.xml", data={
        "api_key": world.tokens["agent"], "service_code": "property_mgmt",
        "description": "小区电梯坏了三天"})
    assert response.status_code == 422
    errors = ET.fromstring(response.data)
    assert errors.tag == "errors"
    assert errors.find("error/code").text == "422"
    assert "address_string" in errors.find("error/description").text


def test_unknown_service_and_request_are_404(client, world):
    assert client.get(f"{ROOT}/services/nope.json").get_json()[0]["code"] == 404
    assert client.get(f"{ROOT}/requests/nope.json").status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ("status=pending", "status"), ("start_date=yesterday", "start_date"),
    ("start_date=2025-03-02T00:00:00Z&end_date=2025-03-01T00:00:00Z", "end_date")])
def test_bad_filters_are_georeport_errors(client, world, query, field):
    response = client.get(f"{ROOT}/requests.json?{query}&lang=en")
    assert response.status_code == 422
    description = response.get_json()[0]["description"].lower()
    assert field in description or field.replace("_", " ") in description


def test_replied_cases_are_closed_with_the_answer_as_notes(client, world, api):
    case = api.create_case(department="URBAN", category="street_vending")
    api("urban").act(case["number"], "accept")
    replied = api("urban").act(case["number"], "reply", content="已清理，摊贩已劝离")
    assert replied.status_code == 200
    row = client.get(f"{ROOT}/requests/{case['number']}.json").get_json()[0]
    assert row["status"] == "closed"
    assert row["status_notes"] == "已清理，摊贩已劝离"
    assert row["agency_responsible"] == "市城市管理委员会"


def test_discovery_names_the_endpoint(client):
    body = client.get("/open311/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_other_extensions_are_404_in_georeport_form(client, world):
    response = client.get(f"{ROOT}/services.html")
    assert response.status_code == 404
    assert response.get_json()[0]["code"] == 404
