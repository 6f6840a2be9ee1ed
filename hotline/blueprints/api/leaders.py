"""``GET /api/v1/stats/mailboxes``: letters and satisfaction by leader's mailbox (领导信箱)."""

from __future__ import annotations

from flask import g, request

from hotline.apispec import checked_query, operation
from hotline.apispec.components import INT, STR
from hotline.blueprints.api.base import bp, token_required
from hotline.errors import Forbidden
from hotline.services import leader_mailboxes, periods

QUERY = {"type": "object", "additionalProperties": False, "properties": {
    "from": {"type": "string", "format": "date", "description": "YYYY-MM-DD (local)"},
    "to": {"type": "string", "format": "date", "description": "YYYY-MM-DD (local)"}}}
ROW = {"type": "object", "properties": {
    "mailbox": STR, "name": STR, "office": STR, "letters": INT, "answered": INT, "rated": INT,
    "satisfied": INT, "basically_satisfied": INT, "dissatisfied": INT,
    "satisfaction_rate": {"type": ["number", "null"]}}}
ANSWER = {"type": "object", "properties": {
    "from": STR, "to": STR, "items": {"type": "array", "items": ROW}}}


@bp.get("/stats/mailboxes")
@operation("领导信箱统计 / letters and satisfaction by mailbox", "stats", answer=ANSWER,
           query=QUERY, errors=(403,))
@token_required
def mailbox_stats():
    """Letters registered in ``?from=&to=`` (default the last 30 days) per mailbox, answered,
    rated, and the satisfaction rate; for the centre's accounts."""
    checked_query()
    if not g.actor.sees_everything:
        raise Forbidden("只有话务中心、督办员和管理员可以查看信箱统计")
    period = periods.period_from(request.args.get("from"), request.args.get("to"))
    return {"from": period.start.isoformat(), "to": period.end.isoformat(),
            "items": [row.as_dict() for row in leader_mailboxes.stats(*period.window())]}
