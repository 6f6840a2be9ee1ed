"""One language per page: the chart's own words and the system's and citizen's names follow
the page's language."""

from __future__ import annotations

from hotline.reporting import charts


def test_a_chart_says_no_data_in_the_given_words():
    svg = charts.rate_gauge(None, title="Resolution rate")
    assert "无数据" in svg
    english = charts.relabel(svg, {"无数据": "No data", "暂无数据": "No data yet"})
    assert "无数据" not in english and "No data" in english
    empty = charts.bar_chart([], title="Cases")
    assert "暂无数据" not in charts.relabel(empty, {"暂无数据": "No data yet"})


def test_the_english_dashboard_has_no_chinese_no_data(client, auth, world):
    auth.login("supervisor")
    html = client.get("/oversight?from=2026-10-19&to=2026-10-23&lang=en").get_data(as_text=True)
    assert "无数据" not in html and "No data" in html


def test_system_and_citizen_named_in_english(client, auth, api, world):
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    api("urban").act(case["number"], "reply", content="已处理")
    client.post(f"/api/v1/track/{case['number']}/feedback",
                json={"code": case["query_code"], "satisfaction": "satisfied"})
    auth.login("supervisor")
    html = client.get(f"/cases/{case['number']}?lang=en").get_data(as_text=True)
    timeline = html[html.index('class="timeline"'):]
    assert "Citizen" in timeline and "市民" not in timeline


def test_the_mailbox_refusal_is_in_one_language(client, world):
    from tests.intake.test_mailbox import letter, submit

    data = letter()
    wrong = str(int(data["answer"]) + 1)
    html = submit(client, {**data, "answer": wrong}).get_data(as_text=True)
    assert "答案不正确，请重新计算" in html and "wrong answer" not in html
