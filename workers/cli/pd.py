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
    OfficialCard,
    OfficialRecord,
    PersonalDataErasedError,
    PersonalDataUnreadableError,
    PersonalRecord,
    TeacherSheet,
)
from aggregates.values import Actor, Role
from runtime.settings import Settings
from workers.cli.output import database_errors, emit_json, emit_table, fail
from workers.context import build_personal_data, build_routes

pd = typer.Typer(
    add_completion=False,
    help=(
        "Персональные данные (152-ФЗ), хранимые отдельно от событий.\n\nПример: iom pd show "
        "teacher-0001"
    ),
    no_args_is_help=True,
)

TeacherArg = Annotated[str, typer.Argument(help="Id педагога.")]


@pd.command()
@database_errors
def put(
    teacher_id: TeacherArg,
    sheet_file: Annotated[Path, typer.Argument(help="Файл JSON со сведениями о педагоге.")],
) -> None:
    """Записать сведения о педагоге (зашифрованные собственным ключом педагога).

    Коды выхода: 0 — записаны; 1 — данные педагога уничтожены (152-ФЗ): под этим id больше
    никогда; 2 — файла нет или это не сведения о педагоге; 3 — база данных недоступна.

    Пример: iom pd put teacher-0001 sheet.json
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
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
) -> None:
    """Показать сведения о педагоге или отметку об их уничтожении.

    Коды выхода: 0 — показано (сведения или факт их уничтожения); 1 — сведений об этом педагоге
    нет или их не расшифровать (проверьте IOM_PD_MASTER_KEY); 3 — база данных недоступна.

    Пример: iom pd show teacher-0001 --json
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    try:
        record = build_personal_data(routes, settings).get(teacher_id)
    except PersonalDataUnreadableError as error:
        raise fail(f"{error.message}; проверьте IOM_PD_MASTER_KEY", 1) from None
    emit_record(f"Педагог {teacher_id}", record, record.sheet, as_json=as_json)


def emit_record(
    title: str,
    record: PersonalRecord | OfficialRecord,
    card: TeacherSheet | OfficialCard | None,
    *,
    as_json: bool,
) -> None:
    """Print what the store holds for a person (a teacher's sheet, an official's card): each
    field by its Russian description, or the fact of its erasure; exit 1 when there is none."""
    if as_json:
        emit_json(record.model_dump(mode="json"))
    elif card is not None:
        values = card.model_dump(mode="json")
        fields = type(card).model_fields
        rows = [(fields[name].description or name, values[name]) for name in fields]
        emit_table(title, ["поле", "значение"], rows)
    else:
        when = record.erased_at
        said = f"уничтожены {when:%d.%m.%Y %H:%M} UTC (152-ФЗ)" if when else "не внесены"
        emit_table(title, ["поле", "значение"], [("сведения", said)])
    if record.status == "absent":
        raise typer.Exit(1)


@pd.command()
@database_errors
def erase(
    teacher_id: TeacherArg,
    reason: Annotated[str, typer.Option(help="Основание (например, номер и дата заявления).")],
    actor: Annotated[str, typer.Option(help="Кто уничтожает (id оператора).")] = "operator",
) -> None:
    """Уничтожить ключ педагога (152-ФЗ): сведения становятся нечитаемыми навсегда; ИОМ остаются
    целыми и обезличенными. Само уничтожение записывается, без персональных данных.

    Коды выхода: 0 — уничтожено (или уже было); 2 — неверный вызов (нет --reason); 3 — база
    данных недоступна.

    Пример: iom pd erase teacher-0001 --reason "заявление № 17 от 20.11.2026"
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
    """Обернуть главным ключом все ключи педагогов, хранимые открыто (прежней версией движка,
    без главного ключа), в одной транзакции; сведения остаются читаемыми. Каждая часть, которая
    открывает персональные данные, делает это и при запуске; команда говорит, сколько обернула.

    Коды выхода: 0 — сделано (или нечего делать); 2 — нет главного ключа (IOM_PD_MASTER_KEY в
    эксплуатации); 3 — база данных недоступна.

    Пример: iom pd protect
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    wrapped = build_personal_data(routes, settings, protect=False).protect()
    typer.echo(f"ключей педагогов зашифровано мастер-ключом: {wrapped}")
