"""Tests for the server-side SVG charts."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from hotline.reporting import charts
from hotline.reporting.charts import (
    CHENGDU_CENTRAL_LAYOUT,
    bar_chart,
    district_map,
    line_chart,
    nice_ticks,
    rate_gauge,
    scale_colour,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NASTY = "<script>alert(1)</script> & \"引号\" 'x'"
DISTRICTS = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区"]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def links(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}a"))


def sample_series() -> dict[str, list[tuple[date, float]]]:
    start = date(2026, 10, 1)
    return {
        "全部": [(start + timedelta(days=i), 80 + (i % 7) * 3) for i in range(28)],
        "城市管理": [(start + timedelta(days=i), 30 + (i % 5)) for i in range(28)],
    }


ALL_CHARTS = {
    "bar": lambda title: bar_chart([("城市管理", 12), ("住房", 3)], title=title),
    "bar_vertical": lambda title: bar_chart([("城市管理", 12)], title=title, horizontal=False),
    "bar_empty": lambda title: bar_chart([], title=title),
    "line": lambda title: line_chart(sample_series(), title=title),
    "line_empty": lambda title: line_chart({}, title=title),
    "gauge": lambda title: rate_gauge(0.5, title=title, target=0.9),
    "gauge_none": lambda title: rate_gauge(None, title=title),
    "map": lambda title: district_map({"锦江区": 3}, title=title),
    "map_empty": lambda title: district_map({}, title=title),
}


# --------------------------------------------------------------------------- common contract


@pytest.mark.parametrize("kind", sorted(ALL_CHARTS))
def test_every_chart_is_accessible_scalable_xml(kind: str) -> None:
    root = parse(ALL_CHARTS[kind]("本周诉求"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "本周诉求"
    assert root.get("width") == "100%"
    assert len(root.get("viewBox", "").split()) == 4
    assert "Noto Sans CJK SC" in root.get("font-family", "")
    assert root[0].tag == f"{SVG}title" and root[0].text == "本周诉求"


@pytest.mark.parametrize("kind", sorted(ALL_CHARTS))
def test_every_chart_escapes_its_title(kind: str) -> None:
    svg = ALL_CHARTS[kind](NASTY)
    assert "<script" not in svg
    root = parse(svg)
    assert root.get("aria-label") == NASTY
    assert root.find(f"{SVG}title").text == NASTY


@pytest.mark.parametrize("kind", sorted(ALL_CHARTS))
def test_every_chart_is_deterministic(kind: str) -> None:
    assert ALL_CHARTS[kind]("标题") == ALL_CHARTS[kind]("标题")


def test_control_characters_do_not_break_the_xml() -> None:
    parse(bar_chart([("坏\x00字\x1b符", 1)], title="标题\x08"))


def test_no_style_element_leaks_into_the_page() -> None:
    for make in ALL_CHARTS.values():
        assert "<style" not in make("t")


# --------------------------------------------------------------------------- bar chart


def test_bar_chart_shows_labels_and_formatted_numbers() -> None:
    root = parse(bar_chart([("城市管理", 132), ("住房保障", 88.4)], title="分类"))
    shown = texts(root)
    assert "城市管理" in shown and "住房保障" in shown
    assert "132" in shown and "88" in shown
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "hl-bar"]
    assert len(bars) == 2
    assert float(bars[0].get("width")) > float(bars[1].get("width")) > 0


def test_bar_chart_value_format() -> None:
    root = parse(bar_chart([("按时率", 0.875)], title="t", value_format="{:.1%}"))
    assert "87.5%" in texts(root)


def test_bar_chart_escapes_labels() -> None:
    svg = bar_chart([(NASTY, 5), ("A&B", 2)], title="t")
    assert "<script" not in svg
    root = parse(svg)
    assert any(t.startswith("<script>") for t in texts(root))
    assert "A&B" in texts(root)


def test_bar_chart_links_each_bar_to_its_cases() -> None:
    root = parse(bar_chart([("城管&市容", 4), ("交通", 2)], title="t",
                           href=lambda label: f"/cases?category={label}&status=open"))
    anchors = links(root)
    assert [a.get("href") for a in anchors] == [
        "/cases?category=城管&市容&status=open",
        "/cases?category=交通&status=open",
    ]
    assert all(a.get(XLINK_HREF) == a.get("href") for a in anchors)
    assert anchors[0].get("aria-label") == "城管&市容：4"


def test_bar_chart_drops_script_links() -> None:
    root = parse(bar_chart([("x", 1), ("y", 2)], title="t",
                           href=lambda label: "java\tscript:alert(1)" if label == "x" else "/ok"))
    assert [a.get("href") for a in links(root)] == ["/ok"]


def test_bar_chart_skips_links_the_callback_declines() -> None:
    def href(label: str) -> str | None:
        return {"a": None, "b": "", "c": "data:text/html,x"}.get(label, "https://ok/")

    root = parse(bar_chart([("a", 1), ("b", 1), ("c", 1), ("d", 1)], title="t", href=href))
    assert [a.get("href") for a in links(root)] == ["https://ok/"]


def test_bar_chart_without_href_has_no_links() -> None:
    assert links(parse(bar_chart([("x", 1)], title="t"))) == []


def test_bar_chart_handles_zero_negative_and_missing_values() -> None:
    root = parse(bar_chart([("零", 0), ("负", -3), ("缺", math.nan)], title="t"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")
              if r.get("class") == "hl-bar"]
    assert widths == [0, 0, 0]
    assert "-3" in texts(root) and "—" in texts(root)


def test_bar_chart_empty_says_no_data() -> None:
    assert "暂无数据" in texts(parse(bar_chart([], title="t")))


def test_bar_chart_truncates_long_labels_but_keeps_them_in_tooltips() -> None:
    label = "非常长的分类名称" * 6
    root = parse(bar_chart([(label, 1)], title="t"))
    shown = [t for t in texts(root) if t.startswith("非常长")]
    assert shown and shown[0].endswith("…")
    assert any(label in (el.text or "") for el in root.iter(f"{SVG}title"))


def test_vertical_bar_chart_shows_values_and_rotates_crowded_labels() -> None:
    items = [(f"第{i}个很长的分类名称", i + 1) for i in range(12)]
    svg = bar_chart(items, title="t", horizontal=False)
    root = parse(svg)
    assert "12" in texts(root)
    assert "rotate(-40" in svg


def test_bar_chart_height_grows_with_items() -> None:
    def height(n: int) -> float:
        svg = bar_chart([(str(i), i) for i in range(n)], title="t")
        return float(parse(svg).get("viewBox").split()[3])

    assert height(20) > height(2)


# --------------------------------------------------------------------------- line chart


def test_line_chart_draws_each_series_with_legend_and_date_ticks() -> None:
    root = parse(line_chart(sample_series(), title="每日来电"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    shown = texts(root)
    assert "全部" in shown and "城市管理" in shown
    assert "10-01" in shown and "10-28" in shown
    assert sum(1 for t in shown if t[:2].isdigit() and t[2:3] == "-") <= 8


def test_line_chart_y_axis_labels_are_formatted_numbers() -> None:
    root = parse(line_chart({"量": [(date(2026, 1, 1), 0.2), (date(2026, 1, 2), 0.9)]},
                            title="t", y_format="{:.0%}"))
    assert "0%" in texts(root) and "100%" in texts(root)


def test_line_chart_points_have_tooltips() -> None:
    root = parse(line_chart({"量": [(date(2026, 11, 23), 7), (date(2026, 11, 24), 9)]},
                            title="t"))
    tips = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert tips == ["量 2026-11-23：7", "量 2026-11-24：9"]


def test_line_chart_sorts_points_and_skips_missing_values() -> None:
    svg = line_chart({"量": [(date(2026, 1, 3), 3), (date(2026, 1, 1), 1),
                            (date(2026, 1, 2), math.nan)]}, title="t")
    polyline = next(parse(svg).iter(f"{SVG}polyline"))
    xs = [float(p.split(",")[0]) for p in polyline.get("points").split()]
    assert len(xs) == 2 and xs == sorted(xs)


def test_line_chart_single_point_and_year_boundary() -> None:
    parse(line_chart({"量": [(date(2026, 1, 1), 5)]}, title="t"))
    root = parse(line_chart({"量": [(date(2025, 12, 30), 1), (date(2026, 1, 2), 2)]},
                            title="t"))
    assert "2025-12-30" in texts(root) and "2026-01-02" in texts(root)


def test_line_chart_with_negative_values_keeps_zero_on_the_axis() -> None:
    root = parse(line_chart({"差值": [(date(2026, 1, 1), -5), (date(2026, 1, 2), -1)]},
                            title="t"))
    assert "0" in texts(root) and "-5" in texts(root)


def test_line_chart_escapes_series_names() -> None:
    svg = line_chart({NASTY: [(date(2026, 1, 1), 1), (date(2026, 1, 2), 2)]}, title="t")
    assert "<script" not in svg
    parse(svg)


@pytest.mark.parametrize("series", [{}, {"量": []}, {"量": [(date(2026, 1, 1), math.nan)]}])
def test_line_chart_empty_says_no_data(series: dict) -> None:
    assert "暂无数据" in texts(parse(line_chart(series, title="t")))


def test_line_chart_wraps_a_long_legend() -> None:
    start = date(2026, 1, 1)
    many = {f"分类名称{i}": [(start, i), (start + timedelta(days=1), i)] for i in range(12)}
    root = parse(line_chart(many, title="t"))
    ys = {r.get("y") for r in root.iter(f"{SVG}rect") if "hl-series" in (r.get("class") or "")}
    assert len(ys) > 1


# --------------------------------------------------------------------------- gauge


def _fill(root: ET.Element) -> ET.Element:
    return next(r for r in root.iter(f"{SVG}rect") if "hl-gauge-fill" in r.get("class", ""))


def test_rate_gauge_shows_percentage_and_target() -> None:
    root = parse(rate_gauge(0.873, title="按时办结率", target=0.9))
    shown = texts(root)
    assert "87.3%" in shown and "目标 90.0%" in shown
    assert "hl-gauge-below" in _fill(root).get("class")
    assert any(el.get("class") == "hl-gauge-target" for el in root.iter(f"{SVG}line"))


def test_rate_gauge_meeting_target_is_ok() -> None:
    assert "hl-gauge-ok" in _fill(parse(rate_gauge(0.95, title="t", target=0.9))).get("class")


def test_rate_gauge_without_value_shows_no_data() -> None:
    for value in (None, math.nan):
        root = parse(rate_gauge(value, title="满意率"))
        assert "—" in texts(root) and "无数据" in texts(root)
        assert not any("hl-gauge-fill" in r.get("class", "") for r in root.iter(f"{SVG}rect"))


def test_rate_gauge_clamps_the_bar_but_shows_the_real_value() -> None:
    root = parse(rate_gauge(1.2, title="t"))
    track = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "hl-gauge-track")
    assert float(_fill(root).get("width")) == float(track.get("width"))
    assert "120.0%" in texts(root)
    assert float(_fill(parse(rate_gauge(-0.1, title="t"))).get("width")) == 0


# --------------------------------------------------------------------------- district map


def _tiles(root: ET.Element) -> dict[str, ET.Element]:
    """District name -> its tile rect, read from the tile tooltips."""
    found = {}
    for group in list(root.iter(f"{SVG}g")) + links(root):
        title = group.find(f"{SVG}title")
        rect = group.find(f"{SVG}rect")
        if title is not None and rect is not None and "hl-tile" in rect.get("class", ""):
            found[title.text.split("：")[0]] = rect
    return found


def test_district_map_labels_every_district_with_its_value() -> None:
    values = {"锦江区": 120, "青羊区": 80, "金牛区": 45, "武侯区": 150}
    root = parse(district_map(values, title="各区诉求量"))
    shown = texts(root)
    for name in DISTRICTS:
        assert name in shown
    for number in ("120", "80", "45", "150"):
        assert number in shown
    tiles = _tiles(root)
    assert set(tiles) == set(DISTRICTS)
    assert "hl-tile-nodata" in tiles["成华区"].get("class")
    assert tiles["成华区"].get("fill") == charts.NO_DATA_FILL


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_district_map_shades_higher_values_darker() -> None:
    values = {"锦江区": 10, "青羊区": 50, "金牛区": 100}
    tiles = _tiles(parse(district_map(values, title="t")))
    fills = [tiles[name].get("fill") for name in ("锦江区", "青羊区", "金牛区")]
    lum = [_luminance(f) for f in fills]
    assert lum[0] > lum[1] > lum[2]


def test_district_map_tiles_follow_the_real_layout() -> None:
    tiles = _tiles(parse(district_map({}, title="t")))
    pos = {name: (float(r.get("x")), float(r.get("y"))) for name, r in tiles.items()}
    assert pos["金牛区"][1] < pos["青羊区"][1] < pos["武侯区"][1]  # north to south, west side
    assert pos["成华区"][1] < pos["锦江区"][1]  # north-east above east-centre
    assert pos["青羊区"][0] < pos["锦江区"][0]  # west of east
    assert pos["金牛区"][0] < pos["成华区"][0]


def test_district_map_links_districts_with_data() -> None:
    root = parse(district_map({"锦江区": 3, "武侯区": 1}, title="t",
                              href=lambda d: f"/cases?district={d}&x=1"))
    assert sorted(a.get("href") for a in links(root)) == [
        "/cases?district=武侯区&x=1",
        "/cases?district=锦江区&x=1",
    ]


def test_district_map_lists_districts_outside_the_layout() -> None:
    root = parse(district_map({"锦江区": 3, "高新区": 7}, title="t"))
    assert any(t.startswith("图外：") and "高新区 7" in t for t in texts(root))


def test_district_map_empty_is_grey_and_says_no_data() -> None:
    root = parse(district_map({}, title="t"))
    assert "暂无数据" in texts(root)
    assert all("hl-tile-nodata" in r.get("class") for r in _tiles(root).values())


def test_district_map_accepts_another_city_layout() -> None:
    layout = {"东区": (1, 0), "西区": (0, 0), "<南区>": (0.5, 1)}
    svg = district_map({"东区": 5, "<南区>": 2}, title="t", layout=layout)
    assert "<南区>" not in svg
    root = parse(svg)
    assert set(_tiles(root)) == {"东区", "西区", "<南区>"}
    assert "锦江区" not in texts(root)


def test_district_map_escapes_names_and_equal_values() -> None:
    svg = district_map({"锦江区": 4, "青羊区": 4}, title="t", href=lambda d: f"/c?d={d}")
    parse(svg)
    assert set(CHENGDU_CENTRAL_LAYOUT) == set(DISTRICTS)


# --------------------------------------------------------------------------- helpers


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 132) == [0, 50, 100, 150]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    ticks = nice_ticks(-7, 23)
    assert ticks[0] <= -7 and ticks[-1] >= 23


def test_scale_colour_runs_light_to_dark() -> None:
    assert scale_colour(0) == charts.SCALE_STOPS[0]
    assert scale_colour(1) == charts.SCALE_STOPS[-1]
    assert _luminance(scale_colour(0.25)) > _luminance(scale_colour(0.75))
