"""A quick fuzz of the input boundary: every route of the app, API and forms alike, is sent
NUL bytes, lone surrogates, JSON nested 100,000 deep, huge integers and far-away dates. None
may answer 500; text no database can store is refused with a 4xx that names the field. The
same on SQLite and PostgreSQL (``HOTLINE_TEST_DATABASE_URL``)."""

from __future__ import annotations

import base64
import re

import pytest

from hotline import boundary

SURROGATE_JSON = '{"content": "a\\ud800b", "text": "a\\ud800b", "note": "x\\ud800"}'
NUL_FIELDS = ("content", "text", "note", "reason", "name", "phone", "address", "title",
              "username", "password", "number", "code", "comment", "q", "department")
HUGE = 10**40


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method))
    return sorted(found)


def _url(rule: str, number: str) -> str:
    url = re.sub(r"<fmt>", "json", rule)  # Open311's format suffix
    url = re.sub(r"<int:[^>]+>", "1", url)
    url = re.sub(r"<(?:string:)?number>", number, url)
    return re.sub(r"<[^>]+>", "x", url)


@pytest.fixture
def signed_in(client, auth, world, api):
    """A client signed in as the admin (session) that also has a case to aim at."""
    case = api.create_case()
    auth.login("admin")
    return client, case["number"], {"Authorization": f"Bearer {world.tokens['admin']}"}


def _never_500(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code,
                                        response.get_data(as_text=True)[:300])
    response.close()  # a static file answer holds its file open until closed


def test_every_route_refuses_nul_in_json_with_the_field_named(app, signed_in):
    client, number, bearer = signed_in
    body = {name: "before\x00after" for name in NUL_FIELDS}
    for rule, method in _routes(app):
        if method == "GET":
            continue
        url = _url(rule, number)
        response = client.open(url, method=method, json=body, headers=bearer)
        _never_500(response, f"{method} {url}")
        if not url.startswith("/channels/"):
            assert response.status_code == 422, (url, response.status_code)
            if url.startswith("/api/"):
                assert response.get_json()["error"]["field"] in NUL_FIELDS


def test_every_route_refuses_lone_surrogates(app, signed_in):
    client, number, bearer = signed_in
    for rule, method in _routes(app):
        if method == "GET":
            continue
        url = _url(rule, number)
        response = client.open(url, method=method, data=SURROGATE_JSON,
                               content_type="application/json", headers=bearer)
        _never_500(response, f"{method} {url}")
        if not url.startswith("/channels/"):
            assert response.status_code == 422, url
            if url.startswith("/api/"):
                assert response.get_json()["error"]["field"] in ("content", "text", "note")


def test_every_form_refuses_nul_naming_the_field(app, signed_in):
    client, number, _ = signed_in
    form = {name: "before\x00after" for name in NUL_FIELDS}
    for rule, method in _routes(app):
        if method != "POST" or rule.startswith("/channels/"):
            continue
        url = _url(rule, number)
        response = client.post(url, data=form)
        _never_500(response, f"POST {url}")
        assert response.status_code == 422, url


def test_every_route_refuses_deep_json_with_400(app, signed_in):
    client, number, bearer = signed_in
    deep = "[" * 100_000 + "]" * 100_000
    for rule, method in _routes(app):
        if method == "GET" or rule.startswith("/channels/"):
            continue
        url = _url(rule, number)
        response = client.open(url, method=method, data=deep, content_type="application/json",
                               headers=bearer)
        _never_500(response, f"{method} {url}")
        assert response.status_code == 400, url


def test_every_route_survives_huge_integers(app, signed_in):
    client, number, bearer = signed_in
    body = {"days": HUGE, "version": HUGE, "satisfaction": HUGE, "limit": HUGE, "after": HUGE,
            "content": "ok", "into": HUGE}
    for rule, method in _routes(app):
        if method == "GET":
            continue
        url = _url(rule, number)
        response = client.open(url, method=method, json=body, headers=bearer)
        _never_500(response, f"{method} {url}")


def test_every_get_survives_bad_query_strings(app, signed_in):
    client, number, bearer = signed_in
    cursor = base64.urlsafe_b64encode(str(HUGE).encode()).decode().rstrip("=")
    queries = [
        {"from": "9999-12-31", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"cursor": cursor},
        {"limit": str(HUGE), "after": str(HUGE), "page": str(HUGE), "before": str(HUGE)},
        {"q": "a\x00b", "code": "x\x00", "next": "/\r\nSet-Cookie: x=1"},
    ]
    for rule, method in _routes(app):
        if method != "GET":
            continue
        url = _url(rule, number)
        if url == "/api/v1/health":  # the readiness probe answers 503 when no worker runs
            continue
        for query in queries:
            response = client.get(url, query_string=query, headers=bearer)
            _never_500(response, f"GET {url} {query}")
            if "q" in query and not url.startswith("/channels/"):
                assert response.status_code == 422, url


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2024-02-30", "x"])
def test_dates_out_of_range_name_the_field(api, value):
    response = api("admin").get("/api/v1/cases", query_string={"from": value})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "from"
    stats = api("admin").get("/api/v1/stats", query_string={"to": value})
    assert stats.status_code == 422 and stats.get_json()["error"]["field"] == "to"


