"""A route named on the command line: by its id, or by its key (`demo-sakha-00004`), which is
resolved within the settings' store (the key's region is found by trying each region); and the
point of its history asked for (a version, a moment, a business date)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import typer

from workers.cli.output import database_guard, fail

VersionOpt = Annotated[int | None, typer.Option(help="Показать эту версию.", min=1)]
AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", help="Показать на этот момент (ISO, с часовым поясом)."),
]
AsOfDateOpt = Annotated[
    datetime | None,
    typer.Option(
        "--as-of-date",
        formats=["%Y-%m-%d"],
        help=(
            "Показать таким, каким ИОМ был в этот день (ГГГГ-ММ-ДД), с фактами этого дня,"
            " внесёнными позже; с --as-of — каким его знали в тот момент."
        ),
    ),
]


def check_point(version: int | None, as_of: datetime | None, as_of_date: datetime | None) -> None:
    """Refuse (exit 2) a version asked with a moment or a date, and a moment without its zone."""
    if version is not None and (as_of is not None or as_of_date is not None):
        raise fail("укажите --version или --as-of / --as-of-date, не оба")
    if as_of is not None and as_of.tzinfo is None:
        raise fail("--as-of: укажите часовой пояс, например 2026-03-01T12:00:00+09:00")


def resolve_route(text: str) -> UUID:
    """The id of the route `text` names: a route id as it is, or a route's key looked up in
    each region of the store; a key no region has, or several have, is a usage error saying
    so (with the regions' route ids, to choose from)."""
    try:
        return UUID(text)
    except ValueError:
        pass
    from runtime.settings import Settings  # noqa: PLC0415
    from workers.context import build_routes  # noqa: PLC0415 - the store, only for a key

    with database_guard():
        routes = build_routes(Settings())
        try:
            found = {
                region: route.id
                for region in routes.profiles.ids()
                if (route := routes.keyed_route(region, text)) is not None
            }
        finally:
            routes.close()
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise typer.BadParameter(
            f"«{text}» — ни идентификатор ИОМ (UUID), ни ключ ИОМ какого-либо региона"
        )
    choices = "; ".join(f"{region}: {each}" for region, each in sorted(found.items()))
    raise typer.BadParameter(
        f"ключ «{text}» есть в нескольких регионах, укажите идентификатор ИОМ: {choices}"
    )


RouteArg = Annotated[
    UUID,
    typer.Argument(
        parser=resolve_route,
        metavar="ROUTE",
        help="ИОМ: его идентификатор (UUID) или ключ (demo-sakha-00004).",
    ),
]
RouteOpt = Annotated[
    UUID | None,
    typer.Option(
        "--route",
        parser=resolve_route,
        metavar="ROUTE",
        help="Только этот ИОМ: идентификатор (UUID) или ключ (demo-sakha-00004).",
    ),
]
