"""The `iom` command line."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError
from temporalio.service import RPCError

from aggregates.application import Routes
from aggregates.profiles import InvalidProfileError, Stage
from workers.cli.api import api, token
from workers.cli.audit import audit
from workers.cli.docs import docs
from workers.cli.health import health
from workers.cli.ops import ops
from workers.cli.output import database_errors, emit_json, emit_table, fail, progress
from workers.cli.pd import pd
from workers.cli.projections import monitor, projections, projector
from workers.cli.up import up
from workers.cli.worker import BAD_SETTINGS, reach, unreachable, worker
from workers.context import build_routes
from workers.demo import write_demo, write_demo_through
from workers.gateway import RouteGateway
from workers.logs import configure_logging
from workers.settings import Settings
from workers.temporal import register_search_attributes, route_worker

app = typer.Typer(
    name="iom",
    help="ИОМ engine: teachers' individual educational routes, event-sourced. Exit codes: 0"
    " success, 1 a finding (not found, a broken chain), 2 bad usage or settings, 3 a service"
    " unreachable; each command's --help says more.\n\nExample: iom up --demo",
    no_args_is_help=True,
)
app.add_typer(audit, name="audit")
app.add_typer(pd, name="pd")
app.add_typer(docs, name="docs")
app.add_typer(projections, name="projections")
app.add_typer(monitor, name="monitor")
app.add_typer(ops, name="ops")
app.command()(projector)
app.command()(worker)
app.command()(api)
app.command()(health)
app.command()(up)
app.command()(token)


@app.callback()
def _configure() -> None:
    try:
        settings = Settings()
    except ValidationError as error:  # a bad IOM_… variable or .env line: say which
        wrong = "; ".join(
            f"IOM_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise fail(f"настройки: {wrong} (см. README, «Settings»)", BAD_SETTINGS) from None
    configure_logging(settings.log_format)


@app.command()
@database_errors
def demo(
    region: Annotated[str, typer.Option(help="sakha, balakhta, sovetsky, chelyabinsk, algorithm")],
    routes: Annotated[int, typer.Option("--routes", min=1, max=10_000, help="How many.")] = 1,
    until: Annotated[
        Stage, typer.Option(help="Drive each route up to this stage.")
    ] = Stage.COMPLETED,
    seed: Annotated[int, typer.Option(help="Content seed.")] = 0,
    via_workflows: Annotated[
        bool,
        typer.Option(
            "--via-workflows",
            help="Through each route's workflow on Temporal (IOM_TEMPORAL_ADDRESS): people's"
            " steps as updates, an operator's as a signal, served by a worker of its own.",
        ),
    ] = False,
) -> None:
    """Write demo routes of a region, each through every stage to its conclusion; print their ids.

    With --via-workflows the routes are opened and driven as people and an operator would:
    every step through the route's workflow on IOM_TEMPORAL_ADDRESS and IOM_TASK_QUEUE, which
    a worker of this command serves while it runs. Exit codes: 0 written; 2 an unknown region
    or bad notice settings; 3 Temporal unreachable.

    Example: iom demo --region sakha --routes 3
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


@app.command()
@database_errors
def profiles(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The regulation profiles this deployment knows (the package's and IOM_PROFILES_DIR's).

    Exit codes: 0 listed; 2 a profile file is broken (its name and field are shown).

    Example: iom profiles --json
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


def main() -> None:
    """The `iom` entry point: a broken regulation profile, which every command loads, is an
    error to fix (exit 2), not a traceback. On the way out, what the command left is collected
    while the interpreter is whole: a Temporal client released later, by the SDK's native
    threads during the interpreter's finalisation, aborts the process (exit 134)."""
    try:
        app(prog_name="iom")
    except InvalidProfileError as error:
        typer.echo(f"ошибка: регламент не загружен: {error}", err=True)
        typer.echo("Исправьте файл (см. README, «Adding a region») и повторите.", err=True)
        raise SystemExit(2) from None
    finally:
        gc.collect()
