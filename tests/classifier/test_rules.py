import json

import pytest

from classifier import RuleSet
from classifier._paths import RULES
from classifier.rules import RuleSetError


@pytest.fixture(scope="module")
def rules():
    return RuleSet.load(RULES)


@pytest.mark.parametrize(
    "text, kind, number",
    [
        ("快点！我们楼下厨房着火了，烟好大", "fire", "119"),
        ("隔壁起火了", "fire", "119"),
        ("屋头闻到燃气味，好浓", "gas_leak", "119"),
        ("天然气泄漏了咋个办", "gas_leak", "119"),
        ("煤气管道漏气了", "gas_leak", "119"),
        ("我不想活了，准备跳楼", "suicide", "110"),
        ("邻居在家暴他老婆，喊救命", "violence", "110"),
        ("有人持刀在小区门口", "violence", "110"),
        ("小孩被锁在车里了，天气好热", "child_trapped", "119"),
        ("孩子一个人困在电梯里", "child_trapped", "119"),
        ("商场里儿童走失了", "child_missing", "110"),
        ("我爸突然晕倒了，喊不醒", "medical", "120"),
    ],
)
def test_emergencies(rules, text, kind, number):
    emergency = rules.apply(text).emergency
    assert emergency is not None
    assert (emergency.kind, emergency.transfer_to) == (kind, number)
    assert emergency.matched
    assert all(m in text for m in emergency.matched)


@pytest.mark.parametrize(
    "text",
    [
        "楼道里堆满杂物，有火灾隐患，物业不管",
        "小区明天搞消防演习",
        "商场跳楼价甩卖吵得很",
        "拨打人工客服一直占线",
        "物业费太贵了",
        "",
        None,
    ],
)
def test_not_emergencies(rules, text):
    assert rules.apply(text).emergency is None


def test_traditional_and_fullwidth_text_still_match(rules):
    assert rules.apply("廚房著火了！").emergency.kind == "fire"
    assert rules.apply("煤氣洩漏").emergency.kind == "gas_leak"


def test_first_listed_emergency_wins(rules):
    emergency = rules.apply("他喝了农药，屋头还着火了")
    assert emergency.emergency.kind == "fire"


def test_keyword_rule_forces_category_and_department(rules):
    result = rules.apply("包工头拖欠工资半年了")
    assert (result.category, result.department) == ("wage_arrears", "HRSS")
    assert "wage_arrears" in result.matched_rules


def test_department_only_rule(rules):
    result = rules.apply("小区门口乱停车")
    assert result.category is None
    assert result.department == "PSB"


def test_unless_phrase_cancels_keyword(rules):
    assert rules.apply("电梯停电梯了").category is None


def test_no_rule_applies(rules):
    assert rules.apply("你好我想咨询一下") == type(rules.apply(""))()


def test_priority_then_length_decides():
    rules = RuleSet.from_dict(
        {
            "keyword_rules": [
                {"name": "short", "keywords": ["水"], "category": "water_supply"},
                {"name": "long", "keywords": ["污水"], "category": "water_pollution"},
                {"name": "boss", "keywords": ["河"], "category": "boss", "priority": 5},
            ]
        }
    )
    assert rules.apply("污水").category == "water_pollution"
    assert rules.apply("河里有污水").category == "boss"


def test_both_category_and_department_from_different_rules():
    rules = RuleSet.from_dict(
        {
            "keyword_rules": [
                {"keywords": ["春熙路"], "department": "JINJIANG-CHUNXI"},
                {"keywords": ["摆摊"], "category": "street_vending"},
            ]
        }
    )
    result = rules.apply("春熙路有人摆摊")
    assert (result.category, result.department) == ("street_vending", "JINJIANG-CHUNXI")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"keyword_rules": [{"keywords": ["x"]}]}, "category or a department"),
        ({"keyword_rules": [{"category": "c"}]}, "keywords or patterns"),
        ({"keyword_rules": [{"keywords": "x", "category": "c"}]}, "list of non-empty strings"),
        ({"keyword_rules": [{"patterns": ["("], "category": "c"}]}, "bad pattern"),
        ({"emergency_rules": [{"keywords": ["火"]}]}, "kind and transfer_to"),
        ([], "JSON object"),
    ],
)
def test_malformed_rules(data, message):
    with pytest.raises(RuleSetError, match=message):
        RuleSet.from_dict(data)


def test_load_errors(tmp_path):
    with pytest.raises(RuleSetError, match="not found"):
        RuleSet.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    with pytest.raises(RuleSetError, match="invalid rules file"):
        RuleSet.load(bad)


def test_demo_rules_cover_all_three_numbers():
    data = json.loads(RULES.read_text("utf-8"))
    assert {r["transfer_to"] for r in data["emergency_rules"]} == {"110", "119", "120"}


def test_rules_of_equal_rank_naming_different_categories_conflict():
    rules = RuleSet.from_dict(
        {
            "keyword_rules": [
                {"name": "water", "keywords": ["水"], "category": "water_supply"},
                {"name": "sewage", "keywords": ["污水"], "category": "water_pollution"},
                {"name": "power", "keywords": ["停电"], "category": "power_supply"},
                {"name": "grid", "keywords": ["电表"], "department": "GRID"},
                {"name": "boss", "keywords": ["河"], "category": "boss", "priority": 5},
            ]
        }
    )
    assert not rules.apply("污水").conflict  # 水 inside 污水 is the same complaint
    both = rules.apply("停电了，污水也冒出来")
    assert both.conflict and set(both.conflicting_rules) == {"sewage", "power"}
    assert both.category == "water_pollution"  # still the ranked winner, for the agent
    assert not rules.apply("停电了，电表也坏了").conflict  # a department-only rule agrees
    assert not rules.apply("河边停电，污水").conflict  # a higher priority settles it
    assert not rules.apply("停水").conflict
