"""Relevance as departments write: formal words that paraphrase the citizen's (装修太吵 →
装修施工存在超时作业), the same place with another problem, generic boilerplate. Hand-made
pairs, none of them from the bench set."""

from __future__ import annotations

import pytest

from hotline.models.enums import FindingCode
from hotline.quality.checks import OFF_TOPIC, inspect_reply
from hotline.quality.relevance import RelevanceModel

NOISE = "楼上装修太吵，晚上十一点还在砸墙，孩子第二天要上学根本睡不着。"
NOISE_REPLY = ("经核查，该住户室内装修施工存在超时作业情况，物业服务企业已于12月1日责令其严格"
               "按照规定时段施工，22时后不得进行拆改作业，并每日巡查落实。")
LIFT = "抚琴小区5栋的电梯坏了一个星期，物业一直说在等配件，老人上下楼太难了。"
LIFT_REPLY = ("金牛区市场监管局已约谈该小区物业服务企业和维保单位，曳引机故障配件已于12月2日更换，"
              "经检验合格后恢复运行。")
WATER_SAME_PLACE = ("金牛区抚琴街道已协调供水企业对该小区二次供水设施进行检修，水箱已于12月2日"
                    "清洗消毒，出水水质复检合格。")
BOILERPLATE = ("您好，您反映的问题已收悉，我单位高度重视，已安排专人进行核实处理，感谢您对我们"
               "工作的理解与支持。")


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel.load()


def test_a_formal_paraphrase_is_relevant_though_it_shares_almost_no_words(model):
    relevance = model.score(NOISE, NOISE_REPLY)
    assert relevance.concepts > 0.5          # renovation, noise, night on both sides
    assert relevance.score > 0.5
    found = inspect_reply(model, NOISE, NOISE_REPLY, request_type="complaint").findings
    assert FindingCode.OFF_TOPIC not in {f.code for f in found}


def test_a_reply_about_another_problem_at_the_same_place_is_flagged(model):
    own, other = model.score(LIFT, LIFT_REPLY), model.score(LIFT, WATER_SAME_PLACE)
    assert other.place >= own.place          # the place agrees; the object does not
    assert other.concepts < own.concepts and other.score < own.score
    assert other.score < OFF_TOPIC < own.score


def test_generic_boilerplate_is_flagged_whatever_the_request(model):
    for request in (NOISE, LIFT):
        found = inspect_reply(model, request, BOILERPLATE, request_type="complaint").findings
        assert FindingCode.OFF_TOPIC in {f.code for f in found}


def test_the_category_signal_says_whether_both_land_in_the_same_category(model):
    assert model.score(LIFT, LIFT_REPLY).topic > model.score(LIFT, NOISE_REPLY).topic


def test_concepts_come_from_the_lexicon_and_added_synonym_groups():
    plain = RelevanceModel.load(lexicon=False)
    assert plain.concepts("楼上装修太吵") == frozenset()
    grouped = RelevanceModel.load(lexicon=False, synonyms=[("砸墙", "拆改")])
    assert grouped.concepts("砸墙") == grouped.concepts("拆改作业") != frozenset()
