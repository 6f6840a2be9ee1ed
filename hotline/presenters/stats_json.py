"""The JSON shape of an oversight report for ``GET /api/v1/stats`` (see the README)."""

from __future__ import annotations

from typing import Any

from hotline.presenters.figures import by_volume, rate_definitions, slice_label
from hotline.services.kpi import COUNTS, DIMENSIONS, HISTOGRAM, STATUS_COUNTS
from hotline.services.stats import Report, Slice


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def slice_json(slice_: Slice) -> dict[str, Any]:
    """A slice's volume, rates, handling times and every count behind them."""
    avg, p90 = slice_.handling_hours()
    counts = {name: slice_.get(name) for name in COUNTS
              if name not in HISTOGRAM and not name.startswith("st_")}
    return {
        "key": slice_.key, "label": slice_label(slice_), "total": slice_.get("total"),
        "merged": slice_.get("merged"),
        **{name: _rounded(value, 4) for name, value in slice_.rates().items()},
        "avg_handling_hours": _rounded(avg, 1), "p90_handling_hours": _rounded(p90, 1),
        "counts": counts,
    }


def report_json(report: Report) -> dict[str, Any]:
    """Every figure of a report: the whole period, per status, per day, broken down, and how
    fresh the rolled-up part is."""
    whole = slice_json(report.total)
    whole.pop("key")
    whole.pop("label")
    by_status = {status.value: report.total.get(name) for name, status in STATUS_COUNTS.items()}
    by_status["merged"] = report.total.get("merged")
    breakdowns = {dim: [slice_json(s) for s in by_volume(report.breakdowns[dim])]
                  for dim in DIMENSIONS}
    breakdowns["department"] = [slice_json(s) for s in by_volume(report.departments)]
    return {
        "from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
        "department": report.department.code if report.department else None,
        **whole,
        "by_status": by_status,
        "by_channel": {s.key: s.get("total") for s in by_volume(report.breakdowns["channel"])},
        "definitions": rate_definitions(),
        "daily": [{"date": day.isoformat(), "total": n} for day, n in report.series],
        "breakdowns": breakdowns,
        "freshness": {
            "as_of": report.now.isoformat(),
            "rollup_through": _iso(report.rollup_through),
            "rollup_refreshed_at": _iso(report.refreshed_at),
            "live_from": _iso(report.live_from),
            "rollup_age_seconds": round((report.now - report.refreshed_at).total_seconds())
            if report.refreshed_at else None,
            "recounted_days": report.recounted_days,
        },
    }
