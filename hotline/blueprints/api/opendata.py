"""``GET /api/v1/opendata/<YYYY-MM>.csv|json``: the month's anonymised open-data export."""

from __future__ import annotations

from flask import Response

from hotline.apispec import operation
from hotline.blueprints.api.base import bp, token_required
from hotline.reporting.opendata import as_csv, as_json
from hotline.services import opendata

ROW = {"type": "object", "properties": {name: {"type": ["string", "number", "boolean", "null"]}
                                        for name in opendata.COLUMNS}}
MONTH_PATH = {"month": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$",
                        "examples": ["2025-03"]}}


@bp.get("/opendata/<month>.csv")
@operation("开放数据（CSV） / open data as CSV", "opendata", media="text/csv",
           path=MONTH_PATH, description="匿名：无个人信息，地址只到街道。")
@token_required
def opendata_csv(month: str):
    """The month's cases, anonymised, as CSV."""
    body = as_csv(opendata.month_rows(month), opendata.COLUMNS)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=hotline-{month}.csv"})


@bp.get("/opendata/<month>.json")
@operation("开放数据（JSON） / open data as JSON", "opendata", path=MONTH_PATH,
           answer={"type": "object", "required": ["month", "fields", "count", "items"],
                   "properties": {"month": {"type": "string"}, "count": {"type": "integer"},
                                  "fields": {"type": "array", "items": {"type": "string"}},
                                  "items": {"type": "array", "items": ROW}}})
@token_required
def opendata_json(month: str):
    """The month's cases, anonymised, as JSON."""
    return Response(as_json(month, opendata.month_rows(month), opendata.COLUMNS),
                    mimetype="application/json")
