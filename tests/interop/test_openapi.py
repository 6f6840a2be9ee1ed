"""The OpenAPI document is built from the same declarations the views check input with."""

from __future__ import annotations

import re

from flask import g

from hotline.apispec import check
from hotline.blueprints.api import schemas
from hotline.errors import InvalidInput


def test_document_lists_every_operation_with_its_errors(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    create = doc["paths"]["/api/v1/cases"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == schemas.NEW_CASE
    assert {"201", "400", "401", "403", "413", "422"} <= set(create["responses"])
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    listing = doc["paths"]["/api/v1/cases"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"status", "department", "limit", "cursor"} <= names
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert "in_progress" in status["schema"]["enum"]
    assert "/api/v1/categories" in doc["paths"] and "/api/v1/departments" in doc["paths"]
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]["required"] == [
        "code", "message"]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            secured = bool(op["security"])
            assert ("401" in op["responses"]) == secured, (method, path)


def test_views_refuse_what_the_document_refuses(api):
    body = {"content": "路灯不亮", "urgency": "whenever"}
    try:
        check(schemas.NEW_CASE, body)
    except InvalidInput as refused:
        assert refused.field == "urgency"
    else:
        raise AssertionError("the schema took a bad urgency")
    response = api("agent").post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "urgency"


def test_query_parameters_are_checked_against_the_declaration(api):
    response = api("supervisor").get("/api/v1/cases?limit=lots")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "limit"


def test_reference_page_is_served_without_third_party_code(client):
    with client.get("/api/docs") as page:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html and "apidocs.js" in html
    assert "http" not in html.split("<script", 1)[1].split(">", 1)[0]
    with client.get("/static/apidocs/apidocs.js") as script:
        assert script.status_code == 200


def test_categories_and_departments_in_both_languages(api):
    categories = api("agent").get("/api/v1/categories").get_json()["items"]
    vending = next(c for c in categories if c["code"] == "street_vending")
    assert vending["name"]["zh_CN"] == "占道经营"
    assert set(vending["name"]) == {"zh_CN", "en"}
    assert vending["parent"] == "city_mgmt" and vending["department"] == "URBAN"
    tree = api("urban").get("/api/v1/departments").get_json()["items"]
    assert {d["code"] for d in tree} == {"URBAN", "HOUSING", "JINJIANG"}
    assert all(d["children"] == [] for d in tree)


def test_department_tree_nests_children(api):
    from hotline.services import directory
    from hotline.unit_of_work import unit_of_work

    with unit_of_work():
        directory.add_department("JJ_SHUYUAN", "书院街街道办事处", parent="JINJIANG")
    tree = api("agent").get("/api/v1/departments").get_json()["items"]
    jinjiang = next(d for d in tree if d["code"] == "JINJIANG")
    assert [c["code"] for c in jinjiang["children"]] == ["JJ_SHUYUAN"]


def test_reference_data_needs_a_token(client, world):
    assert client.get("/api/v1/categories").status_code == 401


def test_every_api_route_is_in_the_document(app, client):
    """Walk the app's routes: every /api/v1 operation (health checks included) is printed,
    so nothing an integrator can call is missing from the contract."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {rule.rule}")
    assert missing == []
    for path in ("/api/v1/kb/search", "/api/v1/cases/{number}/phone", "/api/v1/audit",
                 "/api/v1/health", "/api/v1/health/live", "/api/v1/kb/import"):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/kb/import"]["post"]["requestBody"]["content"]
    assert "503" in paths["/api/v1/health"]["get"]["responses"]


def test_kb_and_audit_views_check_input_against_the_document(api):
    refused = api("supervisor").post("/api/v1/kb/articles", json={"title": "x", "colour": "red"})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "colour"
    refused = api("admin").get("/api/v1/audit?limit=100000")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "limit"
    refused = api("supervisor").get("/api/v1/kb/export?format=pdf")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "format"


def test_reference_page_is_one_language_a_page(client):
    """Chinese by default, English in full: the labels come from the catalogue, and the
    script (which holds no text of its own) shows the page's half of each summary."""
    chinese = client.get("/api/docs").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "集成接口参考" in chinese
    g.pop("lang", None)  # the test's app context outlives the request; a server's does not
    english = client.get("/api/docs?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "integration API reference" in english
    assert [run for run in re.findall("[\u4e00-\u9fff]+", english) if run != "中文"] == []
    with client.get("/static/apidocs/apidocs.js") as script:
        assert not re.search("[\u4e00-\u9fff]", script.get_data(as_text=True))
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            assert " / " in op["summary"], (method, path)  # both halves to pick from
            for status, answer in op["responses"].items():
                if not status.startswith("2"):
                    assert " / " in answer["description"], (method, path, status)
