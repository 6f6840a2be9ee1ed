"""The intake forms prefill only what is likely: at or above the auto-dispatch threshold."""

from __future__ import annotations

from hotline.services import chat

VENDING = "锦江区书院街路口每天早上都有人占道摆摊卖菜，车都开不过去，城管也不来管"
PRAISE = "我想表扬一下你们的工作人员，态度很好"


def _suggest(client, **args):
    return client.get("/agent/suggest", query_string=args).get_json()


def test_a_confident_suggestion_prefills_category_and_department(active_model, client, auth):
    auth.login("agent")
    body = _suggest(client, content=VENDING, address="锦江区书院街")
    assert body["prefill"] is True
    assert body["category"] == "street_vending" and body["department"] == "JINJIANG"
    assert len(body["categories"]) == 3


def test_below_the_threshold_nothing_is_prefilled_but_three_are_shown(active_model, app,
                                                                      client, auth):
    app.config["CLASSIFIER_THRESHOLD"] = 0.999
    auth.login("agent")
    body = _suggest(client, content=PRAISE)
    assert body["prefill"] is False
    assert body["category"] is None and body["department"] is None
    assert len(body["categories"]) == 3
    assert body["suggested_category"]  # still recorded with the case for training


def test_the_agents_own_category_routes_the_department(active_model, app, client, auth):
    app.config["CLASSIFIER_THRESHOLD"] = 0.999
    auth.login("agent")
    body = _suggest(client, content=PRAISE, category="street_vending")
    assert body["prefill"] is True and body["department"] == "URBAN"
    assert body["category"] is None  # the agent's choice stays the agent's


def test_the_emergency_banner_names_the_kind_in_words(active_model, client, auth):
    auth.login("agent")
    body = _suggest(client, content="楼道里闻到很大的煤气味，燃气泄漏了")
    assert "燃气泄漏" in body["emergency"] and "gas_leak" not in body["emergency"]


def test_the_emergency_banner_in_english(active_model, client, auth):
    auth.login("agent")
    english = _suggest(client, content="楼道里闻到很大的煤气味，燃气泄漏了", lang="en")
    assert "gas leak" in english["emergency"] and "gas_leak" not in english["emergency"]


def test_chat_form_says_when_dispatch_was_wanted_but_no_department_chosen(client, auth, world):
    conversation, _token = chat.start("小区门口路灯坏了一个月", "李女士", "13800002222", "test")
    auth.login("agent")
    page = client.get(f"/agent/chats/{conversation.id}").get_data(as_text=True)
    assert "data-suggest-url" in page and "intake_suggest.js" in page
    response = client.post(f"/agent/chats/{conversation.id}/case", data={
        "content": "小区门口路灯坏了一个月", "type": "complaint", "dispatch": "1"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已登记工单" in html and "未派单" in html
