"""`iom pd`: the personal-data store (152-ФЗ): write, show, erase a teacher's sheet.

Exit codes of every `iom pd` command: 0 success; 1 a finding (no sheet, the teacher's data
erased, a sheet that cannot be decrypted); 2 bad usage (a sheet file that is not a valid sheet);
3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from aggregates.personal import (
    PersonalDataErasedError,
    PersonalDataUnreadableError,
    PersonalRecord,
    TeacherSheet,
)
from aggregates.values import Actor, Role
from workers.cli.output import database_errors, emit_json, emit_table, fail
from workers.context import build_personal_data, build_routes
from workers.settings import Settings

pd = typer.Typer(
    help="Personal data (152-ФЗ), kept apart from events.\n\nExample: iom pd show teacher-0001",
    no_args_is_help=True,
)

TeacherArg = Annotated[str, typer.Argument(help="The teacher's id.")]


@pd.command()
@database_errors
def put(
    teacher_id: TeacherArg,
    sheet_file: Annotated[Path, typer.Argument(help="A JSON file with the information sheet.")],
) -> None:
    """Write a teacher's information sheet (encrypted with the teacher's own key).

    Exit codes: 0 written; 1 the teacher's data were erased (152-ФЗ): never again under this
    id; 2 the file is missing or not a valid sheet; 3 the database unreachable.

    Example: iom pd put teacher-0001 sheet.json
    """
    try:
        sheet = TeacherSheet.model_validate(json.loads(sheet_file.read_text("utf-8")))
    except OSError as error:
        raise fail(f"файл сведений не читается: {error}") from None
    except ValueError as error:  # pydantic's ValidationError, or not JSON at all
        raise fail(f"сведения не приняты ({sheet_file}): {error}") from None
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    store = build_personal_data(routes, settings)
    try:
        store.put(teacher_id, sheet)
    except PersonalDataErasedError as error:
        raise fail(error.message, 1) from None
    typer.echo(f"сведения педагога {teacher_id} сохранены")


@pd.command()
@database_errors
def show(
    teacher_id: TeacherArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show a teacher's information sheet, or that it was erased.

    Exit codes: 0 shown (the sheet, or the fact of its erasure); 1 no sheet for this teacher,
    or it cannot be decrypted (check IOM_PD_MASTER_KEY); 3 the database unreachable.

    Example: iom pd show teacher-0001 --json
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    try:
        record = build_personal_data(routes, settings).get(teacher_id)
    except PersonalDataUnreadableError as error:
        raise fail(f"{error.message}; проверьте IOM_PD_MASTER_KEY", 1) from None
    if as_json:
        emit_json(record.model_dump(mode="json"))
    else:
        emit_table(f"Педагог {teacher_id}", ["поле", "значение"], _rows(record))
    if record.status == "absent":
        raise typer.Exit(1)


def _rows(record: PersonalRecord) -> list[tuple[str, object]]:
    if record.sheet is not None:
        fields = TeacherSheet.model_fields
        values = record.sheet.model_dump(mode="json")
        return [(fields[name].description or name, values[name]) for name in fields]
    if record.erased_at is not None:
        return [("сведения", f"уничтожены {record.erased_at:%d.%m.%Y %H:%M} UTC (152-ФЗ)")]
    return [("сведения", "не внесены")]


@pd.command()
@database_errors
def erase(
    teacher_id: TeacherArg,
    reason: Annotated[str, typer.Option(help="Why (e.g. the request's number and date).")],
    actor: Annotated[str, typer.Option(help="Who erases (operator id).")] = "operator",
) -> None:
    """Destroy the teacher's key (152-ФЗ): the sheet becomes unreadable for good; routes stay
    intact and anonymous. The erasure itself is recorded, without personal data.

    Exit codes: 0 erased (or erased already); 2 bad usage (no --reason); 3 the database
    unreachable.

    Example: iom pd erase teacher-0001 --reason "заявление № 17 от 20.11.2026"
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    store = build_personal_data(routes, settings)
    try:
        erasure = store.erase(teacher_id, Actor(id=actor, role=Role.OPERATOR), reason)
    except ValidationError as error:
        raise fail(f"удаление не выполнено: {error}") from None
    when = f"{erasure.erased_at:%d.%m.%Y %H:%M} UTC"
    typer.echo(f"персональные данные педагога {teacher_id} уничтожены {when}")


@pd.command()
@database_errors
def protect() -> None:
    """Wrap every teacher key stored raw (by an older engine, without a master key) under the
    master key, in one transaction; the sheets stay readable. Every part that opens the
    personal data does this at start too; the command says how many it wrapped.

    Exit codes: 0 done (or nothing to do); 2 no master key (IOM_PD_MASTER_KEY in production);
    3 the database unreachable.

    Example: iom pd protect
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    wrapped = build_personal_data(routes, settings, protect=False).protect()
    typer.echo(f"ключей педагогов зашифровано мастер-ключом: {wrapped}")
