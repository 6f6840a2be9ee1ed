"""CSV and XLSX export of dashboard tables.

Both formats are aimed at Excel on Chinese Windows and both neutralise spreadsheet formula
injection: a citizen's free text such as ``=HYPERLINK(...)`` must never run as a formula on
an official's machine.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["CHINA_TZ", "display_width", "guard_formula", "sheet_title", "to_csv", "to_xlsx"]

# China has a single zone and no daylight saving, so a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Control characters are illegal in XLSX XML; openpyxl raises on them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_CELL_LIMIT = 32767
_SHEET_TITLE_LIMIT = 31
_WIDTH_SAMPLE_ROWS = 200
_MAX_COLUMN_WIDTH = 60

_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_PERCENT_FORMAT = "0.0%"


def guard_formula(text: str) -> str:
    """Prefix a quote to text a spreadsheet would read as a formula (CSV/formula injection)."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _is_number(value: object) -> bool:
    # numbers.Number also covers Decimal and numpy scalars; a number can't carry a formula.
    return isinstance(value, numbers.Number) and not isinstance(value, complex)


def _is_fractional(value: object) -> bool:
    """A non-integer number: float, numpy float or Decimal."""
    real = isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
    return real or isinstance(value, Decimal)


def _is_missing(value: object) -> bool:
    # NaN/inf have no spreadsheet representation (Excel reports a corrupt file), so blank them.
    if value is None:
        return True
    if isinstance(value, Decimal):
        return not value.is_finite()
    return _is_fractional(value) and not math.isfinite(value)  # type: ignore[arg-type]


def _local_naive(value: datetime, tz: tzinfo) -> datetime:
    """Spreadsheets have no time zones: show aware datetimes as wall-clock time in ``tz``."""
    return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value


# --------------------------------------------------------------------------- CSV


def _csv_cell(value: object, tz: tzinfo) -> object:
    if _is_missing(value):
        return ""
    if isinstance(value, datetime):
        return _local_naive(value, tz).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if _is_number(value):
        return value
    return guard_formula(str(value))


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]], *,
           tz: tzinfo = CHINA_TZ) -> bytes:
    """Encode a table as CSV that Excel on Chinese Windows opens correctly: UTF-8 with BOM, CRLF.

    Strings that start like a formula get a leading quote; aware datetimes are written as
    local time in ``tz``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(h, tz) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v, tz) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# --------------------------------------------------------------------------- XLSX


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """Make ``title`` a valid, unique Excel sheet name (≤31 chars, no []:*?/\\ or edge quotes)."""
    base = _SHEET_FORBIDDEN.sub("_", _XLSX_ILLEGAL.sub("", str(title))).strip().strip("'")
    if base.casefold() == "history":  # Reserved by Excel for change tracking.
        base += "_"
    base = base or "Sheet"
    used = {t.casefold() for t in taken}
    name = _fit_title(base, "")
    # Excel compares sheet names case-insensitively.
    for n in itertools.count(2):
        if name.casefold() not in used:
            return name
        name = _fit_title(base, f" ({n})")
    raise AssertionError("unreachable")


def _fit_title(base: str, suffix: str) -> str:
    # A title may not end with an apostrophe, even after truncation.
    return base[: _SHEET_TITLE_LIMIT - len(suffix)].rstrip("'").rstrip() + suffix


def display_width(text: str) -> int:
    """Width of ``text`` in Excel column units: CJK (wide) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _xlsx_value(value: object, tz: tzinfo) -> object:
    if _is_missing(value):
        return None
    if _is_number(value) or isinstance(value, (date, time, timedelta)):
        if isinstance(value, datetime):
            return _local_naive(value, tz)
        return value
    text = guard_formula(_XLSX_ILLEGAL.sub("", str(value)))
    return text[:_EXCEL_CELL_LIMIT]


def _number_format(value: object, is_rate_column: bool) -> str | None:
    if isinstance(value, datetime):
        return _DATETIME_FORMAT
    if isinstance(value, date):
        return _DATE_FORMAT
    if is_rate_column and _is_fractional(value) and 0 <= value <= 1:  # type: ignore[operator]
        return _PERCENT_FORMAT
    return None


def _shown_text(value: object) -> str:
    """Roughly what Excel will display, for sizing the column."""
    if isinstance(value, datetime):
        return _DATETIME_FORMAT  # Same length as the rendered value.
    if isinstance(value, date):
        return _DATE_FORMAT
    if _is_fractional(value):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _text_width(value: object) -> int:
    # A multi-line cell is as wide as its longest line.
    return max((display_width(line) for line in _shown_text(value).splitlines()), default=0)


def _column_widths(headers: Sequence[str], sample: Sequence[Sequence[object]]) -> list[float]:
    """Widths from the header and the first rows (streamed sheets can't look further ahead)."""
    widths = []
    for col, header in enumerate(headers):
        cells = [row[col] for row in sample if col < len(row)]
        # The header gets extra room for its bold face and a filter button.
        longest = max([display_width(str(header)) + 2, *(_text_width(c) for c in cells)])
        # Long free text (诉求内容) would make a column screen-wide, so cap it.
        widths.append(min(longest + 2, _MAX_COLUMN_WIDTH))
    return widths


def _write_sheet(ws: WriteOnlyWorksheet, headers: Sequence[str],
                 rows: Iterable[Sequence[object]], tz: tzinfo) -> None:
    iterator = iter(rows)
    sample = list(itertools.islice(iterator, _WIDTH_SAMPLE_ROWS))
    # Column widths and the frozen pane must be set before the first row is streamed.
    for col, width in enumerate(_column_widths(headers, sample), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    bold, centred = Font(bold=True), Alignment(horizontal="center", vertical="center")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=_xlsx_value(header, tz))
        cell.font, cell.alignment = bold, centred
        header_cells.append(cell)
    ws.append(header_cells)
    rate_columns = [str(h).rstrip().endswith("率") for h in headers]
    for row in itertools.chain(sample, iterator):
        ws.append([_xlsx_cell(ws, value, col, rate_columns, tz) for col, value in enumerate(row)])


def _xlsx_cell(ws: WriteOnlyWorksheet, value: object, col: int, rate_columns: list[bool],
               tz: tzinfo) -> object:
    if _is_missing(value):
        return None
    fmt = _number_format(value, col < len(rate_columns) and rate_columns[col])
    value = _xlsx_value(value, tz)
    if fmt is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = fmt
    return cell


def to_xlsx(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
    *,
    tz: tzinfo = CHINA_TZ,
) -> bytes:
    """Build an XLSX workbook, one sheet per ``(title, headers, rows)``, streaming the rows.

    Header row bold and frozen, dates as real Excel dates, fractions in columns whose header
    ends with 率 shown as percent, strings guarded against formula injection.
    """
    workbook = Workbook(write_only=True)
    titles: list[str] = []
    for title, headers, rows in sheets:
        titles.append(sheet_title(title, titles))
        _write_sheet(workbook.create_sheet(titles[-1]), headers, rows, tz)
    if not titles:
        workbook.create_sheet("Sheet")  # A workbook without sheets is invalid for Excel.
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
