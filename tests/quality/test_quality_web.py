"""The inspection where people meet it: the API, the reply form and the case page."""

from __future__ import annotations

from hotline.extensions import db
from hotline.models import Case, CaseStatus

REQUEST = "书院街路口每天早上占道卖菜，车都过不去"
GOOD = ("您好，锦江区综合执法局已于6月3日早上派队员到书院街路口现场核查，占道卖菜属实，"
        "已劝离摊贩并责令其进入农贸市场经营，今后每天早上7点至9点安排队员值守。")


def _accepted_case(api) -> str:
    number = api.create_case(department="URBAN", type="complaint")["number"]
    assert api("urban").act(number, "accept").status_code == 200
    return number


def test_api_check_answers_relevance_and_findings(api):
    response = api("supervisor").post("/api/v1/quality/check", json={
        "request": REQUEST, "reply": "已处理。", "type": "complaint"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert 0 <= body["relevance"] <= 1
    assert {"too_short", "no_time"} <= {f["code"] for f in body["findings"]}
    assert all(f["severity"] in ("info", "warning", "serious") for f in body["findings"])
    good = api("urban").post("/api/v1/quality/check", json={"request": REQUEST, "reply": GOOD})
    assert good.status_code == 200
    assert good.get_json()["relevance"] > body["relevance"]
    assert good.get_json()["findings"] == []


def test_api_check_speaks_english_when_asked(client, world):
    response = client.post("/api/v1/quality/check", json={"request": REQUEST, "reply": "好"},
                           headers={"Accept-Language": "en",
                                    "Authorization": f"Bearer {world.tokens['supervisor']}"})
    assert "too short" in " ".join(f["message"] for f in response.get_json()["findings"])


def test_api_check_refuses_bad_input_naming_the_field(api, client):
    assert client.post("/api/v1/quality/check", json={"request": "a", "reply": "b"}
                       ).status_code == 401
    missing = api("supervisor").post("/api/v1/quality/check", json={"request": REQUEST})
    assert missing.status_code == 422 and "reply" in str(missing.get_json())
    blank = api("supervisor").post("/api/v1/quality/check", json={"request": REQUEST,
                                                                   "reply": "  "})
    assert blank.status_code == 422 and "reply" in str(blank.get_json())
    wrong = api("supervisor").post("/api/v1/quality/check", json={"request": 3, "reply": "b"})
    assert wrong.status_code == 422
    nul = api("supervisor").post("/api/v1/quality/check", json={"request": "a\x00", "reply": "b"})
    assert nul.status_code in (400, 422)
    assert api("agent").post("/api/v1/quality/check", json={"request": REQUEST, "reply": GOOD}
                             ).status_code == 403


def test_the_operation_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "post" in document["paths"]["/api/v1/quality/check"]


def test_the_department_sees_findings_before_sending_and_may_still_send(api, auth, client):
    number = _accepted_case(api)
    auth.login("urban")
    page = client.post(f"/cases/{number}/reply", data={"content": "已处理。"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="draft-inspection"' in html and "答复过短" in html
    db.session.expire_all()
    assert db.session.query(Case).filter_by(number=number).one().status == CaseStatus.IN_PROGRESS
    sent = client.post(f"/cases/{number}/reply", data={"content": "已处理。", "checked": "1"})
    assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.query(Case).filter_by(number=number).one().status == CaseStatus.REPLIED


def test_a_clean_reply_is_sent_straight_away(api, auth, client):
    number = _accepted_case(api)
    auth.login("urban")
    sent = client.post(f"/cases/{number}/reply", data={"content": GOOD})
    assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.query(Case).filter_by(number=number).one().status == CaseStatus.REPLIED


def test_supervisors_see_the_inspection_on_the_case_page_departments_do_not(api, auth, client):
    number = _accepted_case(api)
    assert api("urban").act(number, "reply", content="好的").status_code == 200
    auth.login("supervisor")
    html = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="reply-inspection"' in html and "答复过短" in html
    assert 'id="record-inspection"' in html
    auth.logout()
    auth.login("urban")
    html = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="reply-inspection"' not in html and 'id="record-inspection"' not in html


def test_record_checks_on_the_case_page(api, auth, client):
    number = api.create_case(department="URBAN", category="street_vending", address=None,
                             content="每天早上有人占道卖菜", citizen={"name": "李"})["number"]
    auth.login("supervisor")
    html = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "电话来件没有回访号码" in html
    assert "须按属地办理，但工单没有地址" in html
