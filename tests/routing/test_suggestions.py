"""Routing suggestions end to end: rules, the model, the gazetteer, corrections, versions."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.extensions import db
from hotline.models import Case, ClassifierModel, RoutingCorrection, User
from hotline.services import cases, corrections, suggestions
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work
from workflows.retrain import train_version

VENDING = "锦江区书院街路口每天早上都有人占道摆摊卖菜，车都开不过去，城管也不来管"


def system_case(content: str, **fields) -> Case:
    return register_case(Actor.system("市长信箱"),
                               NewCase(content=content, channel="mailbox", **fields))


def test_model_ranks_the_right_category_first(active_model):
    suggestion = suggestions.suggest(VENDING)
    assert suggestion.categories[0].code == "street_vending"
    assert suggestion.categories[0].name == "占道经营"
    scores = [c.score for c in suggestion.categories]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True) and sum(scores) <= 1.0001
    assert suggestion.model_version == "starter-test"


def test_local_routing_follows_the_place(active_model):
    suggestion = suggestions.suggest(VENDING, "锦江区书院街")
    assert suggestion.district == "锦江区"
    assert suggestion.department == "JINJIANG"  # 属地: the district government, not the bureau


def test_emergency_words_mark_the_request(active_model, client, auth):
    suggestion = suggestions.suggest("楼道里闻到很大的煤气味，怕是燃气泄漏了")
    assert suggestion.emergency is not None
    assert suggestion.emergency["transfer_to"] == "119"
    auth.login("agent")
    body = client.get("/agent/suggest?content=楼道里闻到很大的煤气味，燃气泄漏了").get_json()
    assert "119" in body["emergency"]


def test_confident_mailbox_case_is_dispatched_automatically(active_model):
    case = system_case(VENDING, address="锦江区书院街")
    assert suggestions.auto_dispatch(case) is True
    db.session.refresh(case)
    assert case.status.value == "dispatched"
    assert case.category.code == "street_vending"
    assert case.department.code == "JINJIANG"


def test_below_the_threshold_the_case_waits_for_an_agent(active_model, app):
    app.config["CLASSIFIER_THRESHOLD"] = 0.999
    case = system_case("你好，请问一下")
    assert suggestions.auto_dispatch(case) is False
    assert case.status.value == "registered"


def test_rules_that_disagree_leave_the_case_to_an_agent(active_model):
    # 欠薪 (wage arrears, HRSS) and 停电 (power cut, GRID) are rules of the same rank.
    text = "公司欠薪三个月了，宿舍还天天停电，没人管"
    suggestion = suggestions.suggest(text)
    assert suggestion.rule_conflict and not suggestion.confident
    assert suggestion.category in {"wage_arrears", "power_supply"}  # shown to the agent
    case = system_case(text)
    assert suggestions.auto_dispatch(case) is False
    assert case.status.value == "registered"
    assert not suggestions.suggest("公司欠薪三个月了").rule_conflict


def test_without_a_model_only_the_centres_rules_route(app, world):
    vague = system_case("我想反映一个情况，麻烦你们看一下")
    assert suggestions.auto_dispatch(vague) is False
    assert suggestions.suggest(VENDING).categories == []
    ruled = suggestions.suggest("楼下天天有人占道经营")  # a keyword rule names the category
    assert ruled.forced_by_rule and ruled.category == "street_vending"


def test_agent_choosing_another_category_is_recorded(active_model, client, auth):
    auth.login("agent")
    client.post("/agent/cases", data={
        "phone": "13800001111", "content": VENDING, "type": "complaint", "urgency": "normal",
        "category": "property_mgmt", "department": "HOUSING", "dispatch": "1",
        "suggested_category": "street_vending", "suggested_department": "JINJIANG"})
    correction = db.session.query(RoutingCorrection).one()
    assert (correction.suggested_category, correction.chosen_category) == (
        "street_vending", "property_mgmt")
    assert correction.source == "intake"
    assert corrections.confusion_report() == [("street_vending", "property_mgmt", 1)]


def test_supervisor_redispatch_is_a_correction(active_model, api):
    number = api.create_case(department="URBAN", category="street_vending")["number"]
    api("supervisor").act(number, "dispatch", department="HOUSING", category="property_mgmt")
    correction = db.session.query(RoutingCorrection).one()
    assert correction.source == "redispatch"
    assert (correction.suggested_department, correction.chosen_department) == (
        "URBAN", "HOUSING")


def test_api_suggest(active_model, api):
    body = api("agent").post("/api/v1/suggest", json={"text": VENDING}).get_json()
    assert body["categories"][0]["code"] == "street_vending"
    assert api("agent").post("/api/v1/suggest", json={"text": " "}).status_code == 422


def test_registered_case_answer_carries_the_suggestion(active_model, api):
    body = api.create_case(content=VENDING)
    assert body["status"] == "registered"
    assert body["suggestion"]["categories"][0]["code"] == "street_vending"


def closed_cases(n_per_category: int = 6) -> None:
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    texts = {"street_vending": "路口有人占道摆摊卖菜 第{}次",
             "property_mgmt": "小区物业不管事 电梯坏了 第{}次"}
    for code, template in texts.items():
        for i in range(n_per_category):
            with unit_of_work():
                case = register_case(agent, NewCase(content=template.format(i),
                                                                category=code))
                cases.perform(agent, case.number, "resolve", {"content": "已解答"})


def test_retraining_from_cases_makes_a_new_version_that_can_be_activated(active_model):
    closed_cases()
    texts, labels = suggestions.training_data_from_cases()
    assert len(texts) == 12 and set(labels) == {"street_vending", "property_mgmt"}
    record = train_version("cases", texts, labels)
    assert record.status == "ready" and record.path
    assert suggestions.active_record().version == "starter-test"  # not switched by itself
    with unit_of_work():
        suggestions.activate_version(record.version)
    assert suggestions.active_record().version == record.version
    assert suggestions.suggest("小区物业电梯坏了").categories[0].code == "property_mgmt"
    with unit_of_work():
        suggestions.activate_version("starter-test")  # roll back
    assert suggestions.current_model() is not None
    assert db.session.query(ClassifierModel).filter_by(status="active").count() == 1


def test_failed_training_keeps_the_active_model(active_model):
    from classifier import TrainingDataError

    with pytest.raises(TrainingDataError):
        train_version("cases", ["只有一类", "只有一类啊"], ["a", "a"])
    assert suggestions.active_record().version == "starter-test"
    assert db.session.query(ClassifierModel).filter_by(status="failed").count() == 1


@pytest.mark.committing  # the command runs on its own connection: it must see the model
def test_cli_bad_training_file_is_a_clear_error_and_changes_nothing(active_model, app,
                                                                   tmp_path, monkeypatch):
    for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY"):
        monkeypatch.setenv(f"HOTLINE_{key}", str(app.config[key]))
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n投诉噪音,noise\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["classifier", "train", "--data", str(bad), "--activate"])
    assert result.exit_code == 1, result.exception  # a ClickException, not a crash
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    db.session.expire_all()
    assert suggestions.active_record().version == "starter-test"


def test_admin_models_page(active_model, client, auth):
    auth.login("admin")
    html = client.get("/admin/models").get_data(as_text=True)
    assert "starter-test" in html and "智能分派模型" in html
