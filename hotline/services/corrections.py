"""Routing corrections: what a person chose when it differed from what was suggested.

Every registration and re-dispatch that goes elsewhere than the suggestion leaves a row
here, in the same transaction as the change; the rows feed the next training and the
confusion report on the models page. This module sits below :mod:`hotline.services.cases`
(which records corrections) and imports nothing from the services above it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import RoutingCorrection


def differs(*, suggested_category: str | None, chosen_category: str | None,
            suggested_department: str | None, chosen_department: str | None) -> bool:
    """Whether the choice departs from the suggestion in category or department (pure)."""
    return ((suggested_category or None) != (chosen_category or None)
            or (suggested_department or None) != (chosen_department or None))


def record_correction(case_id: int, *, suggested_category: str | None,
                      chosen_category: str | None, suggested_department: str | None,
                      chosen_department: str | None, source: str,
                      actor_id: int | None) -> RoutingCorrection | None:
    """Keep what a person chose when it differs from the suggestion, in the caller's
    transaction; returns None when the choice was the suggestion."""
    if not differs(suggested_category=suggested_category, chosen_category=chosen_category,
                   suggested_department=suggested_department,
                   chosen_department=chosen_department):
        return None
    correction = RoutingCorrection(
        case_id=case_id, suggested_category=suggested_category, chosen_category=chosen_category,
        suggested_department=suggested_department, chosen_department=chosen_department,
        source=source, actor_id=actor_id)
    db.session.add(correction)
    return correction


def confusion_report(limit: int = 50) -> list[tuple[str | None, str | None, int]]:
    """Suggested → chosen category pairs, most frequent first: where the model errs."""
    rows = db.session.execute(
        select(RoutingCorrection.suggested_category, RoutingCorrection.chosen_category,
               func.count())
        .where(RoutingCorrection.suggested_category.is_distinct_from(
            RoutingCorrection.chosen_category))
        .group_by(RoutingCorrection.suggested_category, RoutingCorrection.chosen_category)
        .order_by(func.count().desc()).limit(limit)).all()
    return [(a, b, n) for a, b, n in rows]
