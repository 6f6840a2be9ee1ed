"""Statistics periods: local calendar days (``HOTLINE_TIMEZONE``) and how a period splits
into whole months (read from ``stats_monthly``) and loose days (read from ``stats_daily``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from hotline.errors import InvalidInput
from hotline.models import utcnow
from hotline.services.validation import calendar_date

MAX_PERIOD_DAYS = 3660


def zone() -> ZoneInfo:
    """The time zone whose calendar days the figures count in."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_date(moment: datetime) -> date:
    """The local calendar day of a moment."""
    return moment.astimezone(zone()).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time(), zone())


def next_month(month: date) -> date:
    """The first day of the month after the one ``month`` falls in."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def window(self) -> tuple[datetime, datetime]:
        """The period as the half-open span ``[first midnight, midnight after the end)``."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))


def _parse_day(value: str | None, field: str) -> date | None:
    return calendar_date(value, field)


def period_from(date_from: str | None, date_to: str | None, *, now: datetime | None = None,
                default_days: int = 30) -> Period:
    """The period asked for; by default the last ``default_days`` days up to today."""
    start, end = _parse_day(date_from, "from"), _parse_day(date_to, "to")
    end = end or local_date(now or utcnow())
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise InvalidInput("「{field}」不能早于开始日期", field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput("统计期间最长 {days} 天", field="from", days=MAX_PERIOD_DAYS)
    return Period(start, end)


def split_months(period: Period) -> tuple[list[Period], Period | None]:
    """The period as whole calendar months (read from ``stats_monthly``; the returned period
    runs from the first to the last month's first day) and the days around them."""
    first = period.start if period.start.day == 1 else next_month(period.start)
    after = period.end + timedelta(days=1)
    last = after.replace(day=1)  # the month after the last whole month
    if first >= last:
        return [period], None
    days = [p for p in (Period(period.start, first - timedelta(days=1)),
                        Period(last, period.end)) if p.start <= p.end]
    return days, Period(first, (last - timedelta(days=1)).replace(day=1))
