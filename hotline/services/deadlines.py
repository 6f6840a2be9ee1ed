"""Where deadlines are set: sign-for and handling limits from the SLA policy and the calendar.

Every function here runs inside the transaction of the action that calls it, so a case's
deadlines are never out of step with its state. The jobs that fire warnings and overdue
marks read these columns (see ``workflows``); they never compute a deadline themselves.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from hotline.errors import Conflict
from hotline.extensions import db
from hotline.models import (
    CalendarDay,
    CalendarKind,
    Case,
    CaseStatus,
    DayKind,
    RequestType,
    SlaPolicy,
    Urgency,
)
from hotline.services import holidays
from hotline.services.workcalendar import Duration, WorkCalendar

CACHE_SECONDS = 60

@dataclass(frozen=True)
class _Cached:
    calendar: WorkCalendar
    policies: tuple[SlaPolicy, ...]
    loaded: float


def _cache() -> _Cached:
    cached: _Cached | None = current_app.extensions.get("hotline.deadlines")
    if cached is None or clock.monotonic() - cached.loaded > CACHE_SECONDS:
        cached = _Cached(_load_calendar(), _load_policies(), clock.monotonic())
        current_app.extensions["hotline.deadlines"] = cached
    return cached


def invalidate() -> None:
    """Forget the cached calendar and policies after an admin changes them."""
    current_app.extensions.pop("hotline.deadlines", None)


def _load_calendar() -> WorkCalendar:
    days = db.session.scalars(select(CalendarDay)).all()
    return WorkCalendar(
        holidays=[d.day for d in days if d.kind == DayKind.HOLIDAY],
        workdays=[d.day for d in days if d.kind == DayKind.WORKDAY],
        known_years=holidays.complete_years(days),
        office_hours=current_app.config["OFFICE_HOURS"],
        tz=current_app.config["TIMEZONE"],
    )


def _load_policies() -> tuple[SlaPolicy, ...]:
    policies = db.session.scalars(select(SlaPolicy)).all()
    for policy in policies:
        db.session.expunge(policy)
    return tuple(policies)


def calendar() -> WorkCalendar:
    """The working-day calendar in force, from the admins' calendar data."""
    return _cache().calendar


def policy_for(urgency: Urgency, request_type: RequestType) -> SlaPolicy:
    """The most specific policy matching the urgency and type of a case."""
    matching = [
        p for p in _cache().policies
        if p.urgency in (None, urgency) and p.request_type in (None, request_type)
    ]
    if not matching:
        return SlaPolicy(name="built-in", accept="1d", handle="5d", warn_percent=75,
                         calendar=CalendarKind.WORKDAY)
    return max(matching, key=lambda p: p.specificity)


def _limits(start: datetime, duration: str, policy: SlaPolicy) -> tuple[datetime, datetime]:
    cal = calendar()
    deadline = cal.add(start, Duration.parse(duration), calendar=policy.calendar)
    total = cal.between(start, deadline, calendar=policy.calendar)
    warn_at = cal.add(start, Duration(max(1, int(total.total_seconds() * policy.warn_percent
                                                   / 100 // 60)), "m"),
                      calendar=policy.calendar)
    return warn_at, deadline


def _reset_markers(case: Case) -> None:
    case.sign_warned_at = case.sign_overdue_at = None
    case.handle_warned_at = case.handle_overdue_at = None
    case.escalated_at = None


def on_dispatch(case: Case, now: datetime) -> None:
    """Start both clocks when a case is dispatched: sign for it, then handle it."""
    policy = policy_for(case.urgency, case.request_type)
    case.sign_warn_at, case.sign_deadline = _limits(now, policy.accept, policy)
    case.handle_warn_at, case.handle_deadline = _limits(now, policy.handle, policy)
    _reset_markers(case)


def on_reopen(case: Case, now: datetime) -> None:
    """A reopened case (重办) gets a fresh handling period; it was signed for already."""
    clear(case)
    if case.department_id is None:
        return
    policy = policy_for(case.urgency, case.request_type)
    case.handle_warn_at, case.handle_deadline = _limits(now, policy.handle, policy)


def clear(case: Case) -> None:
    """Stop the clocks: the case left the department (returned, merged)."""
    case.sign_warn_at = case.sign_deadline = None
    case.handle_warn_at = case.handle_deadline = None
    _reset_markers(case)


def extend(case: Case, days: int) -> None:
    """Move the handling deadline by approved working days; warnings may fire again."""
    if case.handle_deadline is None:
        return
    cal = calendar()
    case.handle_deadline = cal.add(case.handle_deadline, Duration(days, "d"))
    if case.handle_warn_at is not None:
        case.handle_warn_at = cal.add(case.handle_warn_at, Duration(days, "d"))
    case.handle_warned_at = case.handle_overdue_at = None
    case.overdue = False


def max_extension_days() -> int:
    return current_app.config["MAX_EXTENSION_DAYS"]


def return_deadline(case: Case) -> datetime | None:
    """Until when the department may return the case (退单时限)."""
    if case.dispatched_at is None:
        return None
    return calendar().add(case.dispatched_at, current_app.config["RETURN_WINDOW"])


def return_window():
    """The return window (退单时限) as a Duration, for saying it in words."""
    return current_app.config["RETURN_WINDOW"]


def return_open(case: Case, now: datetime) -> bool:
    """Whether the department may still return the case: the window has not passed."""
    limit = return_deadline(case)
    return limit is None or now <= limit


def check_return_allowed(case: Case, now: datetime) -> None:
    """Refuse a return after the return window has passed (the window said in words)."""
    if not return_open(case, now):
        raise Conflict("已超过退单时限（派单后 {window}），请联系督办员改派",
                       window=return_window())


def current_stage(case: Case) -> str | None:
    """Which clock runs now: ``sign`` until accepted, then ``handle``; none when not open."""
    if case.status == CaseStatus.DISPATCHED:
        return "sign"
    if case.status == CaseStatus.IN_PROGRESS:
        return "handle"
    return None


def deadline_state(case: Case, now: datetime) -> tuple[str | None, datetime | None]:
    """(``overdue`` | ``due_soon`` | ``ok`` | None, the running deadline) for highlighting."""
    stage = current_stage(case)
    if stage is None:
        return None, None
    warn_at = getattr(case, f"{stage}_warn_at")
    deadline = getattr(case, f"{stage}_deadline")
    if deadline is None:
        return None, None
    if now >= deadline:
        return "overdue", deadline
    if warn_at is not None and now >= warn_at:
        return "due_soon", deadline
    return "ok", deadline


def years_without_calendar(now: datetime) -> list[int]:
    """This year and next, where no holiday data exists: admins must be warned."""
    cal = calendar()
    year = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    return [y for y in (year, year + 1) if not cal.knows_year(y)]
