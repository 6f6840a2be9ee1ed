"""Bulk actions from the supervisor's list: one action on many cases, answered per case.

Each case is acted on in its own savepoint of the caller's transaction, so a refused case
(wrong state, not found) is reported and leaves the others done; the same rules and events
as one action at a time (:func:`hotline.services.cases.perform`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.errors import InvalidInput, ServiceError
from hotline.extensions import db
from hotline.services import cases
from hotline.services.actors import Actor

BULK_ACTIONS = ("dispatch", "supervise", "close")
#: the fields each bulk action takes (those of the single action)
ACTION_FIELDS = {"dispatch": ("department", "category", "note"), "supervise": ("note",),
                 "close": ("note",)}
MAX_CASES = 200


@dataclass
class Outcome:
    """What happened to one case of a bulk action: its new status, or the refusal."""

    number: str
    status: str | None = None
    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_numbers(numbers: Any) -> list[str]:
    """The case numbers asked for, each once, in order; refused by name when not a list of
    1..MAX_CASES strings."""
    if not isinstance(numbers, list) or not numbers or len(numbers) > MAX_CASES:
        raise InvalidInput("请选择 1 至 {most} 个工单", field="numbers", most=MAX_CASES)
    if not all(isinstance(n, str) and n.strip() and len(n) <= 40 for n in numbers):
        raise InvalidInput("「{field}」无效", field="numbers")
    return list(dict.fromkeys(n.strip() for n in numbers))


def perform_many(actor: Actor, action: Any, numbers: Any, params: dict[str, Any], *,
                 now: datetime | None = None) -> list[Outcome]:
    """Take ``action`` on every case in ``numbers``; a case refused does not stop the rest."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("「{field}」无效", field="action")
    cases.check_params(action, params)
    outcomes = []
    for number in check_numbers(numbers):
        try:
            with db.session.begin_nested():
                case = cases.perform(actor, number, action, params, now=now)
                outcomes.append(Outcome(number, status=case.status.value))
        except ServiceError as exc:
            outcomes.append(Outcome(number, error=exc))
    return outcomes
