"""Tables the regions' platforms export, read into rows: CSV (any of the usual encodings and
delimiters) and XLSX (openpyxl, read-only, the values as computed by the platform).

Every importer (a campaign's results, the ДПП catalogue) reads through `read_table`, so a file
is understood the same way whoever sends it: the first non-empty row is the header, each later
non-empty row is a `TableRow` keyed by the header's cells, with the line number a person sees
in a spreadsheet program (the header's own line is counted). A file that cannot be read at all
raises `TableError` with the reason in Russian; rows are checked by the importer, which knows
its columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

_ENCODINGS: Final = ("utf-8-sig", "cp1251")
_DELIMITERS: Final = ";,\t"
XLSX_MAGIC: Final = b"PK\x03\x04"


class TableError(ValueError):
    """A file that is not a readable table; the message is for a person, in Russian."""


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row: its line in the file and its cells by column name (stripped text)."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    """The header's column names, in the file's order, and the data rows."""

    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a CSV or XLSX file's bytes: XLSX by its name or its zip signature, CSV otherwise.

    A CSV's delimiter is the one its header line uses most of `;`, `,` and a tab.
    """
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return _table(_xlsx_lines(data))
    return _table(_csv_lines(data))


def _table(lines: Iterable[tuple[int, list[str]]]) -> Table:
    header: tuple[str, ...] | None = None
    rows: list[TableRow] = []
    for line, values in lines:
        cells = [value.strip() for value in values]
        if not any(cells):
            continue
        if header is None:
            header = _header(line, cells)
            continue
        extra = [value for value in cells[len(header) :] if value]
        if extra:
            raise TableError(
                f"Строка {line}: значений больше, чем столбцов в заголовке ({len(header)})"
            )
        padded = cells + [""] * (len(header) - len(cells))
        rows.append(TableRow(line, dict(zip(header, padded, strict=False))))
    if header is None:
        raise TableError("Файл пуст: нет строки заголовка")
    return Table(header, tuple(rows))


def _header(line: int, cells: list[str]) -> tuple[str, ...]:
    while cells and not cells[-1]:
        cells.pop()
    if "" in cells:
        column = cells.index("") + 1
        raise TableError(f"Строка {line} (заголовок): у столбца {column} нет названия")
    repeated = sorted({cell for cell in cells if cells.count(cell) > 1})
    if repeated:
        raise TableError(
            f"Строка {line} (заголовок): столбец «{repeated[0]}» указан более одного раза"
        )
    return tuple(cells)


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as error:
        raise TableError(f"Строка {reader.line_num}: файл CSV повреждён ({error})") from None


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most (";" for a Russian Excel, "," elsewhere)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(_DELIMITERS, key=header.count)


def _decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("Файл не читается как текст в кодировке UTF-8 или Windows-1251")


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError):
        raise TableError("Файл не читается как книга Excel (XLSX)") from None
    try:
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as the person typed it: whole numbers without ".0", dates as ISO days."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
