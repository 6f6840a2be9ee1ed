"""The automatic inspection kept: made once per sent reply and per record, read by the case
page and the weekly trends, made again only when the record or the classifier changed."""

from __future__ import annotations

import pytest

from hotline.extensions import db
from hotline.models import Case, InspectionTarget, QualityResult
from hotline.services import quality, quality_store, suggestions
from hotline.unit_of_work import unit_of_work

GOOD = ("您好，锦江区综合执法局已于6月3日早上派队员到书院街路口现场核查，占道卖菜属实，"
        "已劝离摊贩并责令其进入农贸市场经营，今后每天早上7点至9点安排队员值守。")
# written for another request: a broken street light on another road
ELSEWHERE = ("您好，青羊区城管局路灯所于6月2日到光华大道巡查，确认3盏路灯线路老化，"
             "已于6月4日更换线路，现已恢复照明。")


def _accepted(api, **fields) -> str:
    number = api.create_case(department="URBAN", type="complaint", **fields)["number"]
    assert api("urban").act(number, "accept").status_code == 200
    return number


def _results(number: str, target: InspectionTarget) -> list[QualityResult]:
    case = db.session.query(Case).filter_by(number=number).one()
    return db.session.query(QualityResult).filter_by(case_id=case.id, target=target).all()


def test_a_reply_sent_from_the_form_is_inspected_once_and_kept(api, auth, client, monkeypatch):
    number = _accepted(api)
    auth.login("urban")
    assert client.post(f"/cases/{number}/reply", data={"content": ELSEWHERE,
                                                      "checked": "1"}).status_code == 303
    [kept] = _results(number, InspectionTarget.REPLY)
    assert "off_topic" in {f["code"] for f in kept.findings}  # should be flagged
    assert kept.department_id is not None and kept.relevance < 0.15
    # the supervisor's page reads the kept result: inspecting again would fail here
    monkeypatch.setattr(quality, "check_reply", lambda *a, **k: pytest.fail("recomputed"))
    auth.logout()
    auth.login("supervisor")
    html = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="reply-inspection"' in html and "相关度低" in html


def test_a_good_reply_is_kept_without_findings(api, auth, client):
    number = _accepted(api)
    auth.login("urban")
    assert client.post(f"/cases/{number}/reply", data={"content": GOOD}).status_code == 303
    [kept] = _results(number, InspectionTarget.REPLY)
    assert kept.findings == [] and kept.worst is None  # should not be flagged
    assert kept.relevance > 0.5


def test_the_job_inspects_replies_and_records_that_came_another_way(api):
    number = _accepted(api)
    assert api("urban").act(number, "reply", content=GOOD).status_code == 200  # JSON: no form
    assert _results(number, InspectionTarget.REPLY) == []
    with unit_of_work():
        done = quality_store.inspect_pending()
    assert done["replies"] >= 1 and done["records"] >= 1
    assert len(_results(number, InspectionTarget.REPLY)) == 1
    assert len(_results(number, InspectionTarget.RECORD)) == 1
    with unit_of_work():
        assert quality_store.inspect_pending() == {"replies": 0, "records": 0}


def test_the_record_check_runs_the_classifier_once_per_text_and_model(api, auth, client,
                                                                       monkeypatch):
    number = api.create_case(channel="phone", citizen={"name": "王"}, category="street_vending",
                             address="")["number"]
    calls = []
    real = suggestions.suggest
    monkeypatch.setattr(suggestions, "suggest",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    auth.login("supervisor")
    first = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="record-inspection"' in first and "没有回访号码" in first  # should be flagged
    assert len(calls) == 1
    client.get(f"/cases/{number}")
    client.get(f"/cases/{number}")
    assert len(calls) == 1  # kept: the classifier is not asked again
    case = db.session.query(Case).filter_by(number=number).one()
    case.address = "锦江区书院街"  # the record changed: checked again
    db.session.flush()
    client.get(f"/cases/{number}")
    assert len(calls) == 2 and len(_results(number, InspectionTarget.RECORD)) == 1


def test_trends_show_each_department_and_agent_by_week(api, auth, client):
    number = _accepted(api)
    auth.login("urban")
    client.post(f"/cases/{number}/reply", data={"content": ELSEWHERE, "checked": "1"})
    with unit_of_work():
        quality_store.inspect_pending()
    auth.logout()
    auth.login("supervisor")
    html = client.get("/oversight/inspection/trends").get_data(as_text=True)
    assert 'id="reply-trends"' in html and "市城市管理委员会" in html
    assert 'id="record-trends"' in html and "agent-name" in html
    assert "100%" in html  # the one reply this week was flagged
    body = api("supervisor").get("/api/v1/inspection/trends?target=reply").get_json()
    [urban] = [i for i in body["items"] if i["key"] == "URBAN"]
    assert urban["weeks"][-1]["inspected"] == 1 and urban["weeks"][-1]["flagged"] == 1
    assert api("urban").get("/api/v1/inspection/trends").status_code == 403
