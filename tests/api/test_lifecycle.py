"""The whole case lifecycle through the integration API, one action at a time."""

from __future__ import annotations

import pytest


def actions_of(case: dict) -> list[str]:
    return [e["action"] for e in case["events"]]


def test_create_without_department_registers(api):
    case = api.create_case()
    assert case["status"] == "registered"
    assert len(case["number"]) == 14 and case["number"].isdigit()
    assert len(case["query_code"]) == 8  # was 6 digits before issue 11
    assert case["department"] is None
    assert actions_of(case) == ["register"]
    assert case["events"][0]["actor"] == "agent-name"


def test_create_with_department_dispatches_at_once_with_deadlines(api):
    case = api.create_case(department="URBAN", type="complaint")
    assert case["status"] == "dispatched"
    assert case["department"] == "URBAN"
    assert actions_of(case) == ["register", "dispatch"]
    assert case["sign_deadline"] < case["handle_deadline"]


def test_case_numbers_are_unique_and_sorted(api):
    numbers = [api.create_case()["number"] for _ in range(5)]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 5


def test_full_lifecycle_dispatch_accept_reply_close(api):
    number = api.create_case()["number"]
    case = api("agent").act(number, "dispatch", department="URBAN").get_json()
    assert case["status"] == "dispatched"
    case = api("urban").act(number, "accept").get_json()
    assert case["status"] == "in_progress"
    case = api("urban").act(number, "reply", content="已安排执法队员清理").get_json()
    assert case["status"] == "replied"
    assert case["answer"] == "已安排执法队员清理"
    case = api("agent").act(number, "close").get_json()
    assert case["status"] == "closed"
    assert actions_of(case) == ["register", "dispatch", "accept", "reply", "close"]
    statuses = [(e["from_status"], e["to_status"]) for e in case["events"]]
    assert statuses[1:] == [("registered", "dispatched"), ("dispatched", "in_progress"),
                            ("in_progress", "replied"), ("replied", "closed")]


def test_agent_resolves_on_the_spot(api):
    number = api.create_case()["number"]
    case = api("agent").act(number, "resolve", content="已电话解答").get_json()
    assert case["status"] == "closed"
    assert case["answer"] == "已电话解答"


def test_return_goes_back_to_the_centre_with_reason_kept(api):
    number = api.create_case(department="URBAN")["number"]
    refused = api("urban").act(number, "return", reason="  ")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "reason"
    response = api("urban").act(number, "return", reason="不属于本单位职责")
    assert response.status_code == 200
    case = api("agent").get(f"/api/v1/cases/{number}").get_json()
    assert case["status"] == "registered"
    assert case["department"] is None
    assert case["return_count"] == 1
    returned = case["events"][-1]
    assert returned["action"] == "return"
    assert returned["data"] == {"department": "URBAN"}
    assert returned["department"] == "市城市管理委员会"  # who returned it, in the timeline
    assert returned["note"] == "不属于本单位职责"
    # the case is no longer the department's: it cannot see it any more
    assert api("urban").get(f"/api/v1/cases/{number}").status_code == 404


def test_extension_requested_then_approved_moves_the_deadline(api):
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    before = api("urban").get(f"/api/v1/cases/{number}").get_json()["handle_deadline"]
    case = api("urban").act(number, "extend", days=3, reason="需要协调多个部门").get_json()
    assert case["pending_extension"] == {"days": 3, "reason": "需要协调多个部门"}
    assert api("urban").act(number, "extend", days=2, reason="again").status_code == 409
    assert api("urban").act(number, "approve-extension").status_code == 403
    case = api("supervisor").act(number, "approve-extension").get_json()
    assert case["pending_extension"] is None
    assert case["extension_days"] == 3
    assert case["handle_deadline"] > before


def test_extension_rejected_keeps_the_deadline(api):
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    before = api("urban").get(f"/api/v1/cases/{number}").get_json()["handle_deadline"]
    api("urban").act(number, "extend", days=2, reason="材料未齐")
    case = api("supervisor").act(number, "reject-extension", note="请按期办结").get_json()
    assert case["handle_deadline"] == before
    assert case["extension_days"] == 0
    assert api("supervisor").act(number, "reject-extension").status_code == 409


@pytest.mark.parametrize("days", [0, 11, "three", True, None])
def test_extension_days_out_of_range_are_refused(api, days):
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    response = api("urban").act(number, "extend", days=days, reason="r")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "days"


def test_supervise_marks_the_case_and_the_department_sees_the_note(api):
    number = api.create_case(department="URBAN")["number"]
    assert api("agent").act(number, "supervise", note="x").status_code == 403
    case = api("supervisor").act(number, "supervise", note="请今天内处理").get_json()
    assert case["supervised"] is True
    seen = api("urban").get(f"/api/v1/cases/{number}").get_json()
    assert seen["events"][-1]["note"] == "请今天内处理"
    assert case["status"] == "dispatched"


def test_reopen_by_supervisor_returns_to_the_same_department(api):
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    api("urban").act(number, "reply", content="已处理")
    api("agent").act(number, "close")
    assert api("supervisor").act(number, "reopen").status_code == 422
    case = api("supervisor").act(number, "reopen", reason="回访发现未解决").get_json()
    assert case["status"] == "in_progress"
    assert case["department"] == "URBAN"
    assert case["reopen_count"] == 1
    assert case["handle_deadline"] is not None


def test_merge_points_the_duplicate_to_the_main_case(api):
    main = api.create_case()["number"]
    duplicate = api.create_case()["number"]
    assert api("agent").act(duplicate, "merge", into=duplicate).status_code == 422
    assert api("agent").act(duplicate, "merge", into="20990101000001").status_code == 422
    case = api("agent").act(duplicate, "merge", into=main).get_json()
    assert case["status"] == "merged"
    assert case["merged_into"] == main
    main_case = api("agent").get(f"/api/v1/cases/{main}").get_json()
    assert main_case["events"][-1]["action"] == "merged_in"
    assert main_case["events"][-1]["data"] == {"from": duplicate}


def test_merge_into_a_closed_case_is_refused(api):
    closed = api.create_case()["number"]
    api("agent").act(closed, "resolve", content="已解答")
    duplicate = api.create_case()["number"]
    response = api("agent").act(duplicate, "merge", into=closed)
    assert response.status_code == 409
    assert api("agent").get(f"/api/v1/cases/{duplicate}").get_json()["status"] == "registered"


def test_supervisor_redispatches_but_agent_may_not(api):
    number = api.create_case(department="URBAN")["number"]
    assert api("agent").act(number, "dispatch", department="HOUSING").status_code == 403
    case = api("supervisor").act(number, "dispatch", department="HOUSING").get_json()
    assert case["department"] == "HOUSING"
    assert api("urban").get(f"/api/v1/cases/{number}").status_code == 404
    assert api("housing").get(f"/api/v1/cases/{number}").status_code == 200
