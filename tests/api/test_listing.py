"""Case lists: filters and keyset pages that neither skip nor repeat."""

from __future__ import annotations


def test_keyset_pages_cover_every_case_once(api):
    created = {api.create_case()["number"] for _ in range(7)}
    seen: list[str] = []
    url = "/api/v1/cases?limit=3"
    while url:
        body = api("supervisor").get(url).get_json()
        seen.extend(item["number"] for item in body["items"])
        url = f"/api/v1/cases?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == created
    assert seen == sorted(seen, reverse=True)


def test_filters_by_status_and_department(api):
    dispatched = api.create_case(department="URBAN")["number"]
    api.create_case(department="HOUSING")
    api.create_case()
    body = api("supervisor").get("/api/v1/cases?status=dispatched&department=URBAN").get_json()
    assert [c["number"] for c in body["items"]] == [dispatched]


def test_text_search_finds_content(api):
    wanted = api.create_case(content="抚琴街道路灯坏了三天")["number"]
    api.create_case(content="别的事情")
    body = api("supervisor").get("/api/v1/cases?q=路灯").get_json()
    assert [c["number"] for c in body["items"]] == [wanted]


def test_bad_filters_are_422(api):
    for query, field in (("status=flying", "status"), ("department=NOPE", "department"),
                         ("limit=0", "limit"), ("limit=abc", "limit"), ("cursor=%%%", "cursor"),
                         ("from=2026-13-01", "from")):
        response = api("supervisor").get(f"/api/v1/cases?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["field"] == field


def test_list_never_carries_phone_numbers(api):
    api.create_case()
    text = api("supervisor").get("/api/v1/cases").get_data(as_text=True)
    assert "13800001111" not in text


def test_text_search_needs_every_word_in_title_content_or_address(api):
    both = api.create_case(content="晚上广场舞噪音太大", address="武侯区玉林街道玉林北路")["number"]
    api.create_case(content="晚上广场舞噪音太大", address="锦江区书院南街")
    api.create_case(content="玉林北路路灯坏了")
    body = api("supervisor").get("/api/v1/cases?q=玉林北路  噪音").get_json()
    assert [c["number"] for c in body["items"]] == [both]


def test_text_search_takes_percent_and_underscore_literally(api):
    wanted = api.create_case(content="优惠写着100%返现但是不兑现")["number"]
    api.create_case(content="其它100元的事情")
    body = api("supervisor").get("/api/v1/cases?q=100%25").get_json()
    assert [c["number"] for c in body["items"]] == [wanted]
    assert api("supervisor").get("/api/v1/cases?q=_").get_json()["items"] == []


def test_agent_finds_a_callers_history_by_the_start_of_the_number(api, client, auth):
    mine = api.create_case(citizen={"name": "陈先生", "phone": "13899990000"})["number"]
    api.create_case(citizen={"name": "李女士", "phone": "13900001111"})
    auth.login("agent")
    for typed in ("1389999", "+86 138 9999 0000", "13899990000"):
        items = client.get(f"/agent/lookup?phone={typed}").get_json()["items"]
        assert [i["number"] for i in items] == [mine], typed
    assert client.get("/agent/lookup?phone=1390000").get_json()["items"][0]["number"] != mine
    assert client.get("/agent/lookup?phone=9999999").get_json()["items"] == []
