"""``GET /api/v1/stats``: the oversight figures of a period as JSON (see the README).

Department staff get their own department's figures; naming another department is 403.
"""

from __future__ import annotations

from typing import Any

from flask import g, request

from hotline.blueprints.api.base import bp, token_required
from hotline.services import dashboard, stats


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def slice_json(slice_: stats.Slice) -> dict[str, Any]:
    """A slice's volume, rates, handling times and every count behind them."""
    avg, p90 = slice_.handling_hours()
    counts = {name: slice_.get(name) for name in stats.COUNTS
              if name not in stats.HISTOGRAM and not name.startswith("st_")}
    return {
        "key": slice_.key, "label": slice_.label, "total": slice_.get("total"),
        "merged": slice_.get("merged"),
        **{name: _rounded(value, 4) for name, value in slice_.rates().items()},
        "avg_handling_hours": _rounded(avg, 1), "p90_handling_hours": _rounded(p90, 1),
        "counts": counts,
    }


@bp.get("/stats")
@token_required
def get_stats():
    args = request.args
    period = stats.period_from(args.get("from"), args.get("to"))
    department_id = stats.scope(g.actor, args.get("department"))
    report = stats.report(period, department_id=department_id)
    whole = slice_json(report.total)
    whole.pop("key")
    whole.pop("label")
    by_status = {status.value: report.total.get(name)
                 for name, status in stats.STATUS_COUNTS.items()}
    by_status["merged"] = report.total.get("merged")
    breakdowns = {dim: [slice_json(s) for s in report.breakdowns[dim]]
                  for dim in stats.DIMENSIONS}
    breakdowns["department"] = [slice_json(s) for s in report.departments]
    return {
        "from": period.start.isoformat(), "to": period.end.isoformat(),
        "department": report.department.code if report.department else None,
        **whole,
        "by_status": by_status,
        "by_channel": {s.key: s.get("total") for s in report.breakdowns["channel"]},
        "definitions": dashboard.rate_definitions(),
        "daily": [{"date": day.isoformat(), "total": n} for day, n in report.series],
        "breakdowns": breakdowns,
        "freshness": {
            "as_of": report.now.isoformat(),
            "rollup_through": report.rollup_through.isoformat() if report.rollup_through
            else None,
            "rollup_refreshed_at": report.refreshed_at.isoformat() if report.refreshed_at
            else None,
            "live_from": report.live_from.isoformat() if report.live_from else None,
        },
    }
