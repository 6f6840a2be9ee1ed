"""Hot words name problems, not the words every complaint is made of: the common Chinese
stop-word lists (stopwords-zh: HIT, Baidu, SCU, ICT, stopwords-iso) and the hotline's own
are left out, with the real word segmentation."""

from __future__ import annotations

from datetime import timedelta

from hotline.services import hotspots
from tests.oversight.conftest import NOW
from tests.oversight.test_oversight_hotspots import register

COMPLAINTS = (
    "小区路灯坏了，晚上走路不好走，以后需要有人来修路灯",
    "路灯不亮已经一周了，需要尽快处理，以后晚上不好出门",
    "楼下路灯不好使，需要维修，以后孩子放学不安全",
    "工地噪音太大，晚上睡不好，以后需要管一管噪音",
)


def test_hot_words_leave_out_stop_words(world):
    for hour, content in enumerate(COMPLAINTS):
        register(NOW - timedelta(hours=hour + 1), content=content, address="锦江区书院街")
    result = hotspots.analyse(now=NOW)
    week = [term for term, _n in result["terms"]["week"]]
    day = [term for term, _n in result["terms"]["day"]]
    assert week[0] == "路灯" and "噪音" in week
    for stop_word in ("不好", "以后", "需要", "晚上", "已经"):
        assert stop_word not in week and stop_word not in day


def test_the_stop_words_are_the_common_lists_and_the_hotlines_own():
    words = hotspots.stopwords()
    assert len(words) > 2000  # the union of the kept lists, not a handful typed here
    assert {"以后", "需要", "不好", "希望"} <= words
    assert not {"路灯", "噪音", "垃圾", "物业", "漏水", "停车"} & words
