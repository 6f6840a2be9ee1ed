"""Bad input gets a clear error with the right status, and nothing is half-written."""

from __future__ import annotations

import pytest

from hotline.extensions import db
from hotline.models import Case, CaseEvent, Citizen


def counts() -> tuple[int, int, int]:
    return (db.session.query(Case).count(), db.session.query(CaseEvent).count(),
            db.session.query(Citizen).count())


@pytest.mark.parametrize(("body", "field"), [
    ({"content": ""}, "content"),
    ({"content": "   \n\t "}, "content"),
    ({"content": "x" * 5001}, "content"),
    ({"content": 42}, "content"),
    ({"content": "ok", "channel": "fax"}, "channel"),
    ({"content": "ok", "type": "rant"}, "type"),
    ({"content": "ok", "urgency": "yesterday"}, "urgency"),
    ({"content": "ok", "department": "NOPE"}, "department"),
    ({"content": "ok", "category": "no_such"}, "category"),
    ({"content": "ok", "citizen": {"phone": "call me maybe"}}, "phone"),
    ({"content": "ok", "citizen": "陈先生"}, "citizen"),
    ({"content": "ok", "colour": "red"}, "colour"),
    ({"content": "ok", "citizen": {"email": "a@b"}}, "citizen.email"),
    ({"content": "ok", "title": "t" * 201}, "title"),
])
def test_invalid_fields_are_422_naming_the_field(api, body, field):
    before = counts()
    response = api("agent").post("/api/v1/cases", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert error["message"]
    assert counts() == before


def test_message_names_the_limit(api):
    response = api("agent").post("/api/v1/cases", json={"content": "长" * 5001})
    assert "5000" in response.get_json()["error"]["message"]
    assert "5001" in response.get_json()["error"]["message"]


def test_english_message_when_asked(api, client, world):
    response = client.post("/api/v1/cases", json={"content": ""}, headers={
        "Authorization": f"Bearer {world.tokens['agent']}", "Accept-Language": "en"})
    message = response.get_json()["error"]["message"]
    assert "must not be empty" in message
    assert "content" in message.lower()


@pytest.mark.parametrize(("data", "content_type"), [
    (b'{"content": "unterminated', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"content=hello", "application/x-www-form-urlencoded"),
    (b"\xff\xfe not utf-8", "application/json"),
])
def test_malformed_bodies_are_400(api, data, content_type):
    before = counts()
    response = api("agent").post("/api/v1/cases", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed"
    assert counts() == before


def test_oversized_body_is_413(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    before = counts()
    response = api("agent").post("/api/v1/cases", json={"content": "x" * 20_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert counts() == before


def test_dispatch_to_unknown_department_changes_nothing(api):
    case = api.create_case()
    response = api("agent").act(case["number"], "dispatch", department="NOPE")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "department"
    again = api("agent").get(f"/api/v1/cases/{case['number']}").get_json()
    assert again["status"] == "registered"
    assert again["version"] == case["version"]


def test_markup_is_stored_as_given_and_shown_escaped(api, client, auth):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    case = api.create_case(title=script, content=f"内容 {script}", address=script,
                           citizen={"name": script, "phone": "13800001111"})
    assert case["title"] == script
    assert case["content"] == f"内容 {script}"
    auth.login("agent")
    for url in (f"/cases/{case['number']}", "/cases", "/agent"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html
    public = client.post("/track", data={"number": case["number"], "code": case["query_code"]})
    html = public.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
