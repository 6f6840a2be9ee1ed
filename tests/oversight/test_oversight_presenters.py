"""The presenters label what the services leave untranslated, in the current language."""

from __future__ import annotations

from datetime import timedelta

from hotline.presenters.figures import by_volume, slice_label
from hotline.presenters.hotspots import spike_rows
from hotline.services import hotspots, stats
from hotline.services.kpi import DIMENSIONS
from tests.oversight.conftest import NOW
from tests.oversight.test_oversight_figures import WEEK


def labels(report: stats.Report) -> dict[str, dict]:
    out = {dim: {s.key: slice_label(s) for s in report.breakdowns[dim]} for dim in DIMENSIONS}
    out["department"] = {s.key: slice_label(s) for s in report.departments}
    out["all"] = {report.total.key: slice_label(report.total)}
    return out


def test_report_slices_carry_codes_and_data_names_only(week):
    report = stats.report(WEEK, now=NOW, live=True)
    channels = {s.key: s for s in report.breakdowns["channel"]}
    assert channels["phone"].name is None and channels["phone"].dimension == "channel"
    unclassified = next(s for s in report.breakdowns["category"] if s.key is None)
    assert unclassified.name is None and unclassified.link == {"category": "-"}
    assert report.total.name is None and report.total.dimension == "all"


def test_slices_are_labelled_in_chinese_by_default(week):
    found = labels(stats.report(WEEK, now=NOW, live=True))
    assert found["channel"]["phone"] == "电话" and found["channel"]["wechat"] == "微信"
    assert found["category"][None] == "未分类"
    assert found["district"][None] == "区县不详" and found["district"]["锦江区"] == "锦江区"
    assert found["department"][None] == "未派单"
    assert found["all"] == {None: "全部"}


def test_slices_are_labelled_in_english_when_asked(app, week):
    app.config["LANGUAGE"] = "en"
    found = labels(stats.report(WEEK, now=NOW, live=True))
    assert found["channel"]["phone"] == "Phone"
    assert found["category"][None] == "Uncategorised"
    assert found["district"][None] == "District unknown"
    assert found["department"][None] == "Not dispatched"
    assert found["all"] == {None: "All"}


def test_slices_are_shown_largest_first_then_by_label(week):
    report = stats.report(WEEK, now=NOW, live=True)
    for slices in (*report.breakdowns.values(), report.departments):
        shown = by_volume(slices)
        assert [(-s.get("total"), slice_label(s)) for s in shown] == \
            sorted((-s.get("total"), slice_label(s)) for s in slices)
    assert [s.key for s in by_volume(report.breakdowns["channel"])] == \
        ["phone", "wechat", "mailbox"]


def test_a_spike_row_links_to_the_cases_of_its_window(world):
    from tests.oversight.test_oversight_hotspots import register

    for day in range(1, 29):
        register(NOW - timedelta(days=day, hours=2))
    for hour in range(8):
        register(NOW - timedelta(hours=hour + 1))
    found = hotspots.spikes("day", now=NOW)
    spike = found["category"][0]
    assert (spike.code, spike.name) == ("street_vending", "城市管理 / 占道经营")
    row = spike_rows(found)["category"][0]
    assert row.label == "城市管理 / 占道经营" and row.cases == spike.cases
    assert row.link == {"category": "street_vending", "from": "2026-10-29", "to": "2026-10-30"}
