"""Manual inspection: the weekly stratified sample (reproducible), the admins' rubric, and
the scores joining the department assessment, through the API and the pages."""

from __future__ import annotations

from datetime import date

from hotline.extensions import db
from hotline.models import InspectionSample, InspectionTarget, RubricItem, User
from hotline.services import directory, sampling
from hotline.unit_of_work import unit_of_work

GOOD = ("您好，锦江区综合执法局已于6月3日早上派队员到书院街路口现场核查，占道卖菜属实，"
        "已劝离摊贩并责令其进入农贸市场经营，今后每天早上7点至9点安排队员值守。")


def _replied(api, department: str, user: str, n: int) -> list[str]:
    numbers = []
    for _ in range(n):
        number = api.create_case(department=department, type="complaint")["number"]
        assert api(user).act(number, "accept").status_code == 200
        assert api(user).act(number, "reply", content=GOOD).status_code == 200
        numbers.append(number)
    return numbers


def _rubric() -> None:
    with unit_of_work():
        sampling.ensure_default_rubric()


def test_the_draw_is_a_pure_function_of_target_stratum_and_week():
    ids = list(range(1, 41))
    week = date(2026, 11, 30)
    seed = sampling.seed_for(InspectionTarget.REPLY, "URBAN", week)
    first = sampling.draw_from(ids, 5, seed)
    assert first == sampling.draw_from(list(reversed(ids)), 5, seed)  # order does not matter
    assert len(first) == 5 and set(first) <= set(ids)
    others = {tuple(sampling.draw_from(ids, 5, sampling.seed_for(InspectionTarget.REPLY, s, w)))
              for s in ("URBAN", "HOUSING") for w in (week, date(2026, 12, 7))}
    assert len(others) == 4  # another department or week draws other cases
    assert sampling.draw_from([3, 1], 5, seed) == [1, 3]  # fewer than asked: all of them
    assert sampling.week_of(date(2026, 12, 3)) == week


def test_a_sample_is_stratified_by_department_and_drawn_again_identically(api, world):
    urban = _replied(api, "URBAN", "urban", 6)
    housing = _replied(api, "HOUSING", "housing", 3)
    response = api("supervisor").post("/api/v1/inspection/samples",
                                      json={"target": "reply", "size": 2})
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    by_department: dict[str, list[str]] = {}
    for item in items:
        by_department.setdefault(item["department"], []).append(item["case"])
    assert sorted(by_department) == ["HOUSING", "URBAN"]
    assert len(by_department["URBAN"]) == 2 and set(by_department["URBAN"]) <= set(urban)
    assert len(by_department["HOUSING"]) == 2 and set(by_department["HOUSING"]) <= set(housing)
    # drawing again keeps the sample; thrown away and drawn anew, it is the same cases
    again = api("supervisor").post("/api/v1/inspection/samples", json={"size": 2})
    assert {i["case"] for i in again.get_json()["items"]} == {i["case"] for i in items}
    db.session.query(InspectionSample).delete()
    fresh = api("supervisor").post("/api/v1/inspection/samples", json={"size": 2})
    assert {i["case"] for i in fresh.get_json()["items"]} == {i["case"] for i in items}
    listed = api("supervisor").get("/api/v1/inspection/samples?target=reply")
    assert len(listed.get_json()["items"]) == 4


def test_records_are_sampled_per_agent(api, world):
    with unit_of_work():
        directory.add_user("agent2", role="agent", password="second-desk-pass-2025",
                           display_name="agent2-name")
        world.tokens["agent2"] = directory.create_token("agent2")
    mine = [api.create_case()["number"] for _ in range(4)]
    theirs = [api.create_case("agent2")["number"] for _ in range(2)]
    items = api("supervisor").post("/api/v1/inspection/samples", json={
        "target": "record", "size": 3}).get_json()["items"]
    assert {i["case"] for i in items if i["agent"] == "agent"} <= set(mine)
    assert len([i for i in items if i["agent"] == "agent"]) == 3
    assert {i["case"] for i in items if i["agent"] == "agent2"} == set(theirs)


def test_scores_follow_the_rubric_and_join_the_assessment(api, app, client, auth, world):
    _rubric()
    _replied(api, "URBAN", "urban", 2)
    items = api("supervisor").post("/api/v1/inspection/samples", json={"size": 1}
                                   ).get_json()["items"]
    sample = items[0]["id"]
    url = f"/api/v1/inspection/samples/{sample}/score"
    full = {"relevance": 10, "action": 10, "basis": 5, "manner": 5}
    missing = api("supervisor").post(url, json={"points": {"relevance": 10}})
    assert missing.status_code == 422 and "points.action" in str(missing.get_json())
    too_high = api("supervisor").post(url, json={"points": {**full, "basis": 6}})
    assert too_high.status_code == 422 and "points.basis" in str(too_high.get_json())
    unknown = api("supervisor").post(url, json={"points": {**full, "speed": 1}})
    assert unknown.status_code == 422 and "points.speed" in str(unknown.get_json())
    assert api("urban").post(url, json={"points": full}).status_code == 403
    assert api("supervisor").post("/api/v1/inspection/samples/999999/score",
                                  json={"points": full}).status_code == 404
    # relevance 3×(5/10) + action 3×(10/10) + basis 2×(0/5) + manner 2×(5/5) = 6.5 of 10
    scored = api("supervisor").post(url, json={"points": {**full, "relevance": 5, "basis": 0},
                                               "note": "未引用依据"})
    assert scored.status_code == 200, scored.get_json()
    assert scored.get_json()["score"] == 65.0
    # the department's assessment now has the manual part, weighed in its score
    app.config["ASSESSMENT_MIN_CASES"] = 1
    auth.login("supervisor")
    html = client.get("/oversight").get_data(as_text=True)
    assert "人工质检得分" in html and "65.0" in html


