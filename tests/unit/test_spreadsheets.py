"""`adapters.spreadsheets`: the platforms' CSV and XLSX exports read into numbered rows."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook

from adapters.spreadsheets import Table, TableError, read_table


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cells(table: Table) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, row.cells) for row in table.rows]


def test_a_semicolon_csv_in_windows_1251_is_read_with_its_lines() -> None:
    data = "СНИЛС;Задание 1\n\n123-456-789 01; 3 \n".encode("cp1251")
    table = read_table(data, "results.csv")
    assert table.columns == ("СНИЛС", "Задание 1")
    assert _cells(table) == [(3, {"СНИЛС": "123-456-789 01", "Задание 1": "3"})]


def test_a_comma_csv_with_a_bom_and_a_short_row_is_padded() -> None:
    data = "\ufeffteacher,level,comment\nt-1,2\n".encode()
    assert _cells(read_table(data)) == [(2, {"teacher": "t-1", "level": "2", "comment": ""})]


def test_an_xlsx_is_read_by_its_signature_with_numbers_and_days_as_typed() -> None:
    data = _xlsx([["teacher", "level", "day"], ["t-1", 3.0, datetime(2026, 3, 15)], [None, None]])
    table = read_table(data, "export")
    assert _cells(table) == [(2, {"teacher": "t-1", "level": "3", "day": "2026-03-15"})]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "Файл пуст"),
        (b"a;;b\n1;2;3\n", "a.csv", "Строка 1 (заголовок): у столбца 2 нет названия"),
        (b"a;a\n1;2\n", "a.csv", "столбец «a» указан более одного раза"),
        (b"a;b\n1;2;3\n", "a.csv", "Строка 2: значений больше, чем столбцов в заголовке (2)"),
        (b"PK\x03\x04 not a zip", "a.xlsx", "не читается как книга Excel"),
        (b"\xff\xfe\x00\xd8\x98", "a.csv", "UTF-8 или Windows-1251"),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_in_russian(
    data: bytes, name: str, message: str
) -> None:
    with pytest.raises(TableError, match=re.escape(message)):
        read_table(data, name)
