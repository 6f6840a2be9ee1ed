"""Repeat requests: hints in the console, exact repeats joined automatically, similar requests
of other citizens about the same place offered for a merge on the case page."""

from __future__ import annotations

from datetime import timedelta

from hotline.extensions import db
from hotline.models import Case, CaseEvent, CaseStatus
from tests.intake.conftest import all_cases, post_sms, sms_body


def test_console_hint_shows_possible_repeat_with_similarity(client, auth, api):
    number = api.create_case(content="书院街路口每天早上占道卖菜，车都过不去")["number"]
    auth.login("agent")
    typed = {"phone": "138-0000-1111", "content": "书院街路口又有人占道卖菜，车开不过去"}
    items = client.get("/agent/repeats", query_string=typed).get_json()["items"]
    assert [i["number"] for i in items] == [number]
    assert 0.3 <= items[0]["similarity"] < 1 and items[0]["percent"] == round(
        items[0]["similarity"] * 100)


def test_console_hint_ignores_other_callers_unrelated_text_and_old_cases(app, client, auth, api):
    number = api.create_case(content="书院街路口每天早上占道卖菜，车都过不去")["number"]
    auth.login("agent")

    def hints(phone: str, content: str) -> list:
        return client.get("/agent/repeats", query_string={
            "phone": phone, "content": content}).get_json()["items"]

    assert hints("13900002222", "书院街路口每天早上占道卖菜") == []
    assert hints("13800001111", "小区停水两天了") == []
    case = db.session.query(Case).filter_by(number=number).one()
    case.created_at = case.created_at - timedelta(days=app.config["REPEAT_WINDOW_DAYS"] + 1)
    db.session.commit()
    assert hints("13800001111", "书院街路口每天早上占道卖菜，车都过不去") == []


def test_console_page_has_the_repeat_hint_area(client, auth, world):
    auth.login("agent")
    html = client.get("/agent").get_data(as_text=True)
    assert 'id="repeats"' in html and "可能重复" in html


def test_exact_repeat_by_sms_is_added_to_the_open_case_not_a_new_one(client, channels, api):
    number = api.create_case(content="书院街路口每天早上占道卖菜，车都过不去",
                             department="URBAN")["number"]
    post_sms(client, sms_body(message_id="rep-1", text="书院街路口每天早上占道卖菜，车都过不去！"))
    [case] = all_cases()
    assert case.number == number
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, action="repeat").one()
    assert event.public and event.to_status == CaseStatus.DISPATCHED


def test_repeat_of_a_closed_case_is_a_new_case(client, channels, api):
    number = api.create_case(content="书院街路口每天早上占道卖菜")["number"]
    api("agent").act(number, "resolve", content="已告知城管")
    post_sms(client, sms_body(message_id="rep-2", text="书院街路口每天早上占道卖菜"))
    assert len(all_cases()) == 2


def _case_at(api, phone: str, content: str, street: str = "书院街街道") -> str:
    number = api.create_case(content=content, citizen={"name": "市民", "phone": phone},
                             address="锦江区书院街")["number"]
    case = db.session.query(Case).filter_by(number=number).one()
    case.district, case.street = "锦江区", street  # as the gazetteer would locate it
    db.session.commit()
    return number


def test_similar_requests_of_other_citizens_are_listed_with_a_merge_button(client, auth, api):
    main = _case_at(api, "13800001111", "书院街夜市摊位摆到人行道上，行人只能走机动车道")
    other = _case_at(api, "13900002222", "书院街夜市摊位占了人行道，行人只能走机动车道很危险")
    _case_at(api, "13700003333", "小区电梯坏了两个星期")  # same place, different matter
    _case_at(api, "13600004444", "书院街夜市摊位摆到人行道上", street="春熙路街道")
    auth.login("supervisor")
    html = client.get(f"/cases/{main}").get_data(as_text=True)
    section = html.split('id="similar-cases"', 1)[1].split("</section>", 1)[0]
    assert "相似诉求" in html and other in section
    assert section.count('class="mono"') == 1
    assert f"/cases/{main}/similar/{other}/merge" in section


def test_merge_button_merges_the_similar_case_into_this_one(client, auth, api):
    main = _case_at(api, "13800001111", "书院街夜市摊位摆到人行道上，行人只能走机动车道")
    other = _case_at(api, "13900002222", "书院街夜市摊位占了人行道，行人只能走机动车道很危险")
    auth.login("supervisor")
    response = client.post(f"/cases/{main}/similar/{other}/merge")
    assert response.status_code == 303 and response.headers["Location"].endswith(main)
    db.session.expire_all()
    merged = db.session.query(Case).filter_by(number=other).one()
    assert merged.status == CaseStatus.MERGED and merged.merged_into.number == main
    assert db.session.query(CaseEvent).filter_by(action="merged_in").count() == 1


def test_department_staff_do_not_get_merge_suggestions(client, auth, api):
    main = _case_at(api, "13800001111", "书院街夜市摊位摆到人行道上，行人只能走机动车道")
    _case_at(api, "13900002222", "书院街夜市摊位占了人行道，行人只能走机动车道很危险")
    api("agent").act(main, "dispatch", department="URBAN")
    auth.login("urban")
    html = client.get(f"/cases/{main}").get_data(as_text=True)
    assert 'id="similar-cases"' not in html
