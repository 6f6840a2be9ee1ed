"""RQ job functions: each takes ids, runs in the worker's app context, calls one service.

A job that fails raises: RQ records it in the failed registry, where supervisors see it.
"""

from __future__ import annotations

from flask import current_app

from hotline.models import utcnow
from hotline.services import escalation, numbering
from hotline.unit_of_work import unit_of_work
from workflows import delivery
from workflows.context import job


@job
def process_case(case_id: int) -> list[str]:
    """Fire whatever deadline or follow-up points of the case have passed, then put the
    case's next point on the schedule."""
    with unit_of_work():
        fired = escalation.process_due(case_id)
    from workflows.scheduling import on_case_changed

    on_case_changed(case_id)
    return fired


@job
def deliver_message(message_id: int) -> str:
    """Send one outbox message if it is due and nobody else is sending it."""
    return delivery.deliver(message_id).outcome


@job
def sweep() -> dict:
    """Re-derive all due work from the database (see :mod:`workflows.sweep`)."""
    from workflows.sweep import run

    return run()


@job
def tidy_numbering() -> list[str]:
    """Drop the case-number sequences of past days (PostgreSQL; nightly)."""
    with unit_of_work() as session:
        return numbering.drop_old_sequences(session, utcnow(), current_app.config["TIMEZONE"])
