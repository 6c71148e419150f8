"""`iom profiles`: the regulation profiles this deployment knows."""

from __future__ import annotations

from typing import Annotated

import typer

from runtime.settings import Settings
from workers.cli.output import database_errors, emit_json, emit_records
from workers.context import build_routes


@database_errors
def profiles(
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Вывести CSV вместо таблицы.")] = False,
) -> None:
    """Регламенты, известные этой установке (из пакета и из IOM_PROFILES_DIR).

    Коды выхода: 0 — выведены; 2 — файл регламента неверен (показаны его имя и поле).

    Пример: iom profiles --json
    """
    catalogue = build_routes(Settings()).profiles
    rows = [catalogue.latest(profile_id) for profile_id in catalogue.ids()]
    if as_json and not as_csv:  # the whole profile: its stages, competences, rules
        emit_json([p.model_dump(mode="json") for p in rows])
        return
    shown = [
        *(("id", "id"), ("version", "версия"), ("region", "регион")),
        *(("regulation", "регламент"), ("time_zone", "часовой пояс")),
    ]
    emit_records(
        "Регламенты",
        [{column: getattr(p, column) for column, _ in shown} for p in rows],
        shown,
        lambda column, row: row[column],
        as_json=as_json,
        as_csv=as_csv,
    )
