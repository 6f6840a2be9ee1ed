"""The oversight dashboard's tables and charts, built from a :class:`stats.Report`.

The page, its CSV/XLSX exports and the chart links all read the same :class:`Table` objects,
so a figure, its export and the list of its cases never disagree. A cell's ``link`` holds the
``/cases`` filters that list exactly the cases it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import CaseStatus
from hotline.presenters.figures import (
    by_volume,
    dimension_titles,
    figure_label,
    rate_definitions,
    rate_names,
    slice_label,
)
from hotline.reporting import charts
from hotline.services import leader_mailboxes, sampling, stats
from hotline.services.kpi import DIMENSIONS, EVENT_DEPARTMENT_KPIS, RATES, STATUS_COUNTS

# rate -> (numerator figure, denominator figure)
RATE_PARTS: dict[str, tuple[str, str]] = {
    "on_time_sign_rate": ("sign_on_time", "sign_due"),
    "on_time_completion_rate": ("handle_on_time", "handle_due"),
    "resolution_rate": ("resolved", "closed"),
    "satisfaction_rate": ("pleased", "rated"),
    "reopen_rate": ("reopened", "answered"),
    "direct_resolution_rate": ("direct", "effective"),
    "return_rate": ("returned", "dispatched"),
}


def figure_count(c, kpi: str, *, by_department: bool) -> int:
    """How many cases a figure counts in a slice's counts."""
    if kpi == "sign_due":
        return c["sign_on_time"] + c["sign_late"]
    if kpi == "handle_due":
        return c["handle_on_time"] + c["handle_late"]
    if kpi == "effective":
        return c["total"] - c["merged"]
    if kpi == "pleased":
        return c["satisfied"] + c["basically_satisfied"]
    if by_department and kpi in ("returned", "dispatched"):
        return c["returned_by" if kpi == "returned" else "assigned"]
    return c[kpi]


def _event_kpi(kpi: str, by_department: bool) -> str:
    if by_department and kpi in ("returned", "dispatched"):
        return "returned_by" if kpi == "returned" else "assigned"
    return kpi


@dataclass
class Cell:
    """A table cell: its value, how to show it, and the cases behind it."""

    value: Any
    kind: str = "int"  # int | rate | hours | text | score
    link: dict | None = None
    title: str | None = None


