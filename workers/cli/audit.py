"""`iom audit`: a route's history, its state at any version or moment, the chain checks."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated
from uuid import UUID

import typer

from aggregates.audit import digest, verify_routes
from aggregates.errors import RouteNotFoundError
from aggregates.events import RouteOpened
from aggregates.summaries import describe
from workers.cli.output import emit_json, emit_table, fail
from workers.context import build_personal_data, build_routes
from workers.settings import Settings

audit = typer.Typer(help="For auditors: replay and verify routes.", no_args_is_help=True)

RouteArg = Annotated[UUID, typer.Argument(help="The route id (UUID).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@audit.command()
def history(route_id: RouteArg, as_json: JsonOpt = False) -> None:
    """Every event of a route: version, time, type, actor, role, a line in Russian.

    Example: iom audit history 94945806-cc6b-57a5-ba14-12c4c914e5f9
    """
    routes = build_routes(Settings())
    try:
        events = routes.history(route_id)
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    opening = events[0]
    assert isinstance(opening, RouteOpened)
    profile = opening.profile  # the edition the route was opened under
    rows = [
        {
            "version": e.originator_version,
            "time": e.timestamp.isoformat(timespec="seconds"),
            "type": type(e).__name__,
            "actor": e.actor.id,
            "role": e.actor.role.value,
            "summary": describe(e, profile),
        }
        for e in events
    ]
    if as_json:
        emit_json(rows)
    else:
        emit_table(f"ИОМ {route_id}", list(rows[0]), [list(r.values()) for r in rows])


@audit.command()
def show(
    route_id: RouteArg,
    version: Annotated[int | None, typer.Option(help="The version to show.", min=1)] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="The moment to show (ISO, with offset).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A route's state now, at a version, or as of a moment.

    Example: iom audit show ROUTE_ID --as-of 2026-03-01T12:00:00+09:00
    """
    if version is not None and as_of is not None:
        raise fail("укажите --version или --as-of, не оба")
    if as_of is not None and as_of.tzinfo is None:
        raise fail("--as-of: укажите часовой пояс, например 2026-03-01T12:00:00+09:00")
    settings = Settings()
    routes = build_routes(settings)
    try:
        route = (
            routes.route_as_of(route_id, as_of)
            if as_of is not None
            else routes.route(route_id, version=version)
        )
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    personal = build_personal_data(routes, settings).get(route.teacher_id)
    teacher = {
        "present": personal.sheet.full_name if personal.sheet else "",
        "erased": "персональные данные уничтожены (152-ФЗ)",
        "absent": "сведения не внесены",
    }[personal.status]
    summary = route.summary() | {"teacher": {"status": personal.status, "shown_as": teacher}}
    if as_json:
        emit_json(summary)
        return
    done = sum(1 for r in route.activities.values() if r.status == "done")
    rows = [
        ("версия", route.version),
        ("этап", summary["stage_name"]),
        ("регламент", route.profile.key),
        ("педагог (id)", route.teacher_id),
        ("педагог", teacher),
        ("методист (id)", route.methodist_id or "—"),
        ("тема", route.plan.topic if route.plan else "—"),
        ("мероприятия выполнены", f"{done} из {len(route.activities)}"),
        ("корректировок", len(route.corrections)),
        ("хеш цепочки", route.chain_head),
    ]
    emit_table(f"ИОМ {route_id}", ["поле", "значение"], rows)


@audit.command()
def verify(
    route_ids: Annotated[list[UUID] | None, typer.Argument(help="Routes to verify.")] = None,
    all_routes: Annotated[bool, typer.Option("--all", help="Verify every route.")] = False,
    expected: Annotated[
        str | None, typer.Option("--digest", help="Also compare with a digest kept outside.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the hash chains. Exit 0 when intact; 1 naming the first altered event of each
    broken route (or a digest mismatch).

    Example: iom audit verify --all --digest 3f2a…
    """
    routes = build_routes(Settings())
    if not route_ids and not all_routes:
        raise fail("укажите id маршрутов или --all")
    ids = list(routes.route_ids()) if all_routes else list(route_ids or [])
    with typer.progressbar(ids, label="Проверка цепочек", file=sys.stderr) as progress:
        reports = verify_routes(routes, progress)
    broken = [r for r in reports if not r.intact]
    actual = digest(reports)
    result = {
        "routes": len(reports),
        "broken": [
            {"route_id": str(r.route_id), "version": r.broken_at, "reason": r.reason}
            for r in broken
        ],
        "digest": actual,
        "digest_matches": None if expected is None else expected == actual,
    }
    if as_json:
        emit_json(result)
    else:
        for r in broken:
            typer.echo(f"НАРУШЕНА цепочка ИОМ {r.route_id}: событие {r.broken_at} — {r.reason}")
        if expected is not None and expected != actual:
            typer.echo("НЕ СОВПАДАЕТ дайджест: хранилище изменено после его снятия")
        if not broken and expected in (None, actual):
            typer.echo(f"Цепочки целы: {len(reports)} ИОМ")
    if broken or (expected is not None and expected != actual):
        raise typer.Exit(1)


@audit.command(name="digest")
def digest_command() -> None:
    """One digest over every route's head; keep it outside the database.

    Example: iom audit digest > digest-2026-11-23.txt
    """
    routes = build_routes(Settings())
    reports = verify_routes(routes, routes.route_ids())
    broken = [r for r in reports if not r.intact]
    if broken:
        raise fail(f"цепочки нарушены в {len(broken)} ИОМ: сначала iom audit verify --all", 1)
    typer.echo(digest(reports))
