"""Admin side of time limits: SLA policies and the holiday calendar, kept as data.

Every change joins the caller's transaction; the cached calendar and policies are dropped at
once (this transaction reads its own change) and again after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from hotline.errors import Conflict, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import (
    CalendarDay,
    CalendarKind,
    DaySource,
    RequestType,
    SlaPolicy,
    Urgency,
)
from hotline.services import deadlines, holidays
from hotline.services.validation import choice, whole_number
from hotline.services.workcalendar import Duration
from hotline.unit_of_work import after_commit

Policy = tuple[str, Urgency | None, RequestType | None, str, str, CalendarKind]
DEFAULT_POLICIES: tuple[Policy, ...] = (
    ("紧急", Urgency.URGENT, None, "30m", "24h", CalendarKind.NATURAL),
    ("一般", None, None, "1d", "5d", CalendarKind.WORKDAY),
    ("一般咨询", Urgency.NORMAL, RequestType.CONSULTATION, "1d", "3d", CalendarKind.WORKDAY),
    ("一般求助", Urgency.NORMAL, RequestType.HELP, "1d", "3d", CalendarKind.WORKDAY),
    ("一般投诉", Urgency.NORMAL, RequestType.COMPLAINT, "1d", "5d", CalendarKind.WORKDAY),
    ("一般举报", Urgency.NORMAL, RequestType.REPORT, "1d", "5d", CalendarKind.WORKDAY),
    ("一般建议", Urgency.NORMAL, RequestType.SUGGESTION, "1d", "10d", CalendarKind.WORKDAY),
    ("一般表扬", Urgency.NORMAL, RequestType.PRAISE, "1d", "3d", CalendarKind.WORKDAY),
)


def _duration(value: str, field: str) -> str:
    try:
        return str(Duration.parse(value))
    except ValueError:
        raise InvalidInput("「{field}」不是有效的时长：{value}（例如 30m、4h、3d）",
                           field=field, value=value) from None


def set_policy(name: str, *, urgency: str | None, request_type: str | None, accept: str,
               handle: str, warn_percent: int = 75,
               calendar: str = CalendarKind.WORKDAY) -> SlaPolicy:
    """Create or replace the policy for an urgency and type (the pair is the key)."""
    urgency_value, type_value = _match(urgency, request_type)
    policy = (_policy_matching(urgency_value, type_value)
              or SlaPolicy(urgency=urgency_value, request_type=type_value))
    return _fill(policy, name, accept, handle, warn_percent, calendar)


def update_policy(policy_id: int, name: str, *, urgency: str | None, request_type: str | None,
                  accept: str, handle: str, warn_percent: int = 75,
                  calendar: str = CalendarKind.WORKDAY) -> SlaPolicy:
    """Edit one policy in place; refused when another policy already covers the new
    urgency and type (edit or delete that one instead)."""
    policy = _policy(policy_id)
    urgency_value, type_value = _match(urgency, request_type)
    other = _policy_matching(urgency_value, type_value)
    if other is not None and other.id != policy.id:
        raise Conflict("「{name}」已规定这一紧急程度和类型的时限，请修改或删除它",
                       name=other.name)
    policy.urgency, policy.request_type = urgency_value, type_value
    return _fill(policy, name, accept, handle, warn_percent, calendar)


def delete_policy(policy_id: int) -> str:
    """Delete a policy; later cases of its urgency and type follow the next most specific
    one (deadlines already set stay). The general policy (any urgency, any type) is what
    every other case falls back on, so it can be edited but not deleted."""
    policy = _policy(policy_id)
    if policy.urgency is None and policy.request_type is None:
        raise Conflict("「{name}」是适用于所有工单的通用时限，不能删除，只能修改",
                       name=policy.name)
    name = policy.name
    db.session.delete(policy)
    _changed()
    return name


def _policy(policy_id: int) -> SlaPolicy:
    policy = db.session.get(SlaPolicy, whole_number(policy_id, "policy", minimum=1,
                                                    maximum=2**31 - 1))
    if policy is None:
        raise NotFound("时限策略 {id} 不存在", id=policy_id)
    return policy


def _match(urgency: str | None, request_type: str | None
           ) -> tuple[Urgency | None, RequestType | None]:
    return (choice(urgency, Urgency, "urgency") if urgency else None,
            choice(request_type, RequestType, "type") if request_type else None)


def _policy_matching(urgency: Urgency | None, request_type: RequestType | None
                     ) -> SlaPolicy | None:
    same_urgency = (SlaPolicy.urgency.is_(None) if urgency is None
                    else SlaPolicy.urgency == urgency)
    same_type = (SlaPolicy.request_type.is_(None) if request_type is None
                 else SlaPolicy.request_type == request_type)
    return db.session.scalars(select(SlaPolicy).where(same_urgency, same_type)).first()


def _fill(policy: SlaPolicy, name: str, accept: str, handle: str, warn_percent: int,
          calendar: str) -> SlaPolicy:
    if calendar not in tuple(CalendarKind):
        raise InvalidInput("「{field}」必须是 workday 或 natural", field="calendar")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput("「{field}」须为 1 到 60 个字", field="name")
    taken = db.session.scalars(select(SlaPolicy).where(SlaPolicy.name == name)).first()
    if taken is not None and taken is not policy:
        raise Conflict("已有名为「{name}」的时限策略", name=name)
    policy.name = name
    policy.accept = _duration(accept, "accept")
    policy.handle = _duration(handle, "handle")
    policy.warn_percent = whole_number(warn_percent, "warn", minimum=1, maximum=99)
    policy.calendar = calendar
    db.session.add(policy)
    _changed()
    return policy


def _changed() -> None:
    db.session.flush()  # registrations in this transaction read the change without autoflush
    deadlines.invalidate()
    after_commit(deadlines.invalidate, key="deadlines.invalidate")


def seed_default_policies() -> int:
    """Create the default policies where none exist yet; returns how many were added."""
    if db.session.scalars(select(SlaPolicy).limit(1)).first() is not None:
        return 0
    for name, urgency, request_type, accept, handle, kind in DEFAULT_POLICIES:
        db.session.add(SlaPolicy(name=name, urgency=urgency, request_type=request_type,
                                 accept=accept, handle=handle, warn_percent=75, calendar=kind))
    _changed()
    return len(DEFAULT_POLICIES)


def seed_official_calendar() -> int:
    """Copy the official holidays and 调休 days that the chinese_calendar package knows,
    without touching days an admin entered; returns how many days were added."""
    existing = set(db.session.scalars(select(CalendarDay.day)))
    added = 0
    for day in holidays.official_days(holidays.known_official_years()):
        if day.day not in existing:
            db.session.add(CalendarDay(day=day.day, kind=day.kind, name=day.name,
                                       source=DaySource.OFFICIAL))
            added += 1
    _changed()
    return added


def import_calendar(text: str) -> int:
    """Add or replace days from an admin's CSV (date,kind,name); returns how many rows."""
    try:
        days = holidays.parse_calendar_csv(text)
    except holidays.CalendarFileError as exc:
        raise _calendar_error(exc) from None
    for day in days:
        db.session.merge(CalendarDay(day=day.day, kind=day.kind, name=day.name,
                                     source=DaySource.ADMIN))
    _changed()
    return len(days)


