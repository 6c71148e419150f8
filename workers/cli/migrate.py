"""`iom ops migrate`: one route moved to a new edition of its regulation by a mapping file
(`runtime.migration`). With `--dry-run` the mapping is checked against the route and nothing is
sent (no Temporal needed); otherwise the `migrate` signal is sent and waited on, as every
operator's signal of `iom ops`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from aggregates.application import Routes
from aggregates.errors import RouteNotFoundError
from aggregates.migration import EditionMapping
from aggregates.profile_sources import SAFE_LOADER
from aggregates.values import Actor, Role
from runtime.gateway import RouteGateway
from runtime.migration import SIGNAL, MigrationPreview, MigrationResult, Migrations
from runtime.settings import Settings
from workers.cli.ops import (
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_REFUSED,
    Ask,
    CommandIdOpt,
    JsonOpt,
    OperatorOpt,
    ReasonOpt,
    TicketOpt,
    WaitOpt,
    checked,
    report,
)
from workers.cli.output import emit_json, fail
from workers.cli.route_ref import RouteArg
from workers.cli.worker import reach
from workers.context import build_routes

ToOpt = Annotated[
    str, typer.Option("--to", help="Новая редакция регламента: id@версия, например sakha@2.")
]
MappingOpt = Annotated[
    Path,
    typer.Option(
        "--mapping",
        help="Файл соответствия редакций (YAML или JSON): что из этапов, компетенций,"
        " направлений и участников согласования старой редакции чем становится в новой (см."
        " README); не названное сохраняет свой код.",
    ),
]
OrderOpt = Annotated[str, typer.Option("--order", help="Приказ, утвердивший новую редакцию.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Только проверить соответствие: ничего не записать.")
]


def migrate(
    route_id: RouteArg,
    *,
    to: ToOpt,
    mapping_file: MappingOpt,
    order: OrderOpt,
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    dry_run: DryRunOpt = False,
    command_id: CommandIdOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    mapping = read_mapping(mapping_file)
    fields = {"edition": to, "mapping": mapping.model_dump(mode="json"), "order": order}
    fields |= {"reason": reason, "ticket": ticket}
    ask = Ask(route_id, SIGNAL, fields, operator, command_id, wait, as_json)
    checked(ask)
    settings = Settings()
    routes = build_routes(settings)
    try:
        try:
            routes.route(route_id)
        except RouteNotFoundError as error:
            raise fail(error.message, EXIT_BAD_INPUT) from None
        if dry_run:
            preview = Migrations(routes).preview_migration(route_id, to, mapping)
        else:
            result = asyncio.run(move(settings, routes, ask, mapping))
    finally:
        routes.close()
    if dry_run:
        show_preview(preview, as_json=as_json)
    else:
        typer.echo(f"идентификатор команды: {result.command_id}", err=True)
        report(ask, result.command_id, result.answer)


migrate.__doc__ = f"""Перевести ИОМ на новую редакцию регламента региона (сигнал `migrate`).

    Соответствие проверяется по ИОМ до записи: всё, что ИОМ использует (этап, компетенции,
    направления, участники согласования), должно перейти в то, что есть в новой редакции;
    сроки пересчитываются по её правилам. ИОМ, который перевести нельзя, остаётся как был, а
    причина названа (правило и элемент). В истории ИОМ — событие с прежней и новой редакцией и
    приказом. --dry-run: только проверка, с новыми сроками; коды выхода: 0 — можно перевести,
    1 — нельзя.{EXIT_CODES}
    Пример: iom ops migrate 3f2a… --to sakha@2 --mapping sakha-2.yaml \\
      --order "Приказ № 01-03/0000" --operator op-1 --reason "Новая редакция" --ticket OPS-19
    """


def read_mapping(path: Path) -> EditionMapping:
    """The mapping file, or exit 2 naming what is wrong."""
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - the safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise fail(f"--mapping: файл не прочитан: {error}", EXIT_BAD_INPUT) from None
    try:
        return EditionMapping.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "mapping"
        raise fail(f"--mapping: «{where}»: {first['msg']}", EXIT_BAD_INPUT) from None


async def move(
    settings: Settings, routes: Routes, ask: Ask, mapping: EditionMapping
) -> MigrationResult:
    """Send the move and wait for its outcome."""
    gateway = RouteGateway(await reach(settings), routes, settings.task_queue)
    fields: dict[str, Any] = ask.fields
    return await Migrations(routes, gateway).migrate_route(
        ask.route_id,
        fields["edition"],
        mapping,
        Actor(id=ask.operator, role=Role.OPERATOR),
        fields["reason"],
        order=fields["order"],
        ticket=fields["ticket"],
        command_id=ask.command_id,
        wait=ask.wait,
    )


def show_preview(preview: MigrationPreview, *, as_json: bool) -> None:
    """The preview (lines, or a JSON object); exit 1 when the route cannot move."""
    if as_json:
        emit_json(preview.as_json())
    elif preview.movable:
        typer.echo(
            f"можно перевести: ИОМ {preview.route_id} с редакции {preview.edition_before} на"
            f" {preview.edition_after}, этап «{preview.stage_name}»"
        )
        for deadline in preview.deadlines:
            typer.echo(f"  срок {deadline.key}: {deadline.due_on:%d.%m.%Y}")
    else:
        typer.echo(f"нельзя перевести: ИОМ {preview.route_id} остаётся на {preview.edition_before}")
        for problem in preview.problems:
            typer.echo(f"  {problem.message} (правило {problem.rule}, поле {problem.field})")
    if not preview.movable:
        raise typer.Exit(EXIT_REFUSED)
