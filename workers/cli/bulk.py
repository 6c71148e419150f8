"""`iom ops bulk …` and `iom ops incidents`: one operator's act on every route a filter matches,
and the routes whose workflow is broken.

`preview` writes nothing: how many routes, and what the action would do to a sample. `run`
records the operation (its routes frozen) and starts its workflow, then follows it with a
progress bar until every route has its outcome; Ctrl-C leaves it running (`status --follow`
picks it up again). `incidents` lists broken route workflows with the repair each needs and,
with `--repair`, mends them all by a bulk operation of the action `repair`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar
from uuid import UUID

import typer
from pydantic import ValidationError

from activities.bulk import ACTIONS
from aggregates.errors import DomainError, invalid_content
from aggregates.operation import STATUS_TITLES, Operation
from aggregates.profiles import Stage
from projections.selection import RouteQuery
from runtime.gateway import RouteGateway
from runtime.operations import BulkRequest, OperationDesk, Preview
from runtime.settings import Settings
from workers.cli.ops import (
    EXIT_BAD_INPUT,
    EXIT_PENDING,
    EXIT_REFUSED,
    JsonOpt,
    OperatorOpt,
    ReasonOpt,
    TicketOpt,
)
from workers.cli.output import emit_json, emit_records, fail, progress
from workers.cli.worker import reach
from workers.context import build_operations, build_routes

bulk: typer.Typer = typer.Typer(
    add_completion=False,
    help=(
        "Массовая операция над всеми ИОМ, подходящими под фильтр: сначала preview (сколько ИОМ"
        " и что будет с первыми), затем run с причиной и заявкой. Действия: "
        + ", ".join(f"{name} ({action.title})" for name, action in ACTIONS.items())
        + ".\n\nПример: iom ops bulk preview reassign_methodist --region sakha --methodist-id m-1"
        " --param methodist_id=m-17 --param order='Приказ № 5' --operator op-1 --reason"
        " «Увольнение методиста» --ticket OPS-12"
    ),
    no_args_is_help=True,
)

T = TypeVar("T")
POLL = 0.5  # seconds between looks at the operation's record

ActionArg = Annotated[str, typer.Argument(help="Действие: " + ", ".join(ACTIONS) + ".")]
Region = Annotated[str | None, typer.Option("--region", help="Регион (id регламента).")]
Municipality = Annotated[str | None, typer.Option("--municipality", help="Муниципалитет.")]
School = Annotated[str | None, typer.Option("--school", help="Образовательная организация.")]
Methodist = Annotated[str | None, typer.Option("--methodist-id", help="Закреплённый методист.")]
StageOpt = Annotated[Stage | None, typer.Option("--stage", help="Этап ИОМ.")]
WaitingOn = Annotated[
    str | None, typer.Option("--waiting-on", help="Сторона согласования, которую ждёт ИОМ.")
]
Overdue = Annotated[
    bool | None,
    typer.Option("--overdue/--not-overdue", help="Есть просроченные мероприятия (или нет)."),
]
Edition = Annotated[str | None, typer.Option("--edition", help="Редакция регламента: sakha@2.")]
RouteIds = Annotated[
    list[str] | None,
    typer.Option("--route", help="ИОМ вместо фильтра (можно несколько раз)."),
]
Params = Annotated[
    list[str] | None,
    typer.Option("--param", help="Параметр действия ключ=значение (можно несколько раз)."),
]
WaitOpt = Annotated[
    float, typer.Option("--wait", min=0, help="Сколько секунд следить за ходом (0 — не ждать).")
]


@bulk.command("preview")
def preview(
    action: ActionArg,
    *,
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    region: Region = None,
    municipality: Municipality = None,
    school: School = None,
    methodist_id: Methodist = None,
    stage: StageOpt = None,
    waiting_on: WaitingOn = None,
    overdue: Overdue = None,
    edition: Edition = None,
    route: RouteIds = None,
    param: Params = None,
    as_json: JsonOpt = False,
) -> None:
    """Показать, сколько ИОМ затронет операция и что будет с первыми из них; ничего не пишет.

    Коды выхода: 0 — показано; 2 — неверный ввод; 3 — Temporal недоступен.

    Пример: iom ops bulk preview pause --region sakha --stage implementation --operator op-1
      --reason «Каникулы» --ticket OPS-12
    """
    query = route_query(
        region=region,
        municipality=municipality,
        school=school,
        methodist_id=methodist_id,
        stage=stage,
        waiting_on=waiting_on,
        overdue=overdue,
        edition=edition,
        route=route,
    )
    request = bulk_request(action, param, query, operator=operator, reason=reason, ticket=ticket)
    shown = asyncio.run(with_desk(lambda desk: desk.preview(request)))
    report_preview(shown, as_json=as_json)


@bulk.command("run")
def run(
    action: ActionArg,
    *,
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    region: Region = None,
    municipality: Municipality = None,
    school: School = None,
    methodist_id: Methodist = None,
    stage: StageOpt = None,
    waiting_on: WaitingOn = None,
    overdue: Overdue = None,
    edition: Edition = None,
    route: RouteIds = None,
    param: Params = None,
    operation_id: Annotated[
        str | None,
        typer.Option(
            "--operation-id",
            help="Id операции (UUID): повтор с тем же id находит начатую операцию. По умолчанию"
            " — новый, он печатается в stderr.",
        ),
    ] = None,
    wait: WaitOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Выполнить операцию: ИОМ фиксируются в начале, каждому — своё событие с id операции;
    ход показывается полосой, в конце — итог по каждому ИОМ.

    Операцию ведёт процесс Temporal (нужен iom worker): прерванная, она продолжается с того
    ИОМ, на котором остановилась, и ни к одному ИОМ не применяется дважды.

    Коды выхода: 0 — применено на всех (или пропущены); 1 — отклонено хотя бы на одном; 2 —
    неверный ввод; 3 — Temporal недоступен; 4 — не завершена за --wait (следить: iom ops bulk
    status ID --follow).

    Пример: iom ops bulk run cancel --route 3f2a… --route 7c1d… --operator op-1 --reason
      «Увольнение педагогов» --ticket OPS-12
    """
    query = route_query(
        region=region,
        municipality=municipality,
        school=school,
        methodist_id=methodist_id,
        stage=stage,
        waiting_on=waiting_on,
        overdue=overdue,
        edition=edition,
        route=route,
    )
    request = bulk_request(action, param, query, operator=operator, reason=reason, ticket=ticket)
    chosen = operation_uuid(operation_id)
    typer.echo(f"идентификатор операции: {chosen}", err=True)

    async def act(desk: OperationDesk) -> Operation:
        await desk.run(chosen, request)
        return await follow(desk, chosen, wait)

    report(asyncio.run(with_desk(act)), as_json=as_json)


