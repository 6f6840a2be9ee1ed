"""Relevance knows places as a department writes them: the sub-district office for a road
the citizen named, the district for a landmark; another place is a reason to score lower."""

from __future__ import annotations

import pytest

from hotline.quality.relevance import RelevanceModel, place_agreement

REQUEST = "春熙路步行街边上的路灯坏了好几盏，晚上一片黑。"
HERE = "锦江区春熙路街道已通知路灯所，太古里周边5盏故障灯具于次日更换，照明已恢复。"
ELSEWHERE = "金牛区驷马桥街道已协调桥梁管理所，更换天桥照明灯具8套，现已正常。"


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel.load()


def test_places_agree_at_the_finest_level_both_name():
    assert place_agreement(("锦江区", "春熙路街道"), ("锦江区", "春熙路街道")) == 1.0
    assert place_agreement(("锦江区", "春熙路街道"), ("锦江区", None)) == 0.5
    assert place_agreement(("锦江区", "春熙路街道"), ("锦江区", "书院街街道")) == -0.5
    assert place_agreement(("锦江区", None), ("金牛区", None)) == -1.0


def test_the_reply_for_this_place_beats_the_same_problem_elsewhere(model):
    here, elsewhere = model.score(REQUEST, HERE), model.score(REQUEST, ELSEWHERE)
    assert here.place == 1.0 and elsewhere.place == -1.0
    assert here.score > elsewhere.score


def test_a_district_office_answering_for_its_landmark_is_not_another_place(model):
    reply = "锦江区劳动监察大队调解，该奶茶店已补发工资1800元。"
    assert model.score("在太古里一家奶茶店打工，老板扣了我半个月工资。", reply).place == 0.5