@dataclass
class Table:
    """A titled table, shown on the page and exported as is."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def values(self) -> list[list[Any]]:
        return [[cell.value for cell in row] for row in self.rows]


class Links:
    """Builds the /cases filters for a figure of a report."""

    def __init__(self, report: stats.Report, *, event_links: bool) -> None:
        self.report = report
        self.event_links = event_links  # may the viewer list cases other departments hold?

    def __call__(self, slice_: stats.Slice, kpi: str | None, count: int) -> dict | None:
        if not count:
            return None
        args = {"from": self.report.period.start.isoformat(),
                "to": self.report.period.end.isoformat()}
        if self.report.department is not None:
            args["department"] = self.report.department.code
        args.update(slice_.link)
        if kpi:
            kpi = _event_kpi(kpi, slice_.by_department)
            if kpi in EVENT_DEPARTMENT_KPIS and (
                    not self.event_links or args.get("department") in (None, "-")):
                return None
            args["kpi"] = kpi
        return args


def _rate_cell(slice_: stats.Slice, rate: str, links: Links) -> Cell:
    numerator, denominator = RATE_PARTS[rate]
    c = slice_.counts
    top = figure_count(c, numerator, by_department=slice_.by_department)
    bottom = figure_count(c, denominator, by_department=slice_.by_department)
    return Cell(slice_.rates()[rate], "rate", links(slice_, numerator, top), f"{top} / {bottom}")


def kpi_table(report: stats.Report, links: Links) -> Table:
    """The seven rates of the whole period with their numerators and denominators."""
    table = Table("kpi", _("核心指标"), [_("指标"), _("比率"), _("分子"), _("分母"), _("口径")])
    whole = report.total
    names, definitions = rate_names(), rate_definitions()
    for rate, (numerator, denominator) in RATE_PARTS.items():
        top = figure_count(whole.counts, numerator, by_department=whole.by_department)
        bottom = figure_count(whole.counts, denominator, by_department=whole.by_department)
        table.rows.append([
            Cell(names[rate], "text"), Cell(whole.rates()[rate], "rate"),
            Cell(top, link=links(whole, numerator, top)),
            Cell(bottom, link=links(whole, denominator, bottom)),
            Cell(definitions[rate], "text")])
    return table


def volume_table(report: stats.Report, links: Links) -> Table:
    """Volume, merged duplicates, late and dissatisfied counts, and cases per status."""
    table = Table("volume", _("工单量"), [_("项目"), _("工单数")])
    whole = report.total
    c = whole.counts
    table.rows.append([Cell(_("受理量"), "text"), Cell(c["total"], link=links(whole, None,
                                                                               c["total"]))])
    for kpi in ("effective", "merged", "sign_late", "handle_late", "closed", "satisfied",
                "basically_satisfied", "dissatisfied", "not_rated"):
        count = figure_count(c, kpi, by_department=whole.by_department)
        table.rows.append([Cell(figure_label(kpi), "text"),
                           Cell(count, link=links(whole, kpi, count))])
    for name, status in STATUS_COUNTS.items():
        link = links(whole, None, c[name])
        if link:
            link["status"] = status.value
        table.rows.append([Cell(_("当前状态：{status}", status=label(status)), "text"),
                           Cell(c[name], link=link)])
    link = links(whole, None, c["merged"])
    if link:
        link["status"] = CaseStatus.MERGED.value
    table.rows.append([Cell(_("当前状态：{status}", status=label(CaseStatus.MERGED)), "text"),
                       Cell(c["merged"], link=link)])
    avg, p90 = whole.handling_hours()
    table.rows.append([Cell(_("平均办理时长（小时）"), "text"), Cell(avg, "hours")])
    table.rows.append([Cell(_("办理时长P90（小时）"), "text"), Cell(p90, "hours")])
    return table


def daily_table(report: stats.Report, links: Links) -> Table:
    """Cases registered per day, each day linking to its cases."""
    table = Table("daily", _("每日受理量"), [_("日期"), _("受理量")])
    for day, count in report.series:
        link = links(report.total, None, count)
        if link:
            link.update({"from": day.isoformat(), "to": day.isoformat()})
        table.rows.append([Cell(day, "text"), Cell(count, link=link)])
    return table


def breakdown_headers() -> list[str]:
    """The headers of a breakdown table: name, volume, the seven rates, handling times."""
    names = rate_names()
    return [_("名称"), _("受理量"), *(names[r] for r in RATES),
            _("平均办理时长（小时）"), _("办理时长P90（小时）")]


def breakdown_table(name: str, slices: list[stats.Slice], links: Links) -> Table:
    """One row per channel, category, type, district or department, with every figure."""
    table = Table(name, dimension_titles()[name], breakdown_headers())
    for slice_ in by_volume(slices):
        avg, p90 = slice_.handling_hours()
        table.rows.append([
            Cell(slice_label(slice_), "text"),
            Cell(slice_.get("total"), link=links(slice_, None, slice_.get("total"))),
            *(_rate_cell(slice_, rate, links) for rate in RATES),
            Cell(avg, "hours"), Cell(p90, "hours")])
    return table


def ranking_table(assessed: list[stats.Assessed], links: Links) -> Table:
    """The monthly assessment: each department's score and part scores, best first."""
    parts = [*stats.ASSESSMENT_RATES, "inspection"]
    names = {"sign": _("按时签收得分"), "completion": _("按时办结得分"),
             "resolution": _("解决得分"), "satisfaction": _("满意得分"),
             "return": _("退单得分"), "reopen": _("重办得分"), "inspection": _("人工质检得分")}
    weights = current_app.config["ASSESSMENT_WEIGHTS"]
    table = Table("ranking", _("承办单位考核排名"),
                  [_("排名"), _("承办单位"), _("得分"), _("受理量"),
                   *(f"{names[p]} ×{weights.get(p, 0):g}" for p in parts), _("备注")])
    for item in assessed:
        dept = item.department
        table.rows.append([
            Cell(item.rank, "int"), Cell(slice_label(dept), "text"), Cell(item.score, "score"),
            Cell(dept.get("total"), link=links(dept, None, dept.get("total"))),
            *(Cell(item.parts[p], "score") for p in parts),
            Cell("" if item.rank else _("样本不足，不参与排名"), "text")])
    return table