def _calendar_error(exc: holidays.CalendarFileError) -> InvalidInput:
    """A bad calendar row in the page's language (the parser says it in English)."""
    params = exc.params
    if exc.kind == "columns":
        return InvalidInput("日历文件第 {line} 行应为「日期,类型,名称」3 列，实为 {count} 列",
                            field="calendar", **params)
    if exc.kind == "kind":
        return InvalidInput(
            "日历文件第 {line} 行的类型 {value} 无效：应为 holiday、workday、休或班",
            field="calendar", **params)
    if exc.kind == "repeat":
        return InvalidInput("日历文件第 {line} 行的 {day} 已在第 {first} 行给出",
                            field="calendar", **params)
    return InvalidInput("日历文件第 {line} 行的日期 {value} 无效：应写作 YYYY-MM-DD",
                        field="calendar", **params)


@dataclass(frozen=True)
class CalendarGap:
    """A year about to be used without its full official holiday list, and the official
    holidays it lacks (all of them when the year has no data at all)."""

    year: int
    missing: list[str]


def calendar_warnings(now: datetime) -> list[CalendarGap]:
    """Each year about to be used (this year and next) that lacks some official holiday:
    shown to admins, each year by name with what it lacks, until its full list is in."""
    gaps = []
    for year in deadlines.years_without_calendar(now):
        days = db.session.scalars(select(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))).all()
        gaps.append(CalendarGap(year, holidays.missing_festivals(days, year)))
    return gaps