@bulk.command("status")
def status(
    operation_id: Annotated[str, typer.Argument(help="Id операции.")],
    *,
    follow_it: Annotated[
        bool, typer.Option("--follow", help="Следить до завершения (полоса хода).")
    ] = False,
    wait: WaitOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Ход и итог операции по каждому ИОМ: применено, отклонено (с правилом), пропущен.

    Коды выхода: как у run.

    Пример: iom ops bulk status 5b0e… --follow
    """
    chosen = operation_uuid(operation_id)

    async def look(desk: OperationDesk) -> Operation:
        if follow_it:
            await desk.drive(chosen)  # a driver that stopped for good is started again
            return await follow(desk, chosen, wait)
        return await asyncio.to_thread(desk.status, chosen)

    report(asyncio.run(with_desk(look)), as_json=as_json)


@bulk.command("list")
def listed(as_json: JsonOpt = False) -> None:
    """Последние массовые операции: кто, когда, что, сколько ИОМ и каков итог.

    Коды выхода: 0 — выведено (и когда операций нет); 3 — база данных недоступна.

    Пример: iom ops bulk list --json
    """
    settings = Settings()
    operations = build_operations(settings)
    try:
        rows = [summary(o) for o in operations.all()]
    finally:
        operations.close()
    shown = [
        *(("operation_id", "операция"), ("started_at", "начата"), ("operator_id", "оператор")),
        *(("action", "действие"), ("ticket", "заявка"), ("count", "ИОМ")),
        *(("done", "применено"), ("refused", "отклонено"), ("skipped", "пропущено")),
        ("left", "осталось"),
    ]
    emit_records(
        f"массовые операции: {len(rows)}",
        rows,
        shown,
        lambda column, row: row[column],
        as_json=as_json,
        as_csv=False,
    )


def incidents(
    *,
    region: Region = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Исправить все массовой операцией repair.")
    ] = False,
    operator: Annotated[str | None, typer.Option("--operator", help="Кто исправляет.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Причина.")] = None,
    ticket: Annotated[str | None, typer.Option("--ticket", help="Заявка.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """ИОМ, чей процесс сломан: завершился с ошибкой, прерван, превысил время, чьё действие
    раз за разом не удаётся, или чей процесс расходится с хранилищем (ИОМ открыт — процесс
    не идёт, и наоборот); с последней ошибкой и тем, что исправит.

    С --repair (и --operator, --reason, --ticket) все они исправляются одной массовой операцией
    repair: процесс запускается заново с состояния в хранилище.

    Коды выхода: 0 — выведено (исправлено); 1 — исправлено не всё; 2 — неверный ввод; 3 —
    Temporal недоступен.

    Пример: iom ops incidents --region sakha --repair --operator op-1 --reason «Сбой узла»
      --ticket OPS-12
    """
    if repair and not (operator and reason and ticket):
        raise fail("--repair: укажите --operator, --reason и --ticket", EXIT_BAD_INPUT)
    found = asyncio.run(with_desk(lambda desk: desk.incidents(region)))
    rows = [
        {"route_id": str(i.route_id), "kind": i.kind, "error": i.error, "repair": i.repair}
        for i in found
    ]
    if not repair:
        if not rows and not as_json:
            typer.echo("сломанных процессов ИОМ нет")
            return
        shown = [("route_id", "ИОМ"), ("error", "ошибка"), ("repair", "исправление")]
        emit_records(
            f"сломанные процессы ИОМ: {len(rows)}",
            rows,
            shown,
            lambda column, row: row[column],
            as_json=as_json,
            as_csv=False,
        )
        return
    if not rows:
        typer.echo("сломанных процессов ИОМ нет: исправлять нечего")
        return
    query = RouteQuery(route_ids=[i.route_id for i in found])
    request = bulk_request(
        "repair", None, query, operator=operator or "", reason=reason or "", ticket=ticket or ""
    )
    chosen = uuid.uuid4()
    typer.echo(f"идентификатор операции: {chosen}", err=True)

    async def act(desk: OperationDesk) -> Operation:
        await desk.run(chosen, request)
        return await follow(desk, chosen, 600.0)

    report(asyncio.run(with_desk(act)), as_json=as_json)


# The pieces.


def route_query(
    *,
    region: str | None,
    municipality: str | None,
    school: str | None,
    methodist_id: str | None,
    stage: Stage | None,
    waiting_on: str | None,
    overdue: bool | None,
    edition: str | None,
    route: list[str] | None,
) -> RouteQuery:
    """The filter, or exit 2 naming the option."""
    given: dict[str, Any] = {
        "region": region,
        "municipality_id": municipality,
        "school_id": school,
        "methodist_id": methodist_id,
        "stage": stage,
        "waiting_on": waiting_on,
        "overdue": overdue,
        "edition": edition,
        "route_ids": route or None,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        raise fail("укажите фильтр (--region, --stage, …) или перечень --route", EXIT_BAD_INPUT)
    if "route_ids" in given and len(given) > 1:
        raise fail("--route не сочетается с фильтрами: либо перечень, либо фильтр", EXIT_BAD_INPUT)
    try:
        return RouteQuery.model_validate(given)
    except ValidationError as error:
        raise fail(invalid_content(error).message, EXIT_BAD_INPUT) from None


def bulk_request(
    action: str,
    param: list[str] | None,
    query: RouteQuery,
    *,
    operator: str,
    reason: str,
    ticket: str,
) -> BulkRequest:
    """The request, or exit 2 naming what is wrong."""
    params: dict[str, str] = {}
    for each in param or []:
        key, sep, value = each.partition("=")
        if not sep or not key.strip():
            raise fail(f"--param: ожидается ключ=значение, дано «{each}»", EXIT_BAD_INPUT)
        params[key.strip()] = value
    try:
        request = BulkRequest(
            action=action,
            params=params,
            query=query,
            operator_id=operator,
            reason=reason,
            ticket=ticket,
        )
    except ValidationError as error:
        raise fail(invalid_content(error).message, EXIT_BAD_INPUT) from None
    return request


def operation_uuid(text: str | None) -> UUID:
    """The operation id given, a new one when none was, or exit 2."""
    if text is None:
        return uuid.uuid4()
    try:
        return UUID(text)
    except ValueError:
        raise fail("--operation-id: ожидается UUID", EXIT_BAD_INPUT) from None


async def with_desk(use: Callable[[OperationDesk], Awaitable[T]]) -> T:
    """Run `use` on an operations desk over the configured store and Temporal; a refusal of
    the input exits 2 naming the field."""
    async with open_desk() as desk:
        try:
            result = await use(desk)
        except DomainError as error:
            raise fail(error.message, EXIT_BAD_INPUT) from None
        return result


@asynccontextmanager
async def open_desk() -> AsyncIterator[OperationDesk]:
    """The desk over the configured store and Temporal, closed after use."""
    settings = Settings()
    routes = build_routes(settings)
    operations = build_operations(settings)
    try:
        client = await reach(settings)
        yield OperationDesk(RouteGateway(client, routes, settings.task_queue), operations)
    finally:
        operations.close()
        routes.close()


async def follow(desk: OperationDesk, operation_id: UUID, wait: float) -> Operation:
    """The operation's record once it has no route left, or when `wait` seconds have passed,
    with a progress bar on a terminal."""
    operation = await asyncio.to_thread(desk.status, operation_id)
    deadline = time.monotonic() + wait
    with progress(
        len(operation.route_ids), f"Операция «{ACTIONS[operation.action].title}»"
    ) as advance:
        seen = len(operation.outcomes)
        advance(seen)
        while operation.remaining and time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            operation = await asyncio.to_thread(desk.status, operation_id)
            advance(len(operation.outcomes) - seen)
            seen = len(operation.outcomes)
    return operation


def report_preview(shown: Preview, *, as_json: bool) -> None:
    """The preview as a line and a table of the sample, or as JSON."""
    rows: list[dict[str, Any]] = [
        {
            "route_id": str(route_id),
            "status": "would_apply" if outcome is None else outcome.status,
            "rule": None if outcome is None else outcome.rule,
            "message": None if outcome is None else outcome.message,
        }
        for route_id, outcome in shown.sample
    ]
    if as_json:
        emit_json({"action": shown.action, "count": shown.count, "sample": rows})
        return
    typer.echo(f"операция «{shown.title}»: ИОМ под фильтром — {shown.count}")
    for row in rows:
        words = (
            "будет применено" if row["status"] == "would_apply" else STATUS_TITLES[row["status"]]
        )
        said = f": {row['message']} (правило {row['rule']})" if row["rule"] else ""
        typer.echo(f"  {words}: ИОМ {row['route_id']}{said}")


def summary(operation: Operation) -> dict[str, Any]:
    """An operation in one record."""
    return {
        "operation_id": str(operation.id),
        "started_at": operation.created_on.isoformat(timespec="seconds"),
        "operator_id": operation.operator_id,
        "action": operation.action,
        "ticket": operation.ticket,
        "count": len(operation.route_ids),
        **operation.counts(),
    }


def report(operation: Operation, *, as_json: bool) -> None:
    """Each route's outcome and the totals, then the exit code of the worst outcome."""
    outcomes = operation.report()
    counts = operation.counts()
    if as_json:
        emit_json(
            summary(operation)
            | {"outcomes": [o.model_dump(mode="json", exclude_none=True) for o in outcomes]}
        )
    else:
        for outcome in outcomes:
            said = f", версия {outcome.version}" if outcome.version else ""
            said += f": {outcome.message}" if outcome.message else ""
            said += f" (правило {outcome.rule})" if outcome.status == "refused" else ""
            typer.echo(f"{STATUS_TITLES[outcome.status]}: ИОМ {outcome.route_id}{said}")
        typer.echo(
            f"операция {operation.id}: применено {counts['done']}, отклонено"
            f" {counts['refused']}, пропущено {counts['skipped']}, осталось {counts['left']}"
            f" из {len(operation.route_ids)}"
        )
    if counts["left"]:
        raise typer.Exit(EXIT_PENDING)
    if counts["refused"]:
        raise typer.Exit(EXIT_REFUSED)
