"""Row-by-row tests of WorkCalendar against the real 2025/2026 State Council arrangement.

2026 make-up working days (调休上班) from chinese_calendar 1.11: Sun 01-04 (元旦), Sat 02-14 and
Sat 02-28 (春节), Sat 05-09 (劳动节), Sun 09-20 and Sat 10-10 (国庆节).  Holidays used below:
01-01..03 元旦, 02-15..23 春节, 09-25..27 中秋, 10-01..07 国庆节; 2025: 10-01..08 国庆/中秋.
"""

from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.services.workcalendar import Duration, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEARS = (2025, 2026)


def _calendar(**kwargs: object) -> WorkCalendar:
    return WorkCalendar(
        holidays=[d for d in chinese_calendar.holidays if d.year in YEARS],
        workdays=[d for d in chinese_calendar.workdays if d.year in YEARS],
        known_years=YEARS,
        **kwargs,  # type: ignore[arg-type]
    )


CAL = _calendar()
LUNCH_CAL = _calendar(lunch=(time(12), time(13)))


def local(text: str) -> datetime:
    """A Shanghai wall-clock time 'YYYY-MM-DD HH:MM' as the aware UTC datetime callers pass."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def show(value: datetime) -> str:
    assert value.tzinfo is UTC
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- Duration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30m", 30, "m"),
        ("4h", 4, "h"),
        ("3d", 3, "d"),
        ("1d", 1, "d"),
        ("120m", 120, "m"),
        (" 15d ", 15, "d"),
        ("3660d", 3660, "d"),
    ],
)
def test_duration_parse_good(text: str, amount: int, unit: str) -> None:
    duration = Duration.parse(text)
    assert duration == Duration(amount, unit)  # type: ignore[arg-type]
    assert str(duration) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", "greater than zero"),
        ("0m", "greater than zero"),
        ("-1h", "positive whole number"),
        ("3 days", "positive whole number"),
        ("", "positive whole number"),
        ("d", "positive whole number"),
        ("3", "positive whole number"),
        ("3D", "positive whole number"),
        ("1.5h", "positive whole number"),
        ("2w", "positive whole number"),
        ("３d", "positive whole number"),
        ("4h30m", "positive whole number"),
        ("3661d", "between 1 and 3660"),
        (None, "positive whole number"),
    ],
)
def test_duration_parse_bad(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Duration.parse(text)


@pytest.mark.parametrize(
    ("amount", "unit"), [(0, "d"), (-1, "h"), (2, "w"), (True, "d"), (1.5, "h")]
)
def test_duration_constructor_validates(amount: object, unit: str) -> None:
    with pytest.raises(ValueError):
        Duration(amount, unit)  # type: ignore[arg-type]


def test_duration_str_and_hash() -> None:
    assert str(Duration(3, "d")) == "3d"
    assert len({Duration(3, "d"), Duration.parse("3d")}) == 1


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 24), True),  # Tuesday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 1, 1), False),  # 元旦, Thursday
        (date(2026, 1, 2), False),  # 元旦, Friday
        (date(2026, 1, 4), True),  # 调休 Sunday
        (date(2026, 2, 14), True),  # 调休 Saturday before 春节
        (date(2026, 2, 16), False),  # 春节, Monday
        (date(2026, 2, 23), False),  # 春节, Monday (last day)
        (date(2026, 2, 24), True),  # first day back
        (date(2026, 2, 28), True),  # 调休 Saturday after 春节
        (date(2026, 5, 9), True),  # 调休 Saturday after 劳动节
        (date(2026, 9, 20), True),  # 调休 Sunday before 中秋/国庆
        (date(2026, 9, 25), False),  # 中秋, Friday
        (date(2026, 10, 7), False),  # 国庆节, Wednesday
        (date(2026, 10, 10), True),  # 调休 Saturday after 国庆节
        (date(2025, 9, 28), True),  # 2025 调休 Sunday
        (date(2025, 10, 8), False),  # 2025 国庆/中秋, Wednesday
        (date(2027, 1, 1), True),  # no data for 2027: a Friday is a working day
        (date(2027, 1, 2), False),  # ... and a Saturday is not
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_data_applies_even_for_a_year_without_official_data() -> None:
    # An admin-entered local holiday must count although the year's official notice is missing.
    cal = WorkCalendar(holidays=[date(2027, 1, 1)], workdays=[], known_years=[2026])
    assert not cal.is_working_day(date(2027, 1, 1))
    assert not cal.knows_year(2027)


@pytest.mark.parametrize(("year", "known"), [(2025, True), (2026, True), (2027, False)])
def test_knows_year(year: int, known: bool) -> None:
    assert CAL.knows_year(year) is known


# --- add, workday calendar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # ordinary weekdays (2026-11-24 is a Tuesday)
        ("2026-11-24 10:00", "4h", "2026-11-24 14:00"),
        ("2026-11-24 10:00", "30m", "2026-11-24 10:30"),
        ("2026-11-24 10:00", "1d", "2026-11-25 10:00"),
        ("2026-11-24 10:00", "3d", "2026-11-27 10:00"),
        ("2026-11-24 10:00", "9h", "2026-11-25 10:00"),
        ("2026-11-24 10:00", "540m", "2026-11-25 10:00"),
        # across a weekend
        ("2026-11-27 17:00", "1d", "2026-11-30 17:00"),
        ("2026-11-27 17:00", "2h", "2026-11-30 10:00"),
        ("2026-11-28 10:00", "1h", "2026-11-30 10:00"),
        ("2026-11-23 09:00", "10d", "2026-12-04 18:00"),
        # office-hour boundaries
        ("2026-11-24 07:30", "30m", "2026-11-24 09:30"),
        ("2026-11-24 00:00", "1d", "2026-11-24 18:00"),
        ("2026-11-24 19:00", "1h", "2026-11-25 10:00"),
        ("2026-11-24 17:00", "1h", "2026-11-24 18:00"),  # lands exactly at close: stays
        ("2026-11-24 09:00", "1d", "2026-11-24 18:00"),
        ("2026-11-24 18:00", "30m", "2026-11-25 09:30"),  # starting at close
        ("2026-11-27 18:00", "1d", "2026-11-30 18:00"),
        ("2026-11-24 17:59", "1m", "2026-11-24 18:00"),
        # 元旦 2026 and the 调休 Sunday 01-04
        ("2025-12-31 10:00", "1d", "2026-01-04 10:00"),
        ("2025-12-31 10:00", "2d", "2026-01-05 10:00"),
        # 春节 2026: Sat 02-14 worked, 02-15..23 off, Sat 02-28 worked
        ("2026-02-13 10:00", "1d", "2026-02-14 10:00"),
        ("2026-02-14 17:00", "2h", "2026-02-24 10:00"),
        ("2026-02-12 10:00", "3d", "2026-02-24 10:00"),
        ("2026-02-15 10:00", "1h", "2026-02-24 10:00"),
        ("2026-02-27 12:00", "1d", "2026-02-28 12:00"),
        ("2026-02-28 10:00", "1h", "2026-02-28 11:00"),
        # 劳动节 2026: 05-01..05 off, Sat 05-09 worked
        ("2026-04-30 10:00", "1d", "2026-05-06 10:00"),
        ("2026-05-08 10:00", "1d", "2026-05-09 10:00"),
        # 中秋 + 国庆 2026: Sun 09-20 worked, 09-25..27 and 10-01..07 off, Sat 10-10 worked
        ("2026-09-18 10:00", "1d", "2026-09-20 10:00"),
        ("2026-09-24 10:00", "1d", "2026-09-28 10:00"),
        ("2026-09-30 10:00", "1d", "2026-10-08 10:00"),
        ("2026-10-09 10:00", "1d", "2026-10-10 10:00"),
        ("2026-09-29 10:00", "5d", "2026-10-12 10:00"),
        # 国庆 2025 (8 days off)
        ("2025-09-30 10:00", "1d", "2025-10-09 10:00"),
        # into 2027, which has no data: weekends only
        ("2026-12-31 10:00", "1d", "2027-01-01 10:00"),
        ("2026-12-31 10:00", "2d", "2027-01-04 10:00"),
    ],
)
def test_add_workday(start: str, duration: str, expected: str) -> None:
    assert show(CAL.add(local(start), Duration.parse(duration))) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-11-24 11:00", "1h", "2026-11-24 12:00"),  # lands at lunch start: stays
        ("2026-11-24 11:00", "2h", "2026-11-24 14:00"),
        ("2026-11-24 12:30", "30m", "2026-11-24 13:30"),  # start during lunch
        ("2026-11-24 09:00", "1d", "2026-11-24 18:00"),  # a day is 8 office hours
        ("2026-11-27 17:00", "1d", "2026-11-30 17:00"),
        ("2026-11-24 17:00", "4h", "2026-11-25 12:00"),
    ],
)
def test_add_workday_with_lunch(start: str, duration: str, expected: str) -> None:
    assert show(LUNCH_CAL.add(local(start), Duration.parse(duration))) == expected


def test_day_length() -> None:
    assert CAL.day_length == timedelta(hours=9)
    assert LUNCH_CAL.day_length == timedelta(hours=8)
    assert CAL.working_time(Duration(2, "d")) == timedelta(hours=18)
    assert CAL.working_time(Duration(2, "d"), calendar="natural") == timedelta(days=2)


def test_custom_office_hours() -> None:
    cal = _calendar(office_hours=(time(8, 30), time(17, 30)), lunch=(time(12), time(14)))
    assert cal.day_length == timedelta(hours=7)
    assert show(cal.add(local("2026-11-24 07:00"), Duration.parse("4h"))) == "2026-11-24 14:30"


# --- add, natural calendar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-11-27 17:00", "1d", "2026-11-28 17:00"),
        ("2026-11-27 17:00", "30m", "2026-11-27 17:30"),
        ("2026-11-27 23:00", "2h", "2026-11-28 01:00"),
        ("2026-09-30 10:00", "3d", "2026-10-03 10:00"),
        ("2026-12-31 10:00", "3d", "2027-01-03 10:00"),
    ],
)
def test_add_natural(start: str, duration: str, expected: str) -> None:
    result = CAL.add(local(start), Duration.parse(duration), calendar="natural")
    assert show(result) == expected


# --- between --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-11-27 17:00", "2026-11-30 17:00", timedelta(hours=9)),
        ("2026-11-24 10:00", "2026-11-24 10:00", timedelta(0)),
        ("2026-11-25 10:00", "2026-11-24 10:00", timedelta(0)),
        ("2026-11-24 19:00", "2026-11-25 08:00", timedelta(0)),
        ("2026-11-28 00:00", "2026-11-29 23:59", timedelta(0)),  # weekend
        ("2026-11-24 08:00", "2026-11-24 20:00", timedelta(hours=9)),
        ("2026-11-24 12:00", "2026-11-24 12:00:00.000001", timedelta(microseconds=1)),
        ("2026-02-13 09:00", "2026-02-24 09:00", timedelta(hours=18)),  # Fri + 调休 Sat
        ("2026-09-28 09:00", "2026-10-12 09:00", timedelta(hours=54)),  # 6 days incl. Sat 10-10
        ("2026-12-31 09:00", "2027-01-05 09:00", timedelta(hours=27)),  # Thu, Fri, Mon
    ],
)
def test_between_workday(a: str, b: str, expected: timedelta) -> None:
    assert CAL.between(local(a), local(b)) == expected


def test_between_with_lunch() -> None:
    assert LUNCH_CAL.between(local("2026-11-24 11:00"), local("2026-11-24 14:00")) == timedelta(
        hours=2
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-11-27 17:00", "2026-11-30 17:00", timedelta(days=3)),
        ("2026-11-27 17:00", "2026-11-27 16:00", timedelta(0)),
    ],
)
def test_between_natural(a: str, b: str, expected: timedelta) -> None:
    assert CAL.between(local(a), local(b), calendar="natural") == expected


# --- unknown years --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-11-24 10:00", "2026-12-31 23:59", set()),
        ("2026-12-31 10:00", "2027-01-04 10:00", {2027}),
        ("2026-12-31 10:00", "2029-01-04 10:00", {2027, 2028, 2029}),
        ("2024-12-31 10:00", "2025-01-02 10:00", {2024}),
        ("2027-01-04 10:00", "2026-12-31 10:00", {2027}),  # order does not matter
    ],
)
def test_unknown_years(a: str, b: str, expected: set[int]) -> None:
    assert CAL.unknown_years(local(a), local(b)) == expected


def test_unknown_years_uses_local_new_year() -> None:
    # 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Shanghai.
    start = datetime(2026, 12, 31, 10, tzinfo=UTC)
    end = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert CAL.unknown_years(start, end) == {2027}
    assert CAL.unknown_years(start, CAL.add(start, Duration(2, "d"))) == {2027}


# --- time zones -----------------------------------------------------------------------------


def test_utc_input_is_read_in_local_time() -> None:
    # 16:30 UTC Tuesday is 00:30 Wednesday in Shanghai, before opening.
    start = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    result = CAL.add(start, Duration.parse("1h"))
    assert result == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_any_aware_input_is_accepted_and_utc_returned() -> None:
    plus8 = datetime(2026, 11, 27, 17, tzinfo=timezone(timedelta(hours=8)))
    result = CAL.add(plus8, Duration.parse("1d"))
    assert result == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert result.tzinfo is UTC
    natural = CAL.add(plus8, Duration.parse("1d"), calendar="natural")
    assert natural.tzinfo is UTC


def test_shanghai_has_no_dst_jumps() -> None:
    # Europe switches clocks on 2026-03-29; a Shanghai day stays 24h and office hours stay 01:00Z.
    start = local("2026-03-27 17:00")
    assert show(CAL.add(start, Duration.parse("1d"))) == "2026-03-30 17:00"
    assert CAL.add(start, Duration.parse("2d")) == datetime(2026, 3, 31, 9, tzinfo=UTC)


def test_other_time_zone_uses_its_wall_clock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    cal = WorkCalendar(holidays=[], workdays=[], known_years=[], tz="Europe/Berlin")
    start = datetime(2026, 3, 27, 17, tzinfo=berlin)  # Friday, CET (+01:00)
    result = cal.add(start, Duration.parse("1d"))
    assert result == datetime(2026, 3, 30, 17, tzinfo=berlin).astimezone(UTC)
    assert result.hour == 15  # CEST (+02:00) after the switch


@pytest.mark.parametrize("method", ["add", "between", "unknown_years"])
def test_naive_datetime_rejected(method: str) -> None:
    naive = datetime(2026, 11, 24, 10)
    aware = local("2026-11-24 10:00")
    with pytest.raises(ValueError, match="naive"):
        if method == "add":
            CAL.add(naive, Duration.parse("1h"))
        elif method == "between":
            CAL.between(aware, naive)
        else:
            CAL.unknown_years(naive, aware)


def test_naive_rejected_on_natural_calendar_too() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add(datetime(2026, 11, 24, 10), Duration.parse("1h"), calendar="natural")


def test_unknown_calendar_rejected() -> None:
    with pytest.raises(ValueError, match="calendar"):
        CAL.add(local("2026-11-24 10:00"), Duration.parse("1h"), calendar="lunar")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"office_hours": (time(18), time(9))}, "open before"),
        ({"office_hours": (time(9), time(9))}, "open before"),
        ({"lunch": (time(8), time(10))}, "inside office hours"),
        ({"lunch": (time(13), time(12))}, "inside office hours"),
        ({"tz": "Mars/Olympus"}, "Mars"),
    ],
)
def test_constructor_validates(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((ValueError, KeyError), match=message):
        _calendar(**kwargs)


def test_same_day_as_holiday_and_workday_rejected() -> None:
    with pytest.raises(ValueError, match="both holiday and workday"):
        WorkCalendar(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)], known_years=[])


# --- properties and speed -------------------------------------------------------------------

_starts = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
_durations = st.one_of(
    st.builds(Duration, st.integers(1, 6000), st.just("m")),
    st.builds(Duration, st.integers(1, 400), st.just("h")),
    st.builds(Duration, st.integers(1, 60), st.just("d")),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    start=_starts,
    duration=_durations,
    cal=st.sampled_from([CAL, LUNCH_CAL]),
    calendar=st.sampled_from(["workday", "natural"]),
)
def test_between_is_inverse_of_add(
    start: datetime, duration: Duration, cal: WorkCalendar, calendar: str
) -> None:
    deadline = cal.add(start, duration, calendar=calendar)  # type: ignore[arg-type]
    used = cal.working_time(duration, calendar=calendar)  # type: ignore[arg-type]
    assert deadline > start
    assert cal.between(start, deadline, calendar=calendar) == used  # type: ignore[arg-type]
    # The deadline is the earliest such instant: a microsecond earlier is not enough.
    earlier = deadline - timedelta(microseconds=1)
    assert cal.between(start, earlier, calendar=calendar) < used  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None, database=None)
@given(start=_starts, first=_durations, second=_durations)
def test_add_is_monotonic(start: datetime, first: Duration, second: Duration) -> None:
    small, large = sorted((first, second), key=CAL.working_time)
    assert CAL.add(start, small) <= CAL.add(start, large)


def test_add_and_between_are_fast() -> None:
    start = local("2026-09-10 10:00")
    six_weeks = Duration.parse("30d")
    runs = 500
    began = timer.perf_counter()
    for _ in range(runs):
        end = CAL.add(start, six_weeks)
        CAL.between(start, end)
    per_call = (timer.perf_counter() - began) / runs
    assert per_call < 0.002  # generous bound; typically well under 100 µs
