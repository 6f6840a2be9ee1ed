"""Working-time arithmetic for case deadlines (时限), aware of China's holidays and 调休.

A :class:`WorkCalendar` is a pure value built from plain data (holiday dates, make-up working
days, the years that data covers, office hours, a time zone); it never looks anything up itself,
so it works the same for years nobody has published data for yet.

Semantics
---------
* Every datetime passed in must be timezone-aware (naive ones raise ``ValueError``); every
  datetime returned is aware UTC.  Arithmetic happens on the wall clock of ``tz``
  (default ``Asia/Shanghai``, which has no DST; in a zone with DST, office hours are read as wall
  clock times and a transition inside them is not corrected for).
* A day is a *working day* when it is a make-up working day (调休上班), or a Monday–Friday that is
  not a holiday.  Explicit holiday / workday data always applies; for a year outside
  ``known_years`` there usually is none, so only weekends are days off and
  :meth:`WorkCalendar.unknown_years` tells the caller so it can warn admins.
* ``calendar="workday"``: working time only runs during office hours on working days, minus the
  lunch break if one is set.  ``30m`` and ``4h`` are office minutes / hours; ``1d`` is one full
  office day (office close - office open - lunch), so with 09:00–18:00 ``add(Fri 17:00, 1d)``
  is Mon 17:00.  A start outside office hours effectively begins at the next office opening.
  A deadline is the earliest instant at which the working time has accrued, so one that lands
  exactly at office close (or lunch start) stays there rather than moving to the next opening.
* ``calendar="natural"``: plain elapsed time (``1d`` = 24 hours).
* :meth:`WorkCalendar.between` is the inverse of :meth:`WorkCalendar.add`:
  ``between(a, add(a, d)) == working_time(d)`` for every start ``a``.

The implementation walks at most one day at a time, using integer microseconds within a day,
so spans of weeks cost microseconds, not a minute-by-minute scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.duration import Duration, Unit  # noqa: F401 - Duration lives on the ground floor
from hotline.models.enums import CalendarKind

WORKDAY = CalendarKind.WORKDAY
_CALENDARS = frozenset(CalendarKind)  # members; a StrEnum member equals its value

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_ONE_DAY = timedelta(days=1)


def _to_us(t: time) -> int:
    """Microseconds since midnight of a wall-clock time."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _from_us(d: date, us: int) -> datetime:
    """The naive wall-clock datetime ``us`` microseconds after midnight of ``d``."""
    return datetime.combine(d, time()) + timedelta(microseconds=us)


