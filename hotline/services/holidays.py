"""Holiday and make-up working day (调休) data that seeds the working-time calendar.

The official arrangement comes from the ``chinese_calendar`` package, which only covers the years
the State Council has published; admins extend it (next year's notice, local holidays) with a
small CSV, parsed here into the same :class:`CalendarDay` records.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import chinese_calendar

from hotline.models.enums import DayKind

# Admins write either the English kind or the 休/班 marks used on Chinese calendars.
_KIND_ALIASES: dict[str, DayKind] = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
}
_DATE_RE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_HEADER = ["date", "kind", "name"]


class CalendarFileError(ValueError):
    """A bad row of an admin's calendar CSV: ``str()`` says it in English (for logs and the
    command line); ``kind`` (columns, date, kind, repeat) and ``params`` let the page say it
    in its own language."""

    def __init__(self, text: str, kind: str, **params: object) -> None:
        super().__init__(text)
        self.kind = kind
        self.params = params


@dataclass(frozen=True)
class CalendarDay:
    """One special day: a public ``holiday``, or a ``workday`` (调休, a weekend day worked)."""

    day: date
    kind: DayKind
    name: str


#: the public holidays every year's official arrangement has had since 2008 (codes, labelled
#: in the page's language), each with the words its name is written with (Chinese, or
#: chinese_calendar's English); 中秋 is not among them because it may fall inside the 国庆
#: days (2020)
OFFICIAL_FESTIVALS: dict[str, tuple[str, ...]] = {
    "new_year": ("元旦", "new year"),
    "spring_festival": ("春节", "spring festival"),
    "tomb_sweeping": ("清明", "tomb"),
    "labour_day": ("劳动", "labour", "labor"),
    "dragon_boat": ("端午", "dragon boat"),
    "national_day": ("国庆", "national day"),
}


def missing_festivals(days: Iterable[CalendarDay], year: int) -> list[str]:
    """The official holidays (codes) ``year`` has no holiday day for (empty: complete).

    A year is complete only with its full official list: three imported days of a year
    leave it incomplete, so the admins' warning stays until the whole notice is entered."""
    names = [(d.name or "").lower() for d in days
             if d.day.year == year and d.kind == DayKind.HOLIDAY]
    return [festival for festival, words in OFFICIAL_FESTIVALS.items()
            if not any(word in name for name in names for word in words)]


def complete_years(days: Iterable[CalendarDay]) -> set[int]:
    """The years whose holiday days name every official holiday."""
    days = list(days)
    return {year for year in {d.day.year for d in days} if not missing_festivals(days, year)}


def known_official_years() -> list[int]:
    """Years for which ``chinese_calendar`` has the official holiday arrangement."""
    years = [d.year for d in chinese_calendar.holidays]
    return list(range(min(years), max(years) + 1))


def official_days(years: Iterable[int]) -> list[CalendarDay]:
    """Official holidays and 调休 workdays for ``years``, sorted; years without data are skipped."""
    wanted = set(years) & set(known_official_years())
    days = [
        CalendarDay(day, kind, _chinese_name(english))
        for kind, table in (
            (DayKind.HOLIDAY, chinese_calendar.holidays),
            (DayKind.WORKDAY, chinese_calendar.workdays),
        )
        for day, english in table.items()
        if day.year in wanted
    ]
    return sorted(days, key=lambda d: d.day)


def _chinese_name(english: str) -> str:
    """The Chinese name (春节, 国庆节...) that chinese_calendar keeps beside its English value."""
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        # A future chinese_calendar may add a name this code has not seen; keep what it gave.
        return english


def parse_calendar_csv(text: str) -> list[CalendarDay]:
    """Parse an admin's ``date,kind,name`` CSV (kind: holiday/workday or 休/班) into days.

    An optional header row, blank lines and ``#`` comments are skipped; the name may be empty.
    A bad row raises ``ValueError`` naming its line number, so the admin can fix it.
    """
    days: list[CalendarDay] = []
    seen: dict[date, int] = {}
    for index, (line_no, row) in enumerate(_rows(text)):
        if index == 0 and [cell.strip().lower() for cell in row] == _HEADER:
            continue
        day = _parse_row(line_no, row)
        if day.day in seen:
            raise CalendarFileError(
                f"line {line_no}: {day.day.isoformat()} is already given on line {seen[day.day]}",
                "repeat", line=line_no, day=day.day.isoformat(), first=seen[day.day])
        seen[day.day] = line_no
        days.append(day)
    return sorted(days, key=lambda d: d.day)


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """Non-blank, non-comment CSV rows with their 1-based line numbers."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))  # Excel saves UTF-8 with a BOM
    for row in reader:
        line_no = reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        yield line_no, row


def _parse_row(line_no: int, row: list[str]) -> CalendarDay:
    cells = [cell.strip() for cell in row]
    if len(cells) == 2:
        cells.append("")
    if len(cells) != 3:
        raise CalendarFileError(
            f"line {line_no}: expected 3 columns 'date,kind,name', got {len(cells)}: {row!r}",
            "columns", line=line_no, count=len(cells))
    raw_date, raw_kind, name = cells
    day = _parse_date(line_no, raw_date)
    kind = _KIND_ALIASES.get(raw_kind.lower())
    if kind is None:
        raise CalendarFileError(
            f"line {line_no}: unknown kind {raw_kind!r}: expected holiday, workday, 休 or 班",
            "kind", line=line_no, value=raw_kind)
    return CalendarDay(day, kind, name)


def _parse_date(line_no: int, raw: str) -> date:
    match = _DATE_RE.fullmatch(raw)
    if match is None:
        raise CalendarFileError(f"line {line_no}: bad date {raw!r}: expected YYYY-MM-DD",
                                "date", line=line_no, value=raw)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise CalendarFileError(f"line {line_no}: bad date {raw!r}: {exc}",
                                "date", line=line_no, value=raw) from None
