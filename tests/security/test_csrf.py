"""CSRF: every form and session-authenticated JSON endpoint refuses a request without the
page's token or from another origin; bearer-token API calls and signed webhooks are exempt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hotline
from tests.security_helpers import csrf_token, login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _unsafe_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & UNSAFE
        if not methods or rule.rule.startswith("/channels/"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            value = "json" if argument == "fmt" else "1"  # Open311's format suffix
            path = re.sub(rf"<(?:[a-z]+:)?{argument}>", value, path)
        urls.append((sorted(methods)[0], path))
    return urls


def test_every_form_in_the_templates_carries_the_token():
    missing = []
    for template in Path(hotline.__file__).parent.joinpath("templates").rglob("*.html"):
        for form in re.findall(r"<form\b[^>]*>.{0,120}", template.read_text(), re.S):
            if 'method="post"' in form and "csrf_token()" not in form:
                missing.append(f"{template.name}: {form[:60]}")
    assert missing == []


def test_every_unsafe_route_refuses_a_signed_in_request_without_token(app, client, world):
    assert login(client, "admin").status_code == 302
    urls = _unsafe_urls(app)
    assert len(urls) > 20
    for method, path in urls:
        response = client.open(path, method=method, data={"x": "1"})
        assert response.status_code == 400, (method, path, response.status_code)
        if response.is_json:
            text = response.get_json()["error"]["message"]
        else:
            text = response.get_data(as_text=True)
        assert "安全校验失败" in text, (method, path)


def test_a_form_with_the_token_goes_through(client, world):
    login(client, "admin")
    token = csrf_token(client, "/admin/departments")
    response = client.post("/admin/departments", data={"code": "NEWD", "name": "新单位",
                                                        "csrf_token": token})
    assert response.status_code == 303


def test_login_itself_needs_the_token(client, world):
    from tests import factories

    response = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    assert response.status_code == 400


def test_the_token_from_another_session_is_refused(app, client, world):
    other = app.test_client()
    stolen = csrf_token(other)
    login(client, "admin")
    response = client.post("/admin/departments", data={"code": "X1", "name": "x",
                                                        "csrf_token": stolen})
    assert response.status_code == 400


@pytest.mark.parametrize("header", [{"Origin": "http://evil.example"},
                                    {"Origin": "http://localhost:8080"},
                                    {"Origin": "null"},
                                    {"Referer": "http://evil.example/form.html"}])
def test_another_origin_is_refused_even_with_a_token(client, world, header):
    login(client, "admin")
    token = csrf_token(client, "/admin/departments")
    response = client.post("/admin/departments", headers=header,
                           data={"code": "X2", "name": "x", "csrf_token": token})
    assert response.status_code == 400


def test_same_origin_header_is_accepted(client, world):
    login(client, "admin")
    token = csrf_token(client, "/admin/departments")
    response = client.post("/admin/departments", headers={"Origin": "http://localhost"},
                           data={"code": "X3", "name": "x", "csrf_token": token})
    assert response.status_code == 303


def test_session_json_endpoint_answers_json_and_accepts_the_header(client, world):
    login(client, "agent")
    body = {"current_password": "wrong-wrong-wrong", "new_password": "a-fresh-passphrase-9"}
    refused = client.post("/api/v1/me/password", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    allowed = client.post("/api/v1/me/password", json=body,
                          headers={"X-CSRFToken": csrf_token(client, "/agent")})
    assert allowed.status_code == 422  # past CSRF: the current password is wrong


def test_refusal_speaks_the_pages_language(client, world):
    login(client, "admin")
    client.get("/?lang=en")
    response = client.post("/admin/departments", data={"code": "X4", "name": "x"})
    assert response.status_code == 400
    assert "Security check failed" in response.get_data(as_text=True)


def test_bearer_api_calls_need_no_csrf_token(api):
    case = api.create_case()
    assert case["number"]


def test_unauthenticated_api_post_gets_401_not_csrf(client, world):
    response = client.post("/api/v1/cases", json={})
    assert response.status_code == 401


def test_signed_webhooks_are_exempt(client, world):
    response = client.post("/channels/sms", data=b"{}", content_type="application/json")
    assert response.status_code != 400 or "csrf" not in response.get_data(as_text=True)


def test_public_forms_are_protected_too(client, world):
    response = client.post("/track", data={"number": "1", "code": "2"})
    assert response.status_code == 400
    token = csrf_token(client, "/")
    response = client.post("/track", data={"number": "1", "code": "2", "csrf_token": token})
    assert response.status_code == 404


def test_scripts_send_the_token_header():
    for name in ("chat.js", "agent_chat.js"):
        source = Path(hotline.__file__).parent.joinpath("static", "js", name).read_text()
        assert '"X-CSRFToken": csrfToken()' in source
        assert 'meta[name="csrf-token"]' in source
