"""The citizen's view: number + query code, public timeline, rating; no phone, no internals."""

from __future__ import annotations

import pytest


def advance_to_replied(api, **fields) -> dict:
    case = api.create_case(department="URBAN", **fields)
    api("urban").act(case["number"], "accept")
    api("urban").act(case["number"], "extend", days=2, reason="内部协调说明-保密")
    api("supervisor").act(case["number"], "supervise", note="督办意见-内部")
    api("urban").act(case["number"], "reply", content="已清理占道摊点")
    return case


def test_citizen_sees_status_reply_and_public_timeline_only(api, client):
    case = advance_to_replied(api)
    response = client.get(f"/api/v1/track/{case['number']}?code={case['query_code']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "replied"
    assert body["answer"] == "已清理占道摊点"
    assert body["can_rate"] is True
    actions = [e["action"] for e in body["events"]]
    assert actions == ["register", "dispatch", "accept", "reply"]
    text = response.get_data(as_text=True)
    for secret in ("13800001111", "保密", "内部", "agent-name", "urban-name", "query_code"):
        assert secret not in text


def test_wrong_code_answers_exactly_like_unknown_number(api, client):
    case = api.create_case()
    wrong = client.get(f"/api/v1/track/{case['number']}?code=000000x")
    unknown = client.get("/api/v1/track/20990101000001?code=123456")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()


def test_repeated_guessing_is_slowed_down(api, client, app):
    case = api.create_case()
    limit = app.config["TRACK_MAX_FAILURES"]
    for _ in range(limit):
        assert client.get(f"/api/v1/track/{case['number']}?code=999999").status_code == 404
    blocked = client.get(f"/api/v1/track/{case['number']}?code={case['query_code']}")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == str(app.config["TRACK_WINDOW_SECONDS"])
    assert blocked.get_json()["error"]["code"] == "too_many_attempts"


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_satisfied_rating_closes_a_replied_case(api, client, rating):
    case = advance_to_replied(api)
    response = client.post(f"/api/v1/track/{case['number']}/feedback",
                           json={"code": case["query_code"], "satisfaction": rating})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "closed"
    assert body["satisfaction"] == rating
    assert body["can_rate"] is False
    again = client.post(f"/api/v1/track/{case['number']}/feedback",
                        json={"code": case["query_code"], "satisfaction": "dissatisfied"})
    assert again.status_code == 409


def test_dissatisfied_rating_reopens_for_the_same_department(api, client):
    case = advance_to_replied(api)
    response = client.post(f"/api/v1/track/{case['number']}/feedback", json={
        "code": case["query_code"], "satisfaction": "dissatisfied", "comment": "摊点又回来了"})
    assert response.get_json()["status"] == "in_progress"
    staff_view = api("urban").get(f"/api/v1/cases/{case['number']}").get_json()
    assert staff_view["reopen_count"] == 1
    assert staff_view["events"][-1]["action"] == "reopen"
    assert "摊点又回来了" in staff_view["events"][-1]["note"]


@pytest.mark.parametrize(("body", "status"), [
    ({"code": "WRONG", "satisfaction": "satisfied"}, 404),
    ({"satisfaction": "satisfied"}, 404),
    ({"code": None, "satisfaction": "meh"}, 404),
])
def test_feedback_needs_the_right_code(api, client, body, status):
    case = advance_to_replied(api)
    response = client.post(f"/api/v1/track/{case['number']}/feedback", json=body)
    assert response.status_code == status


def test_feedback_value_must_be_known(api, client):
    case = advance_to_replied(api)
    for value in ("meh", "not_rated", None):
        response = client.post(f"/api/v1/track/{case['number']}/feedback",
                               json={"code": case["query_code"], "satisfaction": value})
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == "satisfaction"


def test_open_case_cannot_be_rated(api, client):
    case = api.create_case(department="URBAN")
    response = client.post(f"/api/v1/track/{case['number']}/feedback",
                           json={"code": case["query_code"], "satisfaction": "satisfied"})
    assert response.status_code == 409


def test_tracking_page_shows_progress_and_takes_a_rating(api, client):
    case = advance_to_replied(api)
    page = client.post("/track", data={"number": case["number"], "code": case["query_code"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "已清理占道摊点" in html and "请您评价" in html
    assert "13800001111" not in html and "138****1111" not in html
    rated = client.post(f"/track/{case['number']}/feedback",
                        data={"code": case["query_code"], "satisfaction": "satisfied"},
                        follow_redirects=True)
    assert "感谢您的评价" in rated.get_data(as_text=True)
    assert "已办结" in rated.get_data(as_text=True)


def test_tracking_page_wrong_code(api, client):
    case = api.create_case()
    page = client.post("/track", data={"number": case["number"], "code": "111111"})
    assert page.status_code == 404
    assert "工单号或查询码不正确" in page.get_data(as_text=True)


def test_merged_case_points_the_citizen_to_the_main_case(api, client):
    main = api.create_case()
    duplicate = api.create_case()
    api("agent").act(duplicate["number"], "merge", into=main["number"])
    body = client.get(
        f"/api/v1/track/{duplicate['number']}?code={duplicate['query_code']}").get_json()
    assert body["status"] == "merged"
    assert body["merged_into"] == main["number"]
