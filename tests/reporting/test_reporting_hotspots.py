"""Tests for volume spikes and request clustering."""

from __future__ import annotations

import random
import time

from hotline.reporting.hotspots import (
    Cluster,
    ClusterItem,
    Spike,
    cluster_requests,
    volume_spikes,
)

# --------------------------------------------------------------------------- volume spikes


def test_steady_then_jump_is_flagged() -> None:
    spikes = volume_spikes({"路灯": [10] * 28}, current={"路灯": 40})
    assert spikes == [Spike(key="路灯", current=40, baseline=10.0, ratio=4.0,
                            score=spikes[0].score)]
    assert spikes[0].score > 3


def test_zero_to_two_is_not_a_spike() -> None:
    assert volume_spikes({"井盖": [0] * 28}, current={"井盖": 2}) == []
    # Even with the count guard off, the floor of one keeps 0 → 2 below threshold.
    assert volume_spikes({"井盖": [0] * 28}, current={"井盖": 2}, min_count=1) == []


def test_noisy_but_flat_is_not_flagged() -> None:
    rng = random.Random(7)
    history = [max(0, round(rng.gauss(20, 6))) for _ in range(28)]
    assert volume_spikes({"噪声": history}, current={"噪声": max(history)}) == []
    assert volume_spikes({"噪声": history}, current={"噪声": 34}) == []


def test_noisy_history_needs_a_bigger_jump() -> None:
    steady = volume_spikes({"k": [20] * 28}, current={"k": 36})
    noisy = volume_spikes({"k": [10, 30] * 14}, current={"k": 36})
    assert steady and not noisy


def test_a_past_spike_does_not_raise_the_baseline() -> None:
    history = [10] * 27 + [200]
    [spike] = volume_spikes({"k": history}, current={"k": 40})
    assert spike.baseline == 10


def test_large_keys_need_a_real_relative_rise() -> None:
    # 1000 → 1150 is statistically unusual for Poisson noise but not worth an alert.
    assert volume_spikes({"all": [1000] * 8}, current={"all": 1150}) == []
    assert volume_spikes({"all": [1000] * 8}, current={"all": 1150}, min_ratio=1.1)


def test_new_key_absent_from_history_counts_as_zero_before() -> None:
    [spike] = volume_spikes({"old": [5] * 8}, current={"old": 5, "新类别": 12})
    assert spike.key == "新类别" and spike.baseline == 0 and spike.ratio == 12


def test_short_history_is_not_judged() -> None:
    assert volume_spikes({"k": [1, 1]}, current={"k": 50}) == []
    assert volume_spikes({}, current={"k": 50}) == []


def test_spikes_sorted_by_score() -> None:
    history = {"a": [10] * 8, "b": [10] * 8, "c": [10] * 8}
    spikes = volume_spikes(history, current={"a": 30, "b": 60, "c": 11})
    assert [s.key for s in spikes] == ["b", "a"]
    assert spikes[0].score > spikes[1].score


def test_min_count_guards_tiny_numbers() -> None:
    assert volume_spikes({"k": [0] * 8}, current={"k": 4}) == []
    assert volume_spikes({"k": [0] * 8}, current={"k": 4}, min_count=4)


def test_weekly_windows() -> None:
    history = {
        "武侯区": [70, 65, 72, 68, 75, 66, 71, 69],
        "锦江区": [50, 52, 49, 51, 48, 50, 53, 47],
    }
    [spike] = volume_spikes(history, current={"武侯区": 73, "锦江区": 120})
    assert spike.key == "锦江区"


# --------------------------------------------------------------------------- clustering

LAMP = [
    "人民南路三段88号路灯不亮，晚上很黑，请尽快维修",
    "市民反映人民南路三段88号路灯不亮，晚上一片漆黑，请尽快维修",
    "人民南路三段88号的路灯不亮，晚上很黑，请相关部门尽快维修。",
]
UNRELATED = [
    "春熙路商铺夜间播放音乐，噪音扰民",
    "小区物业收费不合理，要求退还多收的物业费",
    "公交车司机态度恶劣，拒绝老人乘车",
    "医保报销比例咨询，想了解门诊报销政策",
    "建设路工地夜间施工噪音太大，影响休息",
    "人民南路三段88号附近下水道堵塞，污水外溢",
]


def items(texts: list[str], place: str | None, start: int = 0) -> list[ClusterItem]:
    return [ClusterItem(start + i, text, place) for i, text in enumerate(texts)]


def test_same_streetlight_on_same_road_clusters() -> None:
    batch = items(LAMP, "武侯区") + items(UNRELATED, "武侯区", start=10)
    [cluster] = cluster_requests(batch)
    assert cluster.ids == [0, 1, 2]
    assert cluster.place == "武侯区"
    assert "路灯" in cluster.label and len(cluster.label) <= 30


