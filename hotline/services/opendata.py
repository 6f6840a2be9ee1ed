"""The monthly open-data export: every case created in a month, anonymised.

No personal data leaves: no citizen, phone, text, title or address; the place is coarsened
to the district and street; times are the local day and the hours each stage took.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Case

COLUMNS = ("number", "created_date", "category", "category_name", "department", "district",
           "street", "channel", "type", "urgency", "status", "hours_to_dispatch",
           "hours_to_accept", "hours_to_reply", "overdue", "reopened", "satisfaction")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The start and end (local time, as aware datetimes) of a ``YYYY-MM`` month."""
    match = _MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1 <= int(match.group(1)) < 9999:
        raise InvalidInput("「{field}」必须是 YYYY-MM 格式的月份", field="month")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return (datetime(first.year, first.month, 1, tzinfo=zone),
            datetime(following.year, following.month, 1, tzinfo=zone))


def month_rows(month: str) -> list[dict[str, Any]]:
    """One anonymised row per case created in the month, oldest first."""
    start, end = month_bounds(month)
    zone = start.tzinfo
    query = (select(Case).options(joinedload(Case.category), joinedload(Case.department))
             .where(Case.created_at >= start, Case.created_at < end).order_by(Case.id))
    return [_row(case, zone) for case in db.session.scalars(query)]


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)


def _row(case: Case, zone) -> dict[str, Any]:
    return {
        "number": case.number,
        "created_date": case.created_at.astimezone(zone).date().isoformat(),
        "category": case.category.code if case.category else None,
        "category_name": case.category.name if case.category else None,
        "department": case.department.code if case.department else None,
        "district": case.district, "street": case.street,
        "channel": case.channel.value, "type": case.request_type.value,
        "urgency": case.urgency.value, "status": case.status.value,
        "hours_to_dispatch": _hours(case.created_at, case.dispatched_at),
        "hours_to_accept": _hours(case.dispatched_at, case.accepted_at),
        "hours_to_reply": _hours(case.dispatched_at, case.replied_at),
        "overdue": case.overdue, "reopened": case.reopen_count > 0,
        "satisfaction": case.satisfaction.value if case.satisfaction else None,
    }
