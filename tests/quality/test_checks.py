"""The pure inspection: hand-made replies that should and should not be flagged."""

from __future__ import annotations

import pytest

from hotline.models.enums import Channel, FindingCode, Severity
from hotline.quality.checks import inspect_reply, jaccard, shingles
from hotline.quality.records import RecordFacts, inspect_record
from hotline.quality.relevance import RelevanceModel

REQUEST = "玉林路小区旁边的烧烤摊每天晚上营业到凌晨两点，油烟很大，噪音吵得孩子睡不着。"
GOOD = ("您好，武侯区综合执法局接到您反映的玉林路烧烤摊夜间油烟和噪音扰民问题后，于6月3日晚"
        "派执法队员到现场核查，属实。已责令摊主当晚23点前收摊并安装油烟净化设备，后续每晚巡查。")
OTHER = ("您好，金牛区人社局劳动监察大队已受理您反映的驷马桥某装修公司拖欠工资问题，6月6日约谈"
         "了公司负责人，公司承诺于6月15日前一次性支付拖欠的12000元工资。")


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel.load()


def codes(inspection) -> set[FindingCode]:
    return {f.code for f in inspection.findings}


def test_a_good_reply_has_no_findings(model):
    inspection = inspect_reply(model, REQUEST, GOOD, request_type="complaint")
    assert inspection.findings == []
    assert inspection.relevance.score > 0.5
    assert inspection.relevance.place == 1.0


def test_a_reply_to_another_request_is_off_topic(model):
    inspection = inspect_reply(model, REQUEST, OTHER, request_type="complaint")
    assert FindingCode.OFF_TOPIC in codes(inspection)
    assert inspection.relevance.score < model.score(REQUEST, GOOD).score


@pytest.mark.parametrize("other_place", ["抚琴东路", "春熙路步行街"])
def test_the_same_problem_at_another_place_scores_lower(model, other_place):
    moved = GOOD.replace("武侯区", "").replace("玉林路", other_place)
    assert model.score(REQUEST, moved).score < model.score(REQUEST, GOOD).score


def test_too_short_and_missing_action_and_time(model):
    inspection = inspect_reply(model, REQUEST, "已收到，谢谢。", request_type="complaint")
    assert {FindingCode.TOO_SHORT, FindingCode.NO_TIME} <= codes(inspection)
    vague = ("您好，您反映的玉林路烧烤摊油烟噪音问题我们非常重视，将高度关注，请您理解和支持，"
             "感谢您对我们工作的关心。")
    found = codes(inspect_reply(model, REQUEST, vague, request_type="complaint"))
    assert FindingCode.NO_ACTION in found and FindingCode.NO_TIME in found


def test_praise_may_be_answered_briefly(model):
    assert inspect_reply(model, "感谢社区张书记帮我们解决了漏水问题",
                         "感谢您的表扬，我们会继续努力。", request_type="praise").findings == []


def test_a_consultation_reply_needs_a_basis(model):
    request = "辞职以后社保断了，灵活就业怎么续交养老保险？"
    bare = "您好，离职后可以到社保经办机构办理灵活就业参保登记，续缴养老保险，缴费年限累计计算。"
    cited = ("您好，根据社会保险法和本市灵活就业人员参保办法，"
             "离职后可到社保经办机构办理参保登记续缴养老保险。")
    assert FindingCode.NO_BASIS in codes(inspect_reply(model, request, bare,
                                                       request_type="consultation"))
    assert FindingCode.NO_BASIS not in codes(inspect_reply(model, request, cited,
                                                           request_type="consultation"))


def test_a_refusal_needs_a_basis(model):
    reply = "您好，经6月3日现场核查，该事项不属于我局职责范围，已告知当事人。"
    assert FindingCode.NO_BASIS in codes(inspect_reply(model, REQUEST, reply,
                                                       request_type="complaint"))


@pytest.mark.parametrize("rude", ["这事不归我们管，你自己去找物业。",
                                  "别再打电话投诉了，无理取闹。"])
def test_impolite_wording_is_serious(model, rude):
    inspection = inspect_reply(model, REQUEST, GOOD + rude, request_type="complaint")
    finding = next(f for f in inspection.findings if f.code == FindingCode.IMPOLITE)
    assert finding.severity == Severity.SERIOUS


