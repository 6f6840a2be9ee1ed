"""Tests for the official holiday seed data and the admins' calendar CSV."""

from __future__ import annotations

from datetime import date

import pytest

from hotline.services import holidays
from hotline.services.holidays import (
    CalendarDay,
    known_official_years,
    official_days,
    parse_calendar_csv,
)

# The 2026 arrangement as published by the State Council (chinese_calendar 1.11).
MAKE_UP_WORKDAYS_2026 = [
    CalendarDay(date(2026, 1, 4), "workday", "元旦"),
    CalendarDay(date(2026, 2, 14), "workday", "春节"),
    CalendarDay(date(2026, 2, 28), "workday", "春节"),
    CalendarDay(date(2026, 5, 9), "workday", "劳动节"),
    CalendarDay(date(2026, 9, 20), "workday", "国庆节"),
    CalendarDay(date(2026, 10, 10), "workday", "国庆节"),
]


def test_known_official_years() -> None:
    years = known_official_years()
    assert years[0] == 2004
    assert years[-1] >= 2026
    assert years == list(range(years[0], years[-1] + 1))
    assert 2025 in years and 2026 in years


def test_make_up_workdays_2026() -> None:
    workdays = [d for d in official_days([2026]) if d.kind == "workday"]
    assert workdays == MAKE_UP_WORKDAYS_2026
    assert all(d.day.weekday() >= 5 for d in workdays)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "元旦"),
        (date(2026, 1, 3), "元旦"),
        (date(2026, 2, 15), "春节"),
        (date(2026, 2, 23), "春节"),
        (date(2026, 4, 5), "清明"),
        (date(2026, 5, 1), "劳动节"),
        (date(2026, 6, 19), "端午"),
        (date(2026, 9, 25), "中秋"),
        (date(2026, 10, 1), "国庆节"),
        (date(2026, 10, 7), "国庆节"),
        (date(2025, 10, 8), "国庆节"),
        (date(2015, 9, 3), "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
    ],
)
def test_holiday_names_are_chinese(day: date, name: str) -> None:
    by_day = {d.day: d for d in official_days([day.year])}
    assert by_day[day] == CalendarDay(day, "holiday", name)


def test_holiday_counts_2026() -> None:
    holidays = [d for d in official_days([2026]) if d.kind == "holiday"]
    # 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆节 7
    assert len(holidays) == 33


def test_official_days_are_sorted_and_limited_to_the_years_asked() -> None:
    days = official_days([2026, 2025])
    assert [d.day for d in days] == sorted(d.day for d in days)
    assert {d.day.year for d in days} == {2025, 2026}


@pytest.mark.parametrize("years", [[2027], [2028, 2029], [1999], []])
def test_official_days_skip_unknown_years(years: list[int]) -> None:
    assert official_days(years) == []


def test_official_days_accepts_any_iterable() -> None:
    assert official_days(y for y in (2026, 2027)) == official_days([2026])


# --- CSV ------------------------------------------------------------------------------------


def test_parse_calendar_csv_full() -> None:
    text = (
        "\ufeffdate,kind,name\n"
        "# 2027 arrangement, entered by hand from the State Council notice\n"
        "2027-01-01,holiday,元旦\n"
        "\n"
        "2027-02-06,休,春节\n"
        '2027-02-20,班,"春节 (调休)"\n'
        "2027/5/1 , Holiday , 劳动节\n"
        "2027-05-08,WORKDAY,\n"
        "2027-06-01,holiday\n"
    )
    assert parse_calendar_csv(text) == [
        CalendarDay(date(2027, 1, 1), "holiday", "元旦"),
        CalendarDay(date(2027, 2, 6), "holiday", "春节"),
        CalendarDay(date(2027, 2, 20), "workday", "春节 (调休)"),
        CalendarDay(date(2027, 5, 1), "holiday", "劳动节"),
        CalendarDay(date(2027, 5, 8), "workday", ""),
        CalendarDay(date(2027, 6, 1), "holiday", ""),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("date,kind,name\n", []),
        ("2027-10-01,holiday,国庆节", [CalendarDay(date(2027, 10, 1), "holiday", "国庆节")]),
        ("2027-10-09,班,国庆节\r\n", [CalendarDay(date(2027, 10, 9), "workday", "国庆节")]),
        (
            "2027-10-02,休,国庆节\n2027-10-01,休,国庆节\n",
            [
                CalendarDay(date(2027, 10, 1), "holiday", "国庆节"),
                CalendarDay(date(2027, 10, 2), "holiday", "国庆节"),
            ],
        ),
    ],
)
def test_parse_calendar_csv_rows(text: str, expected: list[CalendarDay]) -> None:
    assert parse_calendar_csv(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01,vacation,元旦", r"line 1: unknown kind 'vacation'"),
        ("2027-01-01,holiday,元旦\n2027-13-01,holiday,x", r"line 2: bad date '2027-13-01'"),
        ("2027-02-30,holiday,x", r"line 1: bad date '2027-02-30'"),
        ("01/02/2027,holiday,x", r"line 1: bad date '01/02/2027'"),
        ("tomorrow,holiday,x", r"line 1: bad date 'tomorrow'"),
        ("2027-01-01", r"line 1: expected 3 columns"),
        ("date,kind,name\n\n2027-01-01,holiday,a,b", r"line 3: expected 3 columns"),
        (
            "2027-01-01,holiday,a\n2027-01-01,workday,b",
            r"line 2: 2027-01-01 is already given on line 1",
        ),
        ("2027-01-01,,元旦", r"line 1: unknown kind ''"),
        ("date,kind,name\ndate,kind,name", r"line 2: bad date 'date'"),
    ],
)
def test_parse_calendar_csv_bad_rows(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendar_csv(text)


def test_a_year_is_complete_only_with_every_official_holiday():
    official = holidays.official_days([2025])
    assert holidays.missing_festivals(official, 2025) == []
    assert holidays.complete_years(official) == {2025}
    three = holidays.parse_calendar_csv(
        "2027-01-01,休,元旦\n2027-02-06,休,春节\n2027-02-07,休,春节")
    assert holidays.missing_festivals(three, 2027) == [
        "tomb_sweeping", "labour_day", "dragon_boat", "national_day"]
    assert holidays.complete_years(three) == set()
    english = holidays.parse_calendar_csv("\n".join(
        f"2027-{day},holiday,{name}" for day, name in (
            ("01-01", "New Year's Day"), ("02-06", "Spring Festival"),
            ("04-05", "Tomb-sweeping Day"), ("05-01", "Labour Day"),
            ("06-09", "Dragon Boat Festival"), ("10-01", "National Day"))))
    assert holidays.complete_years(english) == {2027}
    workdays_only = holidays.parse_calendar_csv("2027-02-14,班,元旦 春节 清明 劳动 端午 国庆")
    assert holidays.complete_years(workdays_only) == set()  # make-up days name no holiday


def test_every_known_official_year_since_2008_is_complete():
    years = [y for y in holidays.known_official_years() if y >= 2008]
    assert holidays.complete_years(holidays.official_days(years)) == set(years)
