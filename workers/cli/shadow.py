"""`iom shadow`: the code about to be deployed over the whole recorded history, before the deploy
(see `workers.shadow`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from temporalio.service import RPCError

from aggregates.application import Routes
from runtime.settings import Settings
from workers.cli.output import database_errors, emit_json, progress
from workers.cli.worker import reach, unreachable
from workers.context import build_routes
from workers.shadow.findings import by_route
from workers.shadow.histories import file_histories, server_histories
from workers.shadow.run import Report
from workers.shadow.run import shadow as run_shadow
from workers.temporal import WORKFLOWS

PARTS = {"edition": "редакция", "route": "ИОМ", "table": "таблица", "workflow": "процесс"}


@database_errors
def shadow(
    histories: Annotated[
        Path | None,
        typer.Option(
            "--histories",
            help=(
                "Воспроизвести истории процессов из файлов *.json этой папки (как их пишет"
                " WorkflowHistory.to_json), а не с сервера Temporal."
            ),
            exists=True,
            file_okay=False,
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Сколько историй загружать с сервера одновременно.")
    ] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо текста.")] = False,
) -> None:
    """Проверить код, который предстоит развернуть, на всей записанной истории, ничего не меняя
    в рабочей системе: события каждого ИОМ — новым агрегатом (цепочка хешей, снимок состояния и
    строка мониторинга совпадают с записанными), каждая проекция — пересобрана во временной базе
    и сверена с рабочими таблицами строка за строкой, история каждого процесса очереди
    IOM_TASK_QUEUE с сервера Temporal (или из --histories) — воспроизведена новым кодом
    процессов. Расхождения названы по ИОМ. Шаг перед каждым развёртыванием (README, «Upgrading»).

    Коды выхода: 0 — расхождений нет; 1 — названы расхождения; 2 — неверный вызов; 3 — база
    данных или Temporal недоступны.

    Пример: iom shadow --json > shadow.json
    """
    settings = Settings()
    live = build_routes(settings, create_tables=False)
    try:
        with ExitStack() as bars:

            def started(total: int) -> Callable[[], None]:
                return bars.enter_context(progress(total, "Проверка ИОМ"))

            report = asyncio.run(_run(settings, live, histories, concurrency, started))
    finally:
        live.close()
    if as_json:
        emit_json(
            {
                "routes": report.counts.routes,
                "events": report.counts.events,
                "rows": report.counts.rows,
                "workflows": report.counts.workflows,
                "findings": [finding.as_json() for finding in report.findings],
                "notes": report.notes,
            }
        )
    else:
        _print(report)
    if report.findings:
        raise typer.Exit(1)


async def _run(
    settings: Settings,
    live: Routes,
    folder: Path | None,
    concurrency: int,
    started: Callable[[int], Callable[[], None]],
) -> Report:
    if folder is not None:
        return await run_shadow(live, file_histories(folder), WORKFLOWS, started)
    client = await reach(settings)
    histories = server_histories(client, settings.task_queue, WORKFLOWS, concurrency)
    try:
        return await run_shadow(live, histories, WORKFLOWS, started)
    except RPCError as error:
        raise unreachable(settings, f"истории процессов не получены: {error}") from None


def _print(report: Report) -> None:
    counts = report.counts
    typer.echo(
        f"Проверено новым кодом: ИОМ {counts.routes} (событий {counts.events}), строк"
        f" пересобранных таблиц {sum(counts.rows.values())}, историй процессов {counts.workflows}"
    )
    for route_id, findings in by_route(report.findings).items():
        typer.echo(f"ИОМ {route_id}:" if route_id else "Не относится к одному ИОМ:")
        for finding in findings:
            typer.echo(f"  {PARTS[finding.part]} {finding.where}: {finding.detail}")
    for note in report.notes:
        typer.echo(f"примечание: {note}")
    if report.findings:
        typer.echo(
            f"РАСХОЖДЕНИЙ: {len(report.findings)} — не развёртывайте, пока каждое не объяснено"
        )
    else:
        typer.echo("Расхождений нет: новый код согласен со всей записанной историей")
