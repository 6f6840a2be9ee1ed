"""Open-data rows as CSV or JSON text; knows nothing of where the rows came from."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any


def as_csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line (UTF-8 with BOM so spreadsheets read Chinese right)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def as_json(month: str, rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as one JSON document naming the month, the fields and the licence-free data."""
    return json.dumps({"month": month, "fields": list(columns), "count": len(rows),
                       "items": rows}, ensure_ascii=False)
