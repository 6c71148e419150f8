"""`iom profiles`: the regulation profiles this deployment knows."""

from __future__ import annotations

from typing import Annotated

import typer

from workers.cli.output import database_errors, emit_json, emit_table
from workers.context import build_routes
from workers.settings import Settings


@database_errors
def profiles(
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
) -> None:
    """Регламенты, известные этой установке (из пакета и из IOM_PROFILES_DIR).

    Коды выхода: 0 — выведены; 2 — файл регламента неверен (показаны его имя и поле).

    Пример: iom profiles --json
    """
    catalogue = build_routes(Settings()).profiles
    rows = [catalogue.latest(profile_id) for profile_id in catalogue.ids()]
    if as_json:
        emit_json([p.model_dump(mode="json") for p in rows])
        return
    emit_table(
        "Регламенты",
        ["id", "версия", "регион", "регламент", "часовой пояс"],
        [(p.id, p.version, p.region, p.regulation, p.time_zone) for p in rows],
    )
