"""`iom demo`: demo routes of a region, written on the store or through their workflows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

import typer
from temporalio.service import RPCError

from aggregates.application import Routes
from aggregates.profiles import Stage
from runtime.gateway import RouteGateway
from runtime.settings import Settings
from workers.cli.output import database_errors, fail, progress
from workers.cli.worker import BAD_SETTINGS, reach, unreachable
from workers.context import build_routes
from workers.demo import write_demo, write_demo_through
from workers.temporal import register_search_attributes, route_worker


@database_errors
def demo(
    region: Annotated[
        str,
        typer.Option(
            help="Регион (id регламента): sakha, balakhta, sovetsky, chelyabinsk, algorithm."
        ),
    ],
    routes: Annotated[int, typer.Option("--routes", min=1, max=10_000, help="Сколько ИОМ.")] = 1,
    until: Annotated[
        Stage, typer.Option(help="Довести каждый ИОМ до этого этапа.")
    ] = Stage.COMPLETED,
    seed: Annotated[
        int, typer.Option(help="Затравка содержания (одна затравка — одно содержание).")
    ] = 0,
    via_workflows: Annotated[
        bool,
        typer.Option(
            "--via-workflows",
            help=(
                "Через процесс каждого ИОМ в Temporal (IOM_TEMPORAL_ADDRESS): шаги людей — "
                "обновлениями, шаг оператора — сигналом; процессы обслуживает собственный "
                "обработчик команды."
            ),
        ),
    ] = False,
) -> None:
    """Записать демонстрационные ИОМ региона, каждый через все этапы до выводов; напечатать их
    идентификаторы.

    С --via-workflows ИОМ открываются и ведутся так, как это делали бы люди и оператор: каждый
    шаг — через процесс ИОМ в IOM_TEMPORAL_ADDRESS и IOM_TASK_QUEUE, которые обслуживает
    обработчик этой же команды, пока она работает.

    Коды выхода: 0 — записаны; 2 — неизвестный регион или неверные настройки уведомлений;
    3 — Temporal недоступен.

    Пример: iom demo --region sakha --routes 3
    """
    settings = Settings()
    application = build_routes(settings)
    if region not in application.profiles.ids():
        known = ", ".join(application.profiles.ids())
        typer.echo(f"ошибка: нет регламента «{region}»; известны: {known}", err=True)
        raise typer.Exit(2)
    first = sum(1 for _ in application.route_ids()) + 1
    with progress(routes, f"Демо «{region}»") as advance:
        if via_workflows:
            written = asyncio.run(
                demo_through_workflows(
                    settings,
                    application,
                    region,
                    routes,
                    until=until,
                    seed=seed,
                    first=first,
                    advance=advance,
                )
            )
        else:
            written = write_demo(
                application, region, routes, seed=seed, until=until, first=first, advance=advance
            )
    for route_id in written:
        typer.echo(str(route_id))


async def demo_through_workflows(
    settings: Settings,
    application: Routes,
    region: str,
    count: int,
    *,
    until: Stage,
    seed: int,
    first: int,
    advance: Callable[[], None],
) -> list[UUID]:
    """Write the demo routes through their workflows while a worker of our own serves the task
    queue; exit 3 when Temporal is unreachable."""
    client = await reach(settings)
    try:
        await register_search_attributes(client, settings.temporal_namespace)
    except RPCError as error:
        raise unreachable(settings, f"атрибуты поиска не зарегистрированы: {error}") from None
    try:
        running = route_worker(client, application, settings)
    except ValueError as error:  # a channel's settings: a webhook without its secret, …
        raise fail(f"настройки уведомлений: {error}", BAD_SETTINGS) from None
    gateway = RouteGateway(client, application, settings.task_queue)
    async with running:
        return await write_demo_through(
            gateway, region, count, seed=seed, until=until, first=first, advance=advance
        )