def test_overflowing_cursor_is_a_422(api):
    cursor = base64.urlsafe_b64encode(str(HUGE).encode()).decode().rstrip("=")
    response = api("agent").get("/api/v1/cases", query_string={"cursor": cursor})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "cursor"


@pytest.mark.parametrize("blank", ["\u200b", "\ufeff\u200b \u2060", "\u200c\u200d"])
def test_invisible_only_text_is_blank(api, blank):
    response = api("agent").post("/api/v1/cases", json={"content": blank})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "content"


def test_json_depth_is_counted_without_parsing():
    assert boundary.json_depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    assert boundary.json_depth(b'"\\"[[["') == 0
    assert boundary.json_depth(b"[" * 100_000) == 100_000


def test_forbidden_characters_are_escaped_for_the_raw_store():
    assert boundary.escape_forbidden("a\x00b\ud800") == "a\\x00b\\ud800"
    assert boundary.forbidden_character("plain 文本") is None


@pytest.mark.parametrize("article_id", ["9223372036854775808", "2147483648"])
def test_an_id_in_the_path_beyond_any_row_is_422_naming_it(api, article_id):
    """Beyond BIGINT Python's driver overflows; beyond INTEGER (row ids) PostgreSQL refuses
    the comparison: both are the client's mistake, on both databases."""
    for call in (api("supervisor").post, api("supervisor").get):
        path = f"/api/v1/kb/articles/{article_id}" + ("/expire" if call.__name__ == "post"
                                                       else "")
        response = call(path)
        assert response.status_code == 422, path
        assert response.get_json()["error"]["field"] == "article_id"
    assert api("supervisor").get("/api/v1/kb/articles/2147483647").status_code == 404


def test_a_multipart_part_whose_name_does_not_parse_is_no_500(client, world):
    headers = {"Authorization": f"Bearer {world.tokens['supervisor']}"}
    body = (b'--b\r\nContent-Disposition: form-data; name="%0A"\r\n\r\nnull\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n\r\n=\r\n'
            b"--b--\r\n")
    response = client.post("/api/v1/kb/import", headers=headers, data=body,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code < 500


BEYOND_ROW = 2**31  # one past the largest row id (PostgreSQL INTEGER)


@pytest.mark.parametrize("value", [BEYOND_ROW, 0])
def test_a_row_id_in_an_action_body_beyond_any_row_is_422_naming_it(api, value):
    """``kb_article`` names an article row: out of the row-id range it is the client's 422,
    not PostgreSQL's refusal to compare (a 500); the case is left as it was."""
    case = api.create_case(type="consultation", content="请问公积金咋个取")
    response = api("agent").act(case["number"], "resolve", kb_article=value)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == "kb_article"
    assert api("agent").get(f"/api/v1/cases/{case['number']}").get_json()["status"] \
        == "registered"


def test_a_row_id_from_a_form_beyond_any_row_names_the_field(client, auth, world):
    """The console's knowledge-base answer posts the article id as form text: the service
    checks the range itself and the page says which field, registering nothing."""
    from sqlalchemy import func, select

    from hotline.extensions import db
    from hotline.models import Case

    before = db.session.scalar(select(func.count()).select_from(Case))
    auth.login("agent")
    response = client.post("/kb/answer", data={
        "phone": "13800001111", "content": "请问公积金能不能取出来买房",
        "kb_article": str(BEYOND_ROW)}, follow_redirects=True)
    assert response.status_code == 200
    assert "「知识库文章」必须在 1 到 2147483647 之间" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/audit", "before"),
    ("/admin/audit", "before"),
    ("/admin/webhooks", "subscription"),
])
def test_a_row_id_in_a_query_beyond_any_row_is_422_naming_it(client, auth, api, path, field):
    if path.startswith("/api/"):
        response = api("admin").get(path, query_string={field: str(BEYOND_ROW)})
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == field
        assert api("admin").get(path, query_string={field: str(BEYOND_ROW - 1)}).status_code \
            == 200
        return
    auth.login("admin")
    response = client.get(path, query_string={field: str(BEYOND_ROW)})
    assert response.status_code == 422, response.status_code
    assert client.get(path, query_string={field: str(BEYOND_ROW - 1)}).status_code == 200


def test_a_case_cursor_beyond_any_row_is_422(api):
    cursor = base64.urlsafe_b64encode(str(BEYOND_ROW).encode()).decode().rstrip("=")
    response = api("agent").get("/api/v1/cases", query_string={"cursor": cursor})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "cursor"


def test_the_contract_bounds_row_ids():
    from hotline.blueprints.api import schemas

    assert schemas.ACTION_FIELD_TYPES["kb_article"]["maximum"] == boundary.MAX_ROW_ID
    assert schemas.AUDIT_QUERY["properties"]["before"]["maximum"] == boundary.MAX_ROW_ID
