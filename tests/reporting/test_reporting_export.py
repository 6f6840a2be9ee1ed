"""Tests for CSV and XLSX export."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hotline.reporting.export import (
    display_width,
    guard_formula,
    sheet_title,
    to_csv,
    to_xlsx,
)

HEADERS = ["编号", "诉求内容", "受理时间", "按时办结率"]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


# --------------------------------------------------------------------------- formula guard


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil","点我")'])
def test_guard_formula_prefixes_dangerous_text(text: str) -> None:
    assert guard_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["", "路灯不亮", "a=b", " =1", "'quoted"])
def test_guard_formula_leaves_plain_text(text: str) -> None:
    assert guard_formula(text) == text


# --------------------------------------------------------------------------- CSV


def test_csv_has_bom_and_crlf_and_round_trips_chinese() -> None:
    data = to_csv(HEADERS, [[1, "人民南路，路灯\n不亮", "2026-11-24", 0.9]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") >= 2 and data.endswith(b"\r\n")
    assert read_csv(data) == [HEADERS, ["1", "人民南路，路灯\n不亮", "2026-11-24", "0.9"]]


def test_csv_guards_formula_cells_but_not_numbers() -> None:
    data = to_csv(["=标题"], [["=cmd|'/C calc'!A0"], ["-5"], [-5], ["@x"], ["+1"]])
    assert read_csv(data) == [["'=标题"], ["'=cmd|'/C calc'!A0"], ["'-5"], ["-5"], ["'@x"],
                              ["'+1"]]


def test_csv_formats_dates_none_and_nan() -> None:
    aware = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    naive = datetime(2026, 11, 24, 9, 0, 5)
    data = to_csv(["a", "b", "c", "d", "e"], [[aware, naive, date(2026, 1, 2), None, math.nan]])
    assert read_csv(data)[1] == ["2026-11-24 09:30:00", "2026-11-24 09:00:05", "2026-01-02", "",
                                 ""]


def test_csv_accepts_a_generator_and_decimals() -> None:
    rows = ((i, Decimal("1.50")) for i in range(3))
    assert read_csv(to_csv(["i", "d"], rows))[1:] == [["0", "1.50"], ["1", "1.50"],
                                                     ["2", "1.50"]]


def test_csv_with_no_rows_is_just_the_header() -> None:
    assert to_csv(["编号"], []) == "\ufeff编号\r\n".encode()


# --------------------------------------------------------------------------- XLSX


def sample_sheet() -> tuple[str, list[str], list[list[object]]]:
    rows = [
        [1, "人民南路三段路灯不亮", datetime(2026, 11, 24, 9, 30), 0.875],
        [2, "=HYPERLINK(\"http://evil\")", date(2026, 11, 23), 1.0],
        [3, "坏\x00字符", None, None],
    ]
    return "工单", HEADERS, rows


def test_xlsx_round_trips_values_and_real_dates() -> None:
    ws = read_xlsx(to_xlsx([sample_sheet()]))["工单"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == HEADERS
    assert rows[1] == [1, "人民南路三段路灯不亮", datetime(2026, 11, 24, 9, 30), 0.875]
    assert ws["C2"].is_date and ws["C3"].is_date
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["C3"].number_format == "yyyy-mm-dd"
    assert rows[3] == [3, "坏字符", None, None]


def test_xlsx_header_bold_and_frozen() -> None:
    ws = read_xlsx(to_xlsx([sample_sheet()]))["工单"]
    assert all(cell.font.bold for cell in ws[1])
    assert not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"


def test_xlsx_rate_columns_are_percent() -> None:
    rows = [["锦江", 0.9, 0.5, 1.5], ["青羊", 1, 2, 0.0]]
    sheet = ("s", ["区", "满意率", "数量", "超期率"], rows)
    ws = read_xlsx(to_xlsx([sheet]))["s"]
    assert ws["B2"].number_format == "0.0%"
    assert ws["D3"].number_format == "0.0%"
    assert ws["C2"].number_format == "General"  # not a rate column
    assert ws["D2"].number_format == "General"  # 1.5 is not a 0–1 rate
    assert ws["B3"].number_format == "General"  # int 1 is a count, not a rate


def test_xlsx_guards_formula_injection() -> None:
    ws = read_xlsx(to_xlsx([sample_sheet()]))["工单"]
    assert ws["B3"].value == "'=HYPERLINK(\"http://evil\")"
    assert ws["B3"].data_type == "s"
    assert not any(cell.data_type == "f" for row in ws.iter_rows() for cell in row)


def test_xlsx_sheet_titles_are_sanitised_and_unique() -> None:
    long_title = "各区县按时办结率与满意率统计分析报表（二〇二六年十一月）第一部分"
    sheets = [(long_title, ["a"], []), ("a/b:c*d?[e]\\f", ["a"], []), ("Sheet", ["a"], []),
              ("sheet", ["a"], []), ("", ["a"], [])]
    names = read_xlsx(to_xlsx(sheets)).sheetnames
    assert names[0] == long_title[:31] and len(names[0]) == 31
    assert names[1] == "a_b_c_d__e__f"
    assert names[2:] == ["Sheet", "sheet (2)", "Sheet (3)"]


def test_sheet_title_edge_cases() -> None:
    assert sheet_title("'引号'") == "引号"
    assert sheet_title("History") == "History_"
    assert sheet_title("x" * 40, ["x" * 31]) == "x" * 27 + " (2)"
    assert len(sheet_title("长" * 50)) == 31


def test_xlsx_column_widths_count_cjk_double() -> None:
    sheet = ("s", ["中文列", "abc"], [["人民南路三段路灯不亮", "abcdefghij"]])
    ws = read_xlsx(to_xlsx([sheet]))["s"]
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width
    assert ws.column_dimensions["A"].width >= 20


def test_xlsx_column_width_is_capped() -> None:
    ws = read_xlsx(to_xlsx([("s", ["内容"], [["很长" * 200]])]))["s"]
    assert ws.column_dimensions["A"].width <= 60


def test_xlsx_converts_aware_datetimes_to_china_time_and_blanks_nan() -> None:
    sheet = ("s", ["时间", "值"], [[datetime(2026, 11, 24, 1, 0, tzinfo=UTC), math.inf]])
    ws = read_xlsx(to_xlsx([sheet]))["s"]
    assert ws["A2"].value == datetime(2026, 11, 24, 9, 0)
    assert ws["B2"].value is None


def test_xlsx_streams_a_generator_of_many_rows() -> None:
    rows = ([i, f"诉求{i}", date(2026, 1, 1) + timedelta(days=i % 300), (i % 100) / 100]
            for i in range(3_000))
    data = to_xlsx([("大表", HEADERS, rows)])
    ws = read_xlsx(data)["大表"]
    assert ws.max_row == 3_001
    assert ws["D3001"].number_format == "0.0%"


def test_xlsx_numpy_and_decimal_values() -> None:
    import numpy as np

    rows = [[np.float32(0.5), Decimal("NaN"), np.int64(-3)],
            [Decimal("0.25"), np.float64("nan"), "多行\n文本"]]
    ws = read_xlsx(to_xlsx([("s", ["满意率", "b", "c"], rows)]))["s"]
    assert [c.value for c in ws[2]] == [0.5, None, -3]
    assert ws["A2"].number_format == ws["A3"].number_format == "0.0%"
    assert ws["B3"].value is None and ws["C3"].value == "多行\n文本"


def test_xlsx_with_no_sheets_is_still_a_valid_workbook() -> None:
    assert read_xlsx(to_xlsx([])).sheetnames == ["Sheet"]


def test_display_width() -> None:
    assert display_width("abc") == 3
    assert display_width("路灯") == 4
    assert display_width("ＡＢ") == 4