def test_same_text_in_different_districts_does_not_cluster() -> None:
    text = LAMP[0]
    batch = [ClusterItem(1, text, "锦江区"), ClusterItem(2, text, "锦江区"),
             ClusterItem(3, text, "武侯区"), ClusterItem(4, text, "武侯区")]
    assert cluster_requests(batch) == []
    clusters = cluster_requests(batch, min_size=2)
    assert sorted((c.place, c.ids) for c in clusters) == [("武侯区", [3, 4]), ("锦江区", [1, 2])]


def test_unrelated_texts_do_not_cluster() -> None:
    assert cluster_requests(items(UNRELATED, "武侯区")) == []
    assert cluster_requests(items(UNRELATED, None), min_size=2) == []


def test_request_without_place_joins_the_matching_place() -> None:
    batch = [*items(LAMP[:2], "武侯区"), ClusterItem(9, LAMP[2], None)]
    [cluster] = cluster_requests(batch)
    assert cluster == Cluster([0, 1, 9], "武侯区", cluster.label)


def test_request_without_place_cannot_bridge_two_places() -> None:
    text = LAMP[0]
    batch = [ClusterItem(1, text, "锦江区"), ClusterItem(2, text, "锦江区"),
             ClusterItem(3, text, None),
             ClusterItem(4, text, "武侯区"), ClusterItem(5, text, "武侯区")]
    clusters = cluster_requests(batch, min_size=2)
    places = {1: "锦江区", 2: "锦江区", 4: "武侯区", 5: "武侯区"}
    assert sorted(i for c in clusters for i in c.ids) == [1, 2, 3, 4, 5]
    for cluster in clusters:
        assert {places[i] for i in cluster.ids if i in places} == {cluster.place}


def test_requests_without_any_place_cluster_among_themselves() -> None:
    [cluster] = cluster_requests(items(LAMP, None) + items(UNRELATED, None, start=10))
    assert cluster.ids == [0, 1, 2] and cluster.place is None


def test_identical_copies_are_all_counted() -> None:
    batch = items([LAMP[0]] * 4, "锦江区") + items(UNRELATED, "锦江区", start=10)
    [cluster] = cluster_requests(batch)
    assert cluster.ids == [0, 1, 2, 3]


def test_full_width_and_punctuation_differences_are_ignored() -> None:
    texts = ["玉林路８８号井盖缺失！！", "玉林路88号井盖缺失。", "玉林路 88 号 井盖缺失"]
    batch = items(texts, "武侯区")
    assert cluster_requests(batch, threshold=0.9)[0].ids == [0, 1, 2]


def test_largest_cluster_first_and_min_size() -> None:
    noise = ["占道经营影响通行，摊贩很多", "占道经营，小摊贩影响通行"] * 2
    batch = items(LAMP + LAMP[:1], "武侯区") + items(noise, "武侯区", start=10)
    clusters = cluster_requests(batch, min_size=2)
    assert [len(c.ids) for c in clusters] == sorted((len(c.ids) for c in clusters), reverse=True)
    assert clusters[0].ids == [0, 1, 2, 3]
    assert cluster_requests(batch, min_size=5) == []


def test_empty_and_blank_inputs() -> None:
    assert cluster_requests([]) == []
    assert cluster_requests(items(["", "  ", "，。"], "武侯区")) == []


def test_texts_too_short_for_ngrams() -> None:
    assert cluster_requests(items(["灯", "水", "电"], "武侯区")) == []
    assert cluster_requests(items(["灯"] * 3, "武侯区"))[0].ids == [0, 1, 2]


def test_threshold_controls_strictness() -> None:
    batch = items(LAMP, "武侯区")
    assert cluster_requests(batch, threshold=0.99) == []
    assert cluster_requests(batch, threshold=0.3)[0].ids == [0, 1, 2]


def _synthetic(n: int) -> list[ClusterItem]:
    rng = random.Random(0)
    roads = ["人民南路", "建设路", "春熙路", "玉林路", "蜀汉路", "一环路", "红星路", "东大街"]
    problems = ["路灯不亮晚上很黑", "下水道堵塞污水外溢", "夜间施工噪音扰民", "餐馆油烟扰民",
                "井盖缺失存在安全隐患", "占道经营影响通行", "垃圾清运不及时", "共享单车乱停放"]
    places = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", None]
    return [
        ClusterItem(i, f"市民反映{rng.choice(roads)}{rng.randint(1, 300)}号附近"
                       f"{rng.choice(problems)}，请尽快处理", rng.choice(places))
        for i in range(n)
    ]


def test_five_thousand_items_in_a_few_seconds() -> None:
    batch = _synthetic(5000)
    started = time.perf_counter()
    clusters = cluster_requests(batch)
    elapsed = time.perf_counter() - started
    assert clusters
    assert elapsed < 15  # typically about 1 s on 2 cores; generous for a loaded CI machine
    place_of = {item.id: item.place for item in batch}
    for cluster in clusters:
        assert {place_of[i] for i in cluster.ids} - {None} <= {cluster.place}
    all_ids = [i for c in clusters for i in c.ids]
    assert len(all_ids) == len(set(all_ids))
