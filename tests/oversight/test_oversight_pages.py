"""The dashboard, its exports, its links to the cases behind each figure, and who sees what."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from hotline.i18n import catalogue
from tests.oversight.conftest import NOW, refresh

PERIOD = "from=2026-10-19&to=2026-10-23"


@pytest.fixture
def rolled(week):
    refresh(now=NOW)
    return week


def case_numbers(client, url: str) -> set[str]:
    """Every case the list at ``url`` shows, following its next-page links."""
    numbers: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        numbers += re.findall(r'href="/cases/(\d{14})"', html)
        following = re.search(r'<p class="pager"><a href="([^"]+)">', html)
        url = unescape(following.group(1)) if following else None
    assert len(numbers) == len(set(numbers))
    return set(numbers)


def table_links(html: str, table: str) -> list[tuple[str, str]]:
    """(figure text, link) of every linked cell of one table on the page."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    return [(unescape(title) or text, unescape(href)) for href, title, text in
            re.findall(r'<a href="(/cases\?[^"]+)"(?: title="([^"]*)")?>([^<]+)</a>', body)]


def test_supervisor_sees_every_figure_and_the_ranking(client, auth, rolled):
    auth.login("supervisor")
    response = client.get(f"/oversight?{PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("按时签收率", "按时办结率", "解决率", "满意率", "重办率", "直接办结率", "退单率",
                 "承办单位考核排名", "按区县", "按承办单位", "2026-10-29 及以前的数据来自每日汇总"):
        assert text in html, text
    assert html.count('class="hl-chart hl-gauge"') == 7
    assert "71.4%" in html  # on-time sign-for 5 / 7


@pytest.mark.parametrize("table", ["kpi", "volume", "daily", "channel", "type", "category",
                                   "district", "department"])
def test_each_linked_figure_lists_exactly_its_cases(client, auth, rolled, table):
    auth.login("supervisor")
    html = client.get(f"/oversight?{PERIOD}").get_data(as_text=True)
    links = table_links(html, table)
    assert links, table
    for text, href in links:
        # a rate links to its numerator; its title says "numerator / denominator"
        count = int(text.split(" / ")[0].replace(",", ""))
        assert len(case_numbers(client, href)) == count, (text, href)


def test_a_figure_longer_than_a_page_lists_its_cases_over_pages(app, client, auth, rolled):
    app.config["PAGE_SIZE"] = 2
    auth.login("supervisor")
    assert case_numbers(client, f"/cases?{PERIOD}&kpi=sign_on_time") == \
        rolled.numbers(*"ACDEF")


def test_named_figures_list_the_expected_cases(client, auth, rolled):
    auth.login("supervisor")
    week = rolled
    expect = {"sign_late": "BI", "handle_late": "CFI", "merged": "G", "dissatisfied": "E",
              "not_rated": "C", "direct": "H", "reopened": "E", "returned": "F",
              "resolved": "ABCH", "sign_on_time": "ACDEF", "handle_on_time": "ABDE"}
    for kpi, names in expect.items():
        assert case_numbers(client, f"/cases?{PERIOD}&kpi={kpi}") == week.numbers(*names), kpi
    assert case_numbers(client, f"/cases?{PERIOD}&kpi=returned_by&department=HOUSING") == \
        week.numbers("F")
    assert case_numbers(client, f"/cases?{PERIOD}&kpi=assigned&department=HOUSING") == \
        week.numbers("F")
    assert case_numbers(client, f"/cases?{PERIOD}&district=武侯区") == week.numbers("C", "H")
    assert case_numbers(client, f"/cases?{PERIOD}&category=-") == week.numbers("H", "J")
    assert case_numbers(client, f"/cases?{PERIOD}&department=-") == week.numbers("G", "H", "J")
    html = client.get(f"/cases?{PERIOD}&kpi=sign_late").get_data(as_text=True)
    assert "超时签收" in html and 'name="kpi" value="sign_late"' in html


def test_unknown_figure_is_refused(client, auth, world):
    auth.login("supervisor")
    assert client.get("/cases?kpi=nonsense").status_code == 422


def test_department_staff_see_only_their_own_figures(client, auth, rolled):
    auth.login("urban")
    html = client.get(f"/oversight?{PERIOD}").get_data(as_text=True)
    assert "市城市管理委员会" in html and "承办单位考核排名" not in html
    assert 'id="table-department"' not in html
    for text, href in table_links(html, "kpi") + table_links(html, "channel"):
        assert len(case_numbers(client, href)) == int(text.split(" / ")[0]), href
    assert client.get(f"/oversight?{PERIOD}&department=HOUSING").status_code == 403
    assert client.get(f"/oversight?{PERIOD}&department=URBAN").status_code == 200
    assert client.get("/oversight/hotspots").status_code == 403


def test_agents_have_no_dashboard(client, auth, world):
    auth.login("agent")
    assert client.get("/oversight").status_code == 403


def test_bad_dates_on_the_page(client, auth, world):
    auth.login("supervisor")
    assert client.get("/oversight?from=2026-02-30").status_code == 422


def test_csv_export_of_a_table(client, auth, rolled):
    auth.login("supervisor")
    response = client.get(f"/oversight?{PERIOD}&format=csv&table=channel")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("名称,受理量,按时签收率,按时办结率,解决率,满意率")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows["电话"][1] == "7" and rows["微信"][1] == "2"
    assert float(rows["微信"][5]) == pytest.approx(0.5)  # satisfaction: A yes, E no


def test_xlsx_export_of_every_table(client, auth, rolled):
    auth.login("supervisor")
    response = client.get(f"/oversight?{PERIOD}&format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert "核心指标" in book.sheetnames and "承办单位考核排名" in book.sheetnames
    sheet = book["核心指标"]
    rows = list(sheet.values)
    assert rows[0][:4] == ("指标", "比率", "分子", "分母")
    sign = next(r for r in rows if r[0] == "按时签收率")
    assert sign[1] == pytest.approx(5 / 7) and (sign[2], sign[3]) == (5, 7)
    single = client.get(f"/oversight?{PERIOD}&format=xlsx&table=daily")
    assert load_workbook(io.BytesIO(single.get_data())).sheetnames == ["每日受理量"]
    assert client.get(f"/oversight?{PERIOD}&format=pdf").status_code == 404
    assert client.get(f"/oversight?{PERIOD}&format=csv&table=nope").status_code == 404


def test_links_keep_the_period_and_scope(client, auth, rolled):
    auth.login("supervisor")
    html = client.get(f"/oversight?{PERIOD}&department=URBAN").get_data(as_text=True)
    _text, href = table_links(html, "kpi")[0]
    query = parse_qs(urlsplit(href).query)
    assert query["from"] == ["2026-10-19"] and query["to"] == ["2026-10-23"]
    assert query["department"] == ["URBAN"]


def test_page_says_when_the_rollup_is_missing(client, auth, week):
    auth.login("supervisor")
    html = client.get(f"/oversight?{PERIOD}").get_data(as_text=True)
    assert "每日汇总尚未生成" in html


def test_english_dashboard(client, auth, rolled):
    auth.login("supervisor")
    html = client.get(f"/oversight?{PERIOD}&lang=en").get_data(as_text=True)
    english = catalogue("en")
    for zh in ("按时签收率", "核心指标", "按渠道", "承办单位考核排名"):
        assert english[zh] in html and zh not in html
