"""The poll behind the live pages: counts and a mark that changes with the queue."""

from __future__ import annotations

from hotline.services import chat


def test_live_counts_and_mark(client, auth, world):
    auth.login("agent")
    before = client.get("/live").get_json()
    assert before["waiting"] == 0
    chat.start("楼下有人占道卖菜", "陈先生", "13800001111", "test")
    after = client.get("/live").get_json()
    assert after["waiting"] == 1 and after["mark"] != before["mark"]
    auth.logout()
    auth.login("urban")
    mine = client.get("/live").get_json()
    assert mine["waiting"] == 0 and "notices" in mine


def test_live_needs_a_login(client, world):
    assert client.get("/live").status_code in (302, 401)