class WorkCalendar:
    """Office-hours calendar used to compute and measure case deadlines; see the module doc."""

    def __init__(
        self,
        *,
        holidays: Iterable[date],
        workdays: Iterable[date],
        known_years: Iterable[int],
        office_hours: tuple[time, time] = (time(9), time(18)),
        lunch: tuple[time, time] | None = None,
        tz: str = "Asia/Shanghai",
    ) -> None:
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        clash = self._holidays & self._workdays
        if clash:
            raise ValueError(f"dates are both holiday and workday: {sorted(clash)}")
        self._known_years = frozenset(known_years)
        self._tz = ZoneInfo(tz)
        self._slots = self._build_slots(office_hours, lunch)
        self._day_us = sum(end - start for start, end in self._slots)

    @staticmethod
    def _build_slots(
        office_hours: tuple[time, time], lunch: tuple[time, time] | None
    ) -> tuple[tuple[int, int], ...]:
        """Working intervals of a working day, as microseconds since midnight."""
        open_us, close_us = (_to_us(t) for t in office_hours)
        if not open_us < close_us:
            raise ValueError(f"office hours must open before they close: {office_hours}")
        if lunch is None:
            return ((open_us, close_us),)
        lunch_start, lunch_end = (_to_us(t) for t in lunch)
        if not open_us < lunch_start < lunch_end < close_us:
            raise ValueError(f"lunch {lunch} must lie strictly inside office hours {office_hours}")
        return ((open_us, lunch_start), (lunch_end, close_us))

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (what ``1d`` means on the workday calendar)."""
        return timedelta(microseconds=self._day_us)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day: 调休 workdays yes, holidays no, else Monday–Friday."""
        if d in self._holidays:
            return False
        if d in self._workdays:
            return True
        return d.weekday() < 5

    def knows_year(self, year: int) -> bool:
        """Whether official holiday data was supplied for ``year``."""
        return year in self._known_years

    def unknown_years(self, a: datetime, b: datetime) -> set[int]:
        """Local years touched by the span a..b with no official data (so admins get warned)."""
        first, last = sorted((self._local(a)[0].year, self._local(b)[0].year))
        return {y for y in range(first, last + 1) if y not in self._known_years}

    def working_time(self, duration: Duration, *, calendar: CalendarKind = WORKDAY) -> timedelta:
        """How much working (or elapsed) time ``duration`` stands for on ``calendar``."""
        self._check_calendar(calendar)
        if duration.unit == "m":
            return timedelta(minutes=duration.amount)
        if duration.unit == "h":
            return timedelta(hours=duration.amount)
        if calendar == CalendarKind.NATURAL:
            return timedelta(days=duration.amount)
        return duration.amount * self.day_length

    def add(
        self, start: datetime, duration: Duration, *, calendar: CalendarKind = WORKDAY
    ) -> datetime:
        """The deadline ``duration`` after ``start`` on ``calendar``, as aware UTC."""
        amount = self.working_time(duration, calendar=calendar)
        if calendar == CalendarKind.NATURAL:
            return self._utc(start) + amount
        local = self._local(start)
        return self._from_local(self._add_working_us(local, amount // timedelta(microseconds=1)))

    def between(self, a: datetime, b: datetime, *, calendar: CalendarKind = WORKDAY) -> timedelta:
        """Working (or elapsed) time used from ``a`` to ``b``; zero if ``b`` is not after ``a``."""
        self._check_calendar(calendar)
        a_utc, b_utc = self._utc(a), self._utc(b)
        if b_utc <= a_utc:
            return timedelta(0)
        if calendar == CalendarKind.NATURAL:
            return b_utc - a_utc
        return timedelta(microseconds=self._working_us_between(self._local(a), self._local(b)))

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _check_calendar(calendar: str) -> None:
        if calendar not in _CALENDARS:
            raise ValueError(f"unknown calendar {calendar!r}: expected 'workday' or 'natural'")

    @staticmethod
    def _utc(value: datetime) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware (UTC) one")
        return value.astimezone(UTC)

    def _local(self, value: datetime) -> tuple[date, int]:
        """Split an aware datetime into local date and microseconds since local midnight."""
        wall = self._utc(value).astimezone(self._tz)
        return wall.date(), _to_us(wall.time())

    def _from_local(self, local: tuple[date, int]) -> datetime:
        wall = _from_us(*local).replace(tzinfo=self._tz)
        return wall.astimezone(UTC)

    def _add_working_us(self, local: tuple[date, int], remaining: int) -> tuple[date, int]:
        """Walk forward day by day until ``remaining`` working microseconds have accrued."""
        day, position = local
        while True:
            if self.is_working_day(day):
                for slot_start, slot_end in self._slots:
                    begin = max(slot_start, position)
                    if begin >= slot_end:
                        continue
                    # "<=" so a deadline that fills the slot exactly stays at its end (close).
                    if remaining <= slot_end - begin:
                        return day, begin + remaining
                    remaining -= slot_end - begin
            day, position = day + _ONE_DAY, 0

    def _working_us_between(self, a: tuple[date, int], b: tuple[date, int]) -> int:
        """Working microseconds from local position ``a`` to the later position ``b``."""
        day, position = a
        end_day, end_position = b
        total = 0
        while day <= end_day:
            if self.is_working_day(day):
                limit = end_position if day == end_day else _US_PER_DAY
                for slot_start, slot_end in self._slots:
                    begin, end = max(slot_start, position), min(slot_end, limit)
                    if end > begin:
                        total += end - begin
            day, position = day + _ONE_DAY, 0
        return total
