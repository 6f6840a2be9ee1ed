"""What happens when time passes: deadline warnings, overdue marks, automatic supervision,
and the follow-up survey's send, reminder and expiry.

Each point in a case's life is a due time column and a marker column. Deciding what is due
is pure (:func:`due_points`); firing a point sets its marker with a compare-and-set in the
same transaction as its event, so however many jobs and sweeps look at a case at once,
every point fires exactly once. The transaction is the caller's: the job opens one
``unit_of_work()`` per case, so the claim and its event commit (or vanish) together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, select, union_all, update

from hotline.extensions import db
from hotline.models import Case, CaseAction, CaseStatus, Notification, Role, Satisfaction, utcnow
from hotline.services import deadlines, followup
from hotline.services.actors import Actor
from hotline.services.cases import publish, record

S = CaseStatus
A = CaseAction
SYSTEM = Actor.system()


@dataclass(frozen=True)
class Point:
    """A moment in a case's life that a job must act on once."""

    kind: CaseAction  # the event it writes (escalate writes supervise)
    stage: str | None  # sign | handle for deadlines
    due: str  # the column holding when it falls due
    marker: str | None  # the column set when it fired (None: the status change marks it)
    statuses: frozenset[CaseStatus]


OPEN = frozenset({S.DISPATCHED, S.IN_PROGRESS})
POINTS: tuple[Point, ...] = (
    Point(A.DEADLINE_WARNING, "sign", "sign_warn_at", "sign_warned_at", frozenset({S.DISPATCHED})),
    Point(A.DEADLINE_OVERDUE, "sign", "sign_deadline", "sign_overdue_at",
          frozenset({S.DISPATCHED})),
    Point(A.DEADLINE_WARNING, "handle", "handle_warn_at", "handle_warned_at", OPEN),
    Point(A.DEADLINE_OVERDUE, "handle", "handle_deadline", "handle_overdue_at", OPEN),
    Point(A.ESCALATE, "handle", "escalate_at", "escalated_at", OPEN),
    Point(A.FOLLOWUP_SENT, None, "followup_due_at", "followup_sent_at", frozenset({S.REPLIED})),
    Point(A.FOLLOWUP_REMINDED, None, "followup_remind_at", "followup_reminded_at",
          frozenset({S.REPLIED})),
    Point(A.FOLLOWUP_EXPIRED, None, "followup_expire_at", None, frozenset({S.REPLIED})),
)


def due_points(case: Case, now: datetime) -> list[Point]:
    """The points of this case that have passed and not fired yet (pure)."""
    return [p for p in POINTS if _is_due(case, p, now)]


def upcoming(case: Case, now: datetime) -> list[datetime]:
    """When this case's unfired points fall due, for scheduling precise jobs."""
    times = []
    for point in POINTS:
        at = getattr(case, point.due)
        if at is not None and case.status in point.statuses and not _fired(case, point):
            times.append(max(at, now))
    return sorted(set(times))


def _fired(case: Case, point: Point) -> bool:
    return point.marker is not None and getattr(case, point.marker) is not None


def _is_due(case: Case, point: Point, now: datetime) -> bool:
    at = getattr(case, point.due)
    return (at is not None and at <= now and case.status in point.statuses
            and not _fired(case, point))


def due_case_ids(now: datetime, limit: int = 5000) -> list[int]:
    """Every case with a passed, unfired point: one partial-index scan per point."""
    selects = []
    for point in POINTS:
        column = getattr(Case, point.due)
        conditions = [column <= now, Case.status.in_(point.statuses)]
        if point.marker:
            conditions.append(getattr(Case, point.marker).is_(None))
        # each branch is its own subquery: SQLite allows no LIMIT inside a bare UNION member
        branch = select(Case.id).where(and_(*conditions)).limit(limit).subquery()
        selects.append(select(branch.c.id))
    query = union_all(*selects).subquery()
    return sorted(set(db.session.scalars(select(query.c.id).distinct().limit(limit))))


def process_due(case_id: int, now: datetime | None = None) -> list[str]:
    """Fire every passed point of one case in the caller's transaction; returns what fired
    (empty when nothing did). The caller commits once per case: each claim and its event
    stand or fall together."""
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    if case is None:
        return []
    fired = []
    for point in due_points(case, now):
        if _claim(case, point, now):
            db.session.refresh(case)
            FIRE[point.kind](case, point, now)
            fired.append(f"{point.kind}:{point.stage}" if point.stage else point.kind)
    publish(case)  # an automatic supervision is pushed like a supervisor's
    db.session.flush()  # what fired is written before the caller reads or commits
    return fired


