"""``GET /api/v1/stats``: the oversight figures of a period as JSON (see the README), with
the leaders' mailboxes' volume and satisfaction (``mailboxes``).

Department staff get their own department's figures; naming another department is 403.
"""

from __future__ import annotations

from flask import g, request

from hotline.apispec import checked_query, operation
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, token_required
from hotline.presenters.stats_json import report_json
from hotline.services import casemap, leader_mailboxes, periods, stats


@bp.get("/stats")
@operation("统计指标 / oversight figures", "stats", query=schemas.STATS_QUERY, errors=(403,))
@token_required
def get_stats():
    """The figures of ``?from=&to=`` (default the last 30 days), for ``?department=``."""
    checked_query()
    args = request.args
    period = periods.period_from(args.get("from"), args.get("to"))
    department_id = stats.scope(g.actor, args.get("department"))
    figures = report_json(stats.report(period, department_id=department_id))
    figures["mailboxes"] = [row.as_dict() for row in leader_mailboxes.stats(
        *period.window(), office_id=department_id)]
    return figures


@bp.get("/map/cases")
@operation("地图上的工单 / located cases as GeoJSON", "stats", query=schemas.MAP_QUERY,
           answer=schemas.MAP_ANSWER, errors=(403, 404))
@token_required
def map_cases():
    """The located cases of ``?from=&to=`` (default the last 30 days), filtered by
    ``category`` (with its sub-categories), ``status`` (or ``open``), ``district``,
    ``street`` and ``department`` (department staff: their own), as a GeoJSON
    FeatureCollection of points, newest first, at most ``limit`` (1000 by default)."""
    query = checked_query()
    flt = casemap.map_filter(g.actor, request.args)
    return casemap.features(flt, limit=int(query.get("limit") or 1000))
