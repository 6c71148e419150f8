"""`iom pd`: the personal-data store (152-ФЗ): write, show, erase a teacher's sheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from aggregates.personal import PersonalDataErasedError, TeacherSheet
from aggregates.values import Actor, Role
from workers.cli.output import emit_json, fail
from workers.context import build_personal_data, build_routes
from workers.settings import Settings

pd = typer.Typer(help="Personal data (152-ФЗ), kept apart from events.", no_args_is_help=True)

TeacherArg = Annotated[str, typer.Argument(help="The teacher's id.")]


@pd.command()
def put(
    teacher_id: TeacherArg,
    sheet_file: Annotated[Path, typer.Argument(help="A JSON file with the information sheet.")],
) -> None:
    """Write a teacher's information sheet (encrypted with the teacher's own key).

    Example: iom pd put teacher-0001 sheet.json
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    store = build_personal_data(routes, settings)
    try:
        store.put(
            teacher_id, TeacherSheet.model_validate(json.loads(sheet_file.read_text("utf-8")))
        )
    except ValidationError as error:
        raise fail(f"сведения не приняты: {error}") from None
    except PersonalDataErasedError as error:
        raise fail(error.message, 1) from None
    typer.echo(f"сведения педагога {teacher_id} сохранены")


@pd.command()
def show(teacher_id: TeacherArg) -> None:
    """Show a teacher's information sheet, or that it was erased.

    Example: iom pd show teacher-0001
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    record = build_personal_data(routes, settings).get(teacher_id)
    emit_json(record.model_dump(mode="json"))
    if record.status == "absent":
        raise typer.Exit(1)


@pd.command()
def erase(
    teacher_id: TeacherArg,
    reason: Annotated[str, typer.Option(help="Why (e.g. the request's number and date).")],
    actor: Annotated[str, typer.Option(help="Who erases (operator id).")] = "operator",
) -> None:
    """Destroy the teacher's key (152-ФЗ): the sheet becomes unreadable for good; routes stay
    intact and anonymous. The erasure itself is recorded, without personal data.

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
