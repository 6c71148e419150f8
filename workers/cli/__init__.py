"""The `iom` command line."""

from __future__ import annotations

from typing import Annotated

import typer

from aggregates.profiles import Stage
from workers.cli.audit import audit
from workers.cli.docs import docs
from workers.cli.ops import ops
from workers.cli.output import emit_json, emit_table
from workers.cli.pd import pd
from workers.cli.projections import monitor, projections, projector
from workers.cli.worker import worker
from workers.context import build_routes
from workers.demo import write_demo
from workers.logs import configure_logging
from workers.settings import Settings

app = typer.Typer(
    name="iom",
    help="ИОМ engine: teachers' individual educational routes, event-sourced.",
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


@app.callback()
def _configure() -> None:
    configure_logging(Settings().log_format)


@app.command()
def demo(
    region: Annotated[str, typer.Option(help="sakha, balakhta, sovetsky, chelyabinsk, algorithm")],
    routes: Annotated[int, typer.Option("--routes", min=1, max=10_000, help="How many.")] = 1,
    until: Annotated[
        Stage, typer.Option(help="Drive each route up to this stage.")
    ] = Stage.COMPLETED,
    seed: Annotated[int, typer.Option(help="Content seed.")] = 0,
) -> None:
    """Write demo routes of a region, each through every stage to its conclusion; print their ids.

    Example: iom demo --region sakha --routes 3
    """
    application = build_routes(Settings())
    if region not in application.profiles.ids():
        known = ", ".join(application.profiles.ids())
        typer.echo(f"ошибка: нет регламента «{region}»; известны: {known}", err=True)
        raise typer.Exit(2)
    first = sum(1 for _ in application.route_ids()) + 1
    for route_id in write_demo(application, region, routes, seed=seed, until=until, first=first):
        typer.echo(str(route_id))


@app.command()
def profiles(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The regulation profiles this deployment knows.

    Example: iom profiles
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
    """The `iom` entry point."""
    app()
