"""The names of the oversight figures and the labels of report slices, in the current
language: what :mod:`hotline.services.stats` leaves untranslated."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.services.stats import Slice


def rate_names() -> dict[str, str]:
    """Each rate's name in the current language."""
    return {
        "on_time_sign_rate": _("按时签收率"), "on_time_completion_rate": _("按时办结率"),
        "resolution_rate": _("解决率"), "satisfaction_rate": _("满意率"),
        "reopen_rate": _("重办率"), "direct_resolution_rate": _("直接办结率"),
        "return_rate": _("退单率"),
    }


def rate_definitions() -> dict[str, str]:
    """Each rate's definition in one line, as the dashboard states it."""
    weight = current_app.config["BASICALLY_SATISFIED_WEIGHT"]
    return {
        "on_time_sign_rate": _("末次派单后在签收时限内签收的工单 ÷ 已签收或已超时签收的工单"),
        "on_time_completion_rate": _("在办理时限（含批准的延期）内答复的工单 ÷ 已答复或已超时的"
                                     "工单；超时后答复算超时"),
        "resolution_rate": _("未重办且未被评为不满意的已办结工单 ÷ 已办结工单"),
        "satisfaction_rate": _("（满意 + {weight} × 基本满意）÷ 参评工单；未评价不计入",
                               weight=f"{weight:g}"),
        "reopen_rate": _("重办过的工单 ÷ 答复过的工单"),
        "direct_resolution_rate": _("话务员直接办结的工单 ÷ 受理工单（不含并单）"),
        "return_rate": _("退单过的工单 ÷ 派发过的工单；单位的退单率为该单位退回的工单 ÷ "
                         "派给该单位的工单"),
    }


def figure_labels() -> dict[str, str]:
    """The name of each figure a /cases?kpi= link may name."""
    return {
        "effective": _("有效工单（不含并单）"), "merged": _("并单"),
        "sign_on_time": _("按时签收"), "sign_late": _("超时签收"),
        "sign_due": _("应签收（已签收或已超时）"), "handle_on_time": _("按时办结"),
        "handle_late": _("超时办结"), "handle_due": _("应办结（已答复或已超时）"),
        "completed": _("单位已答复"), "handled": _("单位已答复"), "closed": _("已办结"),
        "resolved": _("已解决"), "rated": _("参评"), "satisfied": _("满意"),
        "basically_satisfied": _("基本满意"), "pleased": _("满意及基本满意"),
        "dissatisfied": _("不满意"), "not_rated": _("未评价"), "answered": _("答复过"),
        "reopened": _("重办过"), "direct": _("直接办结"), "dispatched": _("派发过"),
        "returned": _("退单过"), "assigned": _("派给该单位"), "returned_by": _("被该单位退回"),
    }


def dimension_titles() -> dict[str, str]:
    """The title of each breakdown table."""
    return {"channel": _("按渠道"), "category": _("按诉求分类"), "type": _("按诉求类型"),
            "district": _("按区县"), "department": _("按承办单位")}


def figure_label(kpi: str | None) -> str:
    """The name of a figure in the current language, for the case list's drill-down note."""
    return figure_labels().get(kpi or "", kpi or "")


def slice_label(slice_: Slice) -> str:
    """What a slice is called on a page: its name in the data, the label of its channel or
    type, or what a slice without a name stands for (unclassified, district unknown...)."""
    if slice_.dimension in ("channel", "type"):
        return label(slice_.key)
    if slice_.name:
        return slice_.name
    unnamed = {"category": _("未分类"), "district": _("区县不详"), "department": _("未派单")}
    return unnamed.get(slice_.dimension) or _("全部")


def by_volume(slices: Iterable[Slice]) -> list[Slice]:
    """Slices largest first, then by their label in the current language."""
    return sorted(slices, key=lambda s: (-s.get("total"), slice_label(s)))
