"""A file of ДПП for the region's catalogue, read into programmes: CSV or XLSX (through
`adapters.spreadsheets.read_table`, columns named in Russian) or JSON (the API's own fields).

The whole file is checked before anything is kept: every bad row is named with its line (a
JSON file: its record's number) and its column, in Russian, and a file with any bad row is
refused whole (`ProgrammeFileError`). Competences are given by the regulation's code or name,
each with its levels by number or by the scale's name: `methodical: 1, 2; предметные
компетенции: недостаточный`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from pydantic import ValidationError

from adapters.spreadsheets import Table, TableError, read_table
from aggregates.checks import check_message
from aggregates.errors import InvalidCommandError
from aggregates.profiles import Profile
from aggregates.programmes.catalogue import check_programme
from aggregates.programmes.values import FORMAT_TITLES, Programme
from aggregates.values import ACTIVITY_LEVEL_TITLES, checking

COLUMNS: Final[dict[str, str]] = {
    "registry_number": "Реестровый номер",
    "title": "Название",
    "provider": "Организация",
    "hours": "Часы",
    "format": "Форма обучения",
    "starts_on": "Начало",
    "ends_on": "Окончание",
    "level": "Уровень",
    "addresses": "Компетенции",
}
"""Each programme field and its column in a CSV or XLSX file."""
OPTIONAL: Final = frozenset({"starts_on", "ends_on"})
_FORMATS: Final = {title: code.value for code, title in FORMAT_TITLES.items()}
_LEVELS: Final = {title: code.value for code, title in ACTIVITY_LEVEL_TITLES.items()} | {
    "школьный": "school"
}
_DAY: Final = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one row: its line (a JSON record's number), column and reason."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"строка {self.line}, «{self.column}»: {self.message}"


class ProgrammeFileError(ValueError):
    """A file of programmes refused whole; `problems` names every bad row (in Russian)."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(problem) for problem in problems[:20])
        more = f" и ещё {len(problems) - 20}" if len(problems) > 20 else ""
        super().__init__(f"файл не принят, ничего не записано: {shown}{more}")


def read_programmes(data: bytes, filename: str, profile: Profile) -> list[Programme]:
    """The programmes of a CSV, XLSX or JSON file, each checked against the region's
    regulation, or `ProgrammeFileError` naming every bad row."""
    if filename.lower().endswith(".json") or data.lstrip()[:1] in (b"[", b"{"):
        records, columns = _json_records(data), {name: name for name in COLUMNS}
    else:
        try:
            table = read_table(data, filename)
        except TableError as error:
            raise ProgrammeFileError([RowProblem(1, "файл", str(error))]) from None
        records, columns = _table_records(table, profile), COLUMNS
    return _checked(records, profile, columns)


def _json_records(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        body = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProgrammeFileError([RowProblem(1, "файл", "файл не читается как JSON")]) from None
    items = body.get("programmes") if isinstance(body, dict) else body
    if not isinstance(items, list):
        problem = RowProblem(1, "файл", 'ожидается список программ или {"programmes": [...]}')
        raise ProgrammeFileError([problem])
    return [(number, item) for number, item in enumerate(items, start=1)]


def _table_records(table: Table, profile: Profile) -> list[tuple[int, dict[str, Any]]]:
    missing = [title for field, title in COLUMNS.items() if field not in OPTIONAL]
    missing = [title for title in missing if title not in table.columns]
    if missing:
        names = ", ".join(f"«{title}»" for title in missing)
        raise ProgrammeFileError([RowProblem(1, "заголовок", f"нет столбцов {names}")])
    records = []
    for row in table.rows:
        cells = {field: row.cells.get(title, "") for field, title in COLUMNS.items()}
        record: dict[str, Any] = {k: v for k, v in cells.items() if v or k not in OPTIONAL}
        record["format"] = _FORMATS.get(cells["format"].lower(), cells["format"])
        record["level"] = _LEVELS.get(cells["level"].lower(), cells["level"])
        for field in OPTIONAL & record.keys():
            record[field] = _day(record[field])
        record["addresses"] = _addresses(cells["addresses"], profile)
        records.append((row.line, record))
    return records


def _day(text: str) -> str:
    """A date as a spreadsheet shows it (ДД.ММ.ГГГГ) or ISO."""
    found = _DAY.match(text)
    if found is None:
        return text
    day, month, year = found.groups()
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return text


def _addresses(text: str, profile: Profile) -> Any:
    """`code: 1, 2; name: недостаточный` as the programme's `addresses`; a cell that is not
    of that form is left as text, for the model to refuse."""
    codes = {entry.name.lower(): entry.code for entry in profile.competences}
    levels = {name.lower(): str(number) for number, name in enumerate(profile.levels, start=1)}
    found = []
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        competence, colon, listed = part.partition(":")
        if not colon:
            return text
        named = [levels.get(level.strip().lower(), level.strip()) for level in listed.split(",")]
        competence = competence.strip()
        found.append({"competence": codes.get(competence.lower(), competence), "levels": named})
    return found or text


def _checked(
    records: list[tuple[int, dict[str, Any]]], profile: Profile, columns: dict[str, str]
) -> list[Programme]:
    problems: list[RowProblem] = []
    programmes: list[Programme] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        try:
            with checking():
                programme = Programme.model_validate(record)
            check_programme(programme, profile, "programme")
        except ValidationError as error:
            for found in error.errors():
                # the one check of the whole row is of its dates (`Programme._dated`)
                field = str(found["loc"][0]) if found["loc"] else "starts_on"
                message = check_message(found)
                if found["type"] == "value_error":
                    message = str(found["ctx"]["error"])
                problems.append(RowProblem(line, columns.get(field, field), message))
            continue
        except InvalidCommandError as error:
            problems.append(RowProblem(line, columns["addresses"], error.message))
            continue
        number = programme.registry_number
        if number in first_line:
            message = f"номер {number} уже указан в строке {first_line[number]}"
            problems.append(RowProblem(line, columns["registry_number"], message))
            continue
        first_line[number] = line
        programmes.append(programme)
    if problems:
        raise ProgrammeFileError(problems)
    return programmes