def test_polite_wording_is_not_flagged(model):
    reply = GOOD + "如仍有问题，可拨打12345或联系社区，我们将及时处理。"
    assert FindingCode.IMPOLITE not in codes(inspect_reply(model, REQUEST, reply,
                                                           request_type="complaint"))


def test_other_peoples_numbers_are_flagged_but_the_citizens_own_and_hotlines_are_not(model):
    reply = GOOD + "摊主电话13912345678，如有疑问请回电028-86123456。"
    inspection = inspect_reply(model, REQUEST, reply, request_type="complaint",
                               own_numbers=["02886123456"])
    found = [f for f in inspection.findings if f.code == FindingCode.PERSONAL_DATA]
    assert len(found) == 1 and "139****5678" in found[0].text
    assert "13912345678" not in found[0].text
    clean = GOOD + "如有疑问请拨打12345或110。"
    assert FindingCode.PERSONAL_DATA not in codes(
        inspect_reply(model, REQUEST, clean, request_type="complaint"))


def test_an_id_number_is_flagged(model):
    reply = GOOD + "当事人身份证号510104199001011234。"
    assert FindingCode.PERSONAL_DATA in codes(inspect_reply(model, REQUEST, reply,
                                                            request_type="complaint"))


def test_copied_and_template_replies(model):
    template = ("您好，您反映的问题已收悉，我单位高度重视，已于6月3日安排工作人员到现场核查处理，"
                "感谢您对我们工作的支持。")
    copied = inspect_reply(model, REQUEST, template, earlier=[template])
    assert FindingCode.COPIED in codes(copied)
    variants = [template.replace("6月3日", f"6月{d}日") for d in (4, 5, 6)]
    boiler = inspect_reply(model, REQUEST, template.replace("6月3日", "6月9日"),
                           earlier=variants)
    assert FindingCode.BOILERPLATE in codes(boiler) or FindingCode.COPIED in codes(boiler)
    fresh = inspect_reply(model, REQUEST, GOOD, earlier=[template, OTHER])
    assert not codes(fresh) & {FindingCode.COPIED, FindingCode.BOILERPLATE}


def test_shingles_ignore_punctuation():
    assert jaccard(shingles("已处理，谢谢！"), shingles("已处理谢谢")) == 1.0
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_empty_texts_score_zero(model):
    assert model.score("", GOOD).score == 0.0
    assert model.score(REQUEST, None).score == 0.0


def test_findings_serialise(model):
    body = inspect_reply(model, REQUEST, "好的", request_type="complaint").as_dict()
    assert 0 <= body["relevance"] <= 1
    assert all(set(f) == {"code", "severity", "message"} for f in body["findings"])
    assert "{" not in "".join(f["message"] for f in body["findings"])


# -- agents' records -------------------------------------------------------------------

def facts(**changes) -> RecordFacts:
    base = {"channel": Channel.PHONE, "address": "书院南街12号", "district": "锦江区",
            "place_bound": True, "category": "street_vending", "category_parent": "city_mgmt",
            "category_name": "城市管理 / 占道经营", "callback": "13800001111",
            "suggested": [("street_vending", 0.9, "city_mgmt", "占道经营")]}
    return RecordFacts(**{**base, **changes})


def record_codes(**changes) -> set[FindingCode]:
    return {f.code for f in inspect_record(facts(**changes))}


def test_a_complete_record_has_no_findings():
    assert record_codes() == set()


def test_a_place_bound_category_needs_an_address():
    assert record_codes(address="", district=None) == {FindingCode.NO_ADDRESS}
    assert record_codes(address="", district=None, place_bound=False) == set()
    assert record_codes(address="", district="锦江区") == set()   # located from the text


def test_a_phone_case_needs_a_callback_number():
    assert record_codes(callback=None) == {FindingCode.NO_CALLBACK}
    assert record_codes(callback=None, channel=Channel.WECHAT) == set()


def test_only_a_strong_disagreement_with_the_classifier_counts():
    far = [("wage_arrears", 0.85, "labour", "欠薪")]
    assert record_codes(suggested=far) == {FindingCode.CATEGORY_DISAGREES}
    assert record_codes(suggested=[("wage_arrears", 0.4, "labour", "欠薪")]) == set()
    sibling = [("sanitation", 0.9, "city_mgmt", "环境卫生")]
    assert record_codes(suggested=sibling) == set()
    second = [("wage_arrears", 0.7, "labour", "欠薪"), ("street_vending", 0.2, "city_mgmt", "x")]
    assert record_codes(suggested=second) == set()