def _claim(case: Case, point: Point, now: datetime) -> bool:
    """Compare-and-set the point's marker; only one transaction ever wins it."""
    due_column = getattr(Case, point.due)
    conditions = [Case.id == case.id, due_column <= now, Case.status.in_(point.statuses)]
    values: dict = {}
    if point.marker:
        conditions.append(getattr(Case, point.marker).is_(None))
        values[point.marker] = now
    else:  # expiry closes the case: the status is the marker
        values.update(status=S.CLOSED, closed_at=now, satisfaction=Satisfaction.NOT_RATED)
    if point.kind in (A.ESCALATE, A.FOLLOWUP_EXPIRED):
        values["version"] = Case.version + 1  # a visible change: concurrent editors must reload
    result = db.session.execute(update(Case).where(*conditions).values(**values)
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _warning(case: Case, point: Point, now: datetime) -> None:
    record(case, SYSTEM, A.DEADLINE_WARNING, from_status=case.status, public=False, now=now,
           data={"stage": point.stage, "deadline": getattr(case, point.due.replace(
               "_warn_at", "_deadline")).isoformat()})
    _notify(case, A.DEADLINE_WARNING, department=True, now=now,
            message=f"{case.number} 即将超过{_stage_label(point.stage)}时限")


def _overdue(case: Case, point: Point, now: datetime) -> None:
    case.overdue = True
    if point.stage == "handle":
        case.escalate_at = deadlines.calendar().add(
            case.handle_deadline, current_app.config["ESCALATE_AFTER"])
    record(case, SYSTEM, A.DEADLINE_OVERDUE, from_status=case.status, public=False, now=now,
           data={"stage": point.stage, "deadline": getattr(case, point.due).isoformat()})
    message = f"{case.number} 已超过{_stage_label(point.stage)}时限"
    _notify(case, A.DEADLINE_OVERDUE, department=True, now=now, message=message)
    _notify(case, A.DEADLINE_OVERDUE, role=Role.SUPERVISOR, now=now, message=message)


def _escalate(case: Case, point: Point, now: datetime) -> None:
    note = "超过办理时限仍未办结，系统自动督办"
    case.supervised = True
    case.supervise_note = note
    record(case, SYSTEM, A.SUPERVISE, from_status=case.status, note=note, public=False,
           now=now, data={"automatic": True})
    _notify(case, A.ESCALATE, department=True, now=now, message=f"{case.number} {note}")
    _notify(case, A.ESCALATE, role=Role.SUPERVISOR, now=now, message=f"{case.number} {note}")


def _followup_sent(case: Case, point: Point, now: datetime) -> None:
    method = followup.send_survey(case, reminder=False)
    case.followup_remind_at = followup.remind_at(now)
    record(case, SYSTEM, A.FOLLOWUP_SENT, from_status=case.status, public=True, now=now,
           data={"method": method})


def _followup_reminded(case: Case, point: Point, now: datetime) -> None:
    method = followup.send_survey(case, reminder=True)
    record(case, SYSTEM, A.FOLLOWUP_REMINDED, from_status=case.status, public=True, now=now,
           data={"method": method})


def _followup_expired(case: Case, point: Point, now: datetime) -> None:
    record(case, SYSTEM, A.FOLLOWUP_EXPIRED, from_status=S.REPLIED, public=True, now=now,
           data={"satisfaction": Satisfaction.NOT_RATED.value})
    record(case, SYSTEM, A.CLOSE, from_status=S.REPLIED, now=now,
           note="回访期内未评价，按未评价办结")


FIRE: dict[CaseAction, Callable[[Case, Point, datetime], None]] = {
    A.DEADLINE_WARNING: _warning,
    A.DEADLINE_OVERDUE: _overdue,
    A.ESCALATE: _escalate,
    A.FOLLOWUP_SENT: _followup_sent,
    A.FOLLOWUP_REMINDED: _followup_reminded,
    A.FOLLOWUP_EXPIRED: _followup_expired,
}


def _stage_label(stage: str | None) -> str:
    return "签收" if stage == "sign" else "办理"


def _notify(case: Case, kind: CaseAction, *, now: datetime, message: str, department: bool = False,
            role: Role | None = None) -> None:
    db.session.add(Notification(
        department_id=case.department_id if department else None,
        role=role.value if role else None, case_id=case.id, kind=kind, message=message,
        created_at=now))