def mailbox_table(rows: list[leader_mailboxes.MailboxStats]) -> Table:
    """The leaders' mailboxes (领导信箱) written to in the period: letters, answers and
    satisfaction of each, most letters first (a city keeps thousands, most idle)."""
    table = Table("mailbox", _("领导信箱"), [
        _("信箱"), _("阅处单位"), _("来信量"), _("已答复"), _("已评价"), _("满意"),
        _("基本满意"), _("不满意"), _("满意率")])
    for row in sorted((r for r in rows if r.letters or r.rated), key=lambda r: -r.letters):
        table.rows.append([
            Cell(row.name, "text"), Cell(row.office, "text"), Cell(row.letters),
            Cell(row.answered), Cell(row.rated), Cell(row.satisfied),
            Cell(row.basically_satisfied), Cell(row.dissatisfied),
            Cell(row.satisfaction_rate, "rate",
                 title=f"{row.satisfied} + {row.weight:g} × {row.basically_satisfied} / "
                       f"{row.rated}")])
    return table


def tables(report: stats.Report, *, event_links: bool, ranking: bool,
           mailboxes: list[leader_mailboxes.MailboxStats] | None = None) -> dict[str, Table]:
    """Every table of the dashboard, by name (the name ``?table=`` exports); the leaders'
    mailboxes' when ``mailboxes`` lists any."""
    links = Links(report, event_links=event_links)
    out = {t.name: t for t in (kpi_table(report, links), volume_table(report, links),
                               daily_table(report, links))}
    for dim in DIMENSIONS:
        out[dim] = breakdown_table(dim, report.breakdowns[dim], links)
    if not report.scoped:
        out["department"] = breakdown_table("department", report.departments, links)
    if ranking and not report.scoped:
        manual = sampling.department_scores(report.period.start, report.period.end)
        out["ranking"] = ranking_table(stats.assessment(report.departments, manual), links)
    if mailboxes:
        out["mailbox"] = mailbox_table(mailboxes)
    return out


def charts_for(report: stats.Report, tables_: dict[str, Table],
               url: Callable[[dict], str]) -> dict[str, str]:
    """The SVG charts of the dashboard; each bar and district links to its cases."""
    out: dict[str, str] = {}
    whole = report.total
    for rate, name in rate_names().items():
        out[rate] = charts.rate_gauge(whole.rates()[rate], title=name)
    out["daily"] = charts.line_chart({_("受理量"): report.series}, title=_("每日受理量"),
                                     y_format="{:g}")
    for name in (*DIMENSIONS, "department"):
        table = tables_.get(name)
        if table is None:
            continue
        rows = table.rows[:15]
        hrefs = {row[0].value: url(row[1].link) for row in rows if row[1].link}
        out[name] = charts.bar_chart([(row[0].value, row[1].value) for row in rows],
                                     title=_("受理量（{title}）", title=table.title),
                                     href=lambda key, hrefs=hrefs: hrefs.get(key))
    if "mailbox" in tables_:
        out["mailbox"] = charts.bar_chart(
            [(row[0].value, row[2].value) for row in tables_["mailbox"].rows[:15]],
            title=_("来信量（{title}）", title=tables_["mailbox"].title))
    districts = {s.key: s.get("total") for s in report.breakdowns["district"] if s.key}
    district_links = {row[0].value: url(row[1].link) for row in tables_["district"].rows
                      if row[1].link}
    out["map"] = charts.district_map(districts, title=_("各区县受理量"),
                                     href=lambda key: district_links.get(key))
    words = {"暂无数据": _("暂无数据"), "无数据": _("无数据")}
    return {name: charts.relabel(svg, words) for name, svg in out.items()}