def test_the_inspection_page_draws_and_scores(client, auth, api, world):
    _rubric()
    _replied(api, "URBAN", "urban", 3)
    auth.login("supervisor")
    page = client.get("/oversight/inspection")
    assert page.status_code == 200 and "URBAN 3" in page.get_data(as_text=True)
    drawn = client.post("/oversight/inspection/draw", data={"target": "reply", "size": "2"})
    assert drawn.status_code == 303
    samples = db.session.query(InspectionSample).all()
    assert len(samples) == 2
    html = client.get("/oversight/inspection").get_data(as_text=True)
    assert 'name="points.relevance"' in html and 'name="csrf_token"' in html
    scored = client.post(f"/oversight/inspection/{samples[0].id}/score", data={
        "points.relevance": "8", "points.action": "8", "points.basis": "4",
        "points.manner": "4"})
    assert scored.status_code == 303
    db.session.expire_all()
    assert db.session.get(InspectionSample, samples[0].id).score == 80.0
    bad = client.post(f"/oversight/inspection/{samples[1].id}/score", data={
        "points.relevance": "x"}, follow_redirects=True)
    assert "points.relevance" in bad.get_data(as_text=True) or "须为数字" in bad.get_data(
        as_text=True)
    auth.logout()
    auth.login("urban")
    assert client.get("/oversight/inspection").status_code == 403


def test_admins_edit_the_rubric(client, auth, world):
    auth.login("admin")
    page = client.get("/oversight/inspection/rubric")
    assert page.status_code == 200 and "针对所诉问题答复" in page.get_data(as_text=True)
    added = client.post("/oversight/inspection/rubric", data={
        "target": "record", "code": "politeness", "name": "服务礼貌", "weight": "2",
        "max_score": "5", "position": "9", "active": "1"})
    assert added.status_code == 303
    item = db.session.query(RubricItem).filter_by(code="politeness").one()
    assert item.target == InspectionTarget.RECORD and item.weight == 2.0
    changed = client.post(f"/oversight/inspection/rubric/{item.id}", data={
        "target": "record", "code": "politeness", "name": "服务礼貌", "weight": "500",
        "max_score": "5"}, follow_redirects=True)
    assert "weight" in changed.get_data(as_text=True) or "100" in changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RubricItem, item.id).weight == 2.0  # refused: nothing changed
    auth.logout()
    auth.login("supervisor")
    assert client.get("/oversight/inspection/rubric").status_code == 403
    assert db.session.query(User).filter_by(username="admin").one().role.value == "admin"


def test_a_score_keeps_the_rubric_it_was_given_under_when_admins_change_it(
        client, auth, api, world):
    _rubric()
    _replied(api, "URBAN", "urban", 1)
    sample = api("supervisor").post("/api/v1/inspection/samples", json={"size": 1}
                                    ).get_json()["items"][0]["id"]
    url = f"/api/v1/inspection/samples/{sample}/score"
    full = {"relevance": 10, "action": 10, "basis": 5, "manner": 5}
    scored = api("supervisor").post(url, json={"points": {**full, "basis": 0}}).get_json()
    assert scored["score"] == 80.0
    assert {i["code"]: i["weight"] for i in scored["rubric"]}["basis"] == 2.0
    auth.login("supervisor")
    assert "按旧版细则评分" not in client.get("/oversight/inspection").get_data(as_text=True)
    auth.logout()
    with unit_of_work():  # the admins double the weight of the basis
        db.session.query(RubricItem).filter_by(target=InspectionTarget.REPLY,
                                               code="basis").one().weight = 4.0
    db.session.expire_all()
    kept = db.session.get(InspectionSample, sample)
    assert kept.score == 80.0 and {i["code"]: i["weight"] for i in kept.rubric}["basis"] == 2.0
    auth.login("supervisor")
    html = client.get("/oversight/inspection").get_data(as_text=True)
    assert "按旧版细则评分" in html and "权重 2" in html
    # scoring again uses the rubric of now: relevance 3 + action 3 + basis 0 + manner 2 of 12
    again = api("supervisor").post(url, json={"points": {**full, "basis": 0}}).get_json()
    assert round(again["score"], 1) == 66.7
    assert "按旧版细则评分" not in client.get("/oversight/inspection").get_data(as_text=True)
