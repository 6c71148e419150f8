"""`iom ops …`: operators' hands on the route workflows.

One command per operator signal (`extend-deadline`, `reassign-methodist`, `pause`, `unpause`
— the `resume` signal —, `cancel`, `resend-notice`): the payload is checked here with the
command's own model (bad input exits 2 and sends nothing), sent as the signal, and then the
event store is watched until the command id is applied on the route or refused. `resume` starts
a route's workflow afresh from the event store; `stuck` lists routes waiting on someone too long.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import ValidationError

from aggregates.application import Routes
from aggregates.commands import OPERATIONS
from aggregates.errors import DomainError, RouteNotFoundError, invalid_content
from aggregates.values import Actor, Role
from projections.catalog import open_projection
from projections.refusals import create_table
from projections.routes import methodist_routes
from runtime.gateway import RouteGateway, StuckRoute
from runtime.settings import Settings
from runtime.signals import Answer, outcome, refusal_of
from workers.cli.output import emit_json, emit_records, fail, in_words
from workers.cli.route_ref import RouteArg
from workers.cli.worker import reach
from workers.context import build_routes

ops = typer.Typer(
    add_completion=False,
    help=(
        "Для оператора: сигнал процессу ИОМ, по команде на сигнал (`unpause` посылает сигнал "
        "`resume`, снимающий приостановку); `resume` запускает процесс ИОМ заново из хранилища "
        "событий; `stuck` — ИОМ, ждущие слишком долго. Коды выхода сигналов: 0 — применён, 1 — "
        "отклонён, 2 — неверный ввод (ничего не отправлено), 3 — Temporal недоступен, 4 — исход не "
        "получен.\n\nПример: iom ops pause ROUTE_ID --operator op-1 --reason «Больничный» --ticket "
        "OPS-12"
    ),
    no_args_is_help=True,
)

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_PENDING = 4
DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}
UNIT_WORDS = {
    "d": ("день", "дня", "дней"),
    "h": ("час", "часа", "часов"),
    "m": ("минута", "минуты", "минут"),
}
OPTIONS = {"operator_id": "--operator", "methodist_id": "--methodist-id"}

OperatorOpt = Annotated[str, typer.Option("--operator", help="Кто действует: id оператора.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Причина; записывается в ИОМ.")]
TicketOpt = Annotated[
    str, typer.Option("--ticket", help="Заявка, по которой действует оператор, например OPS-12.")
]
CommandIdOpt = Annotated[
    str | None,
    typer.Option(
        "--command-id",
        help=(
            "Ключ идемпотентности: команда с одним id применяется один раз. По умолчанию — новый "
            "UUID, он печатается в stderr, чтобы сценарий мог повторить с ним."
        ),
    ),
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", min=0, max=600, help="Сколько секунд ждать исхода."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Вывести объект JSON.")]


@dataclass(frozen=True)
class Ask:
    """One operator's signal as the command line was given it."""

    route_id: UUID
    signal: str
    fields: dict[str, Any]
    operator: str
    command_id: str | None
    wait: float
    as_json: bool


# The signals.


@ops.command("extend-deadline")
def extend_deadline(  # typer passes every parameter by name
    route_id: RouteArg,
    *,
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help=(
                "Открытый срок: activity:A1, agreement:methodist, … (при ошибке перечисляются "
                "открытые)."
            ),
        ),
    ],
    until: Annotated[str, typer.Option("--until", help="Новая дата, ГГГГ-ММ-ДД.")],
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    command_id: CommandIdOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Продлить открытый срок (сигнал `extend_deadline`).

    Срок мероприятия, ответа участника согласования или выводов; ключ срока, который не открыт,
    отклоняется с перечнем открытых.

    Коды выхода: 0 — применено; 1 — отклонено (правило напечатано); 2 — неверный ввод, ничего не
    отправлено; 3 — Temporal недоступен; 4 — исход не получен за --wait (повторите с тем же
    --command-id).

    Пример: iom ops extend-deadline 3f2a… --deadline activity:A1 --until 2027-03-01 \
      --operator op-1 --reason "Больничный" --ticket OPS-12
    """
    fields = {"deadline": deadline, "until": until, "reason": reason, "ticket": ticket}
    send(Ask(route_id, "extend_deadline", fields, operator, command_id, wait, as_json))


@ops.command("reassign-methodist")
def reassign_methodist(  # typer passes every parameter by name
    route_id: RouteArg,
    *,
    methodist_id: Annotated[str, typer.Option("--methodist-id", help="Id нового методиста.")],
    order: Annotated[str, typer.Option("--order", help="Распорядительный акт.")],
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    command_id: CommandIdOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Закрепить за ИОМ другого методиста по распорядительному акту
    (сигнал `reassign_methodist`).

    Коды выхода: 0 — применено; 1 — отклонено (правило напечатано); 2 — неверный ввод, ничего не
    отправлено; 3 — Temporal недоступен; 4 — исход не получен за --wait (повторите с тем же
    --command-id).

    Пример: iom ops reassign-methodist 3f2a… --methodist-id m-17 --order "Приказ № 5" \
      --operator op-1 --reason "Увольнение методиста" --ticket OPS-12
    """
    fields = {"methodist_id": methodist_id, "order": order, "reason": reason, "ticket": ticket}
    send(Ask(route_id, "reassign_methodist", fields, operator, command_id, wait, as_json))


@ops.command("replace-methodist")
def replace_methodist(  # typer passes every parameter by name
    methodist: Annotated[str, typer.Argument(help="Id заменяемого методиста.")],
    *,
    methodist_id: Annotated[str, typer.Option("--methodist-id", help="Id нового методиста.")],
    region: Annotated[str, typer.Option("--region", help="Регион (id регламента).")],
    order: Annotated[str, typer.Option("--order", help="Распорядительный акт.")],
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    route: Annotated[
        list[str] | None,
        typer.Option(
            "--route",
            help="ИОМ, на котором заменить (можно несколько раз); без него — все открытые ИОМ"
            " методиста в регионе по таблицам мониторинга.",
        ),
    ] = None,
    command_id: CommandIdOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Заменить методиста по распорядительному акту на всех его открытых ИОМ региона (или на
    указанных --route) одной командой: каждому ИОМ — свой сигнал `reassign_methodist` и своё
    событие «Методист закреплён»; id команды каждого ИОМ — `<--command-id>.<id ИОМ>`.

    Коды выхода: 0 — применено на всех; 1 — отклонено хотя бы на одном; 2 — неверный ввод,
    ничего не отправлено; 3 — Temporal недоступен; 4 — исход не получен за --wait (повторите с
    тем же --command-id).

    Пример: iom ops replace-methodist methodist-sakha-01 --methodist-id m-17 --region sakha \
      --order "Приказ № 5" --operator op-1 --reason "Увольнение методиста" --ticket OPS-12
    """
    base = command_id or str(uuid.uuid4())
    fields = {"methodist_id": methodist_id, "order": order, "reason": reason, "ticket": ticket}
    settings = Settings()
    routes = build_routes(settings)
    try:
        route_ids = chosen_routes(routes, region, methodist, route)
        asks = [
            Ask(r, "reassign_methodist", fields, operator, f"{base}.{r}", wait, as_json)
            for r in route_ids
        ]
        payloads = [checked(ask) for ask in asks]
        create_table(routes)
        typer.echo(f"идентификатор команды: {base}; ИОМ: {len(asks)}", err=True)
        answers = asyncio.run(deliver_all(settings, routes, asks, payloads))
    finally:
        routes.close()
    report_all(asks, answers, as_json=as_json)


def chosen_routes(
    routes: Routes, region: str, methodist: str, given: list[str] | None
) -> list[UUID]:
    """The routes named (each in the store), or the methodist's open routes of the region."""
    if given:
        try:
            route_ids = [UUID(text) for text in given]
        except ValueError:
            raise fail("--route: ожидается идентификатор ИОМ (UUID)", EXIT_BAD_INPUT) from None
        for route_id in route_ids:
            known_route(routes, route_id)
        return route_ids
    view = open_projection(routes, "monitoring").view
    with view.transaction(commit=False) as db:
        return methodist_routes(db, region, methodist)


async def deliver_all(
    settings: Settings, routes: Routes, asks: list[Ask], payloads: list[dict[str, Any]]
) -> list[Answer]:
    """Send every route's signal, then watch each until applied, refused or `wait` passed."""
    earlier = [refusal_of(routes, ask.route_id, ask.command_id or "") for ask in asks]
    sent: list[Answer | None] = []
    for ask, payload in zip(asks, payloads, strict=True):
        signed = payload | {"operator_id": ask.operator, "command_id": ask.command_id}
        sent.append(await deliver(settings, routes, ask, signed))
    answers: list[Answer] = []
    for ask, answered, before in zip(asks, sent, earlier, strict=True):
        if answered is None:
            cid = ask.command_id or ""
            answered = await asyncio.to_thread(outcome, routes, ask.route_id, cid, before, ask.wait)  # noqa: PLW2901 - the answer when sending gave none
        answers.append(answered)
    return answers


def report_all(asks: list[Ask], answers: list[Answer], *, as_json: bool) -> None:
    """A line (or a JSON object) per route, then the exit code of the worst outcome."""
    rows = []
    for ask, answer in zip(asks, answers, strict=True):
        row: dict[str, Any] = {"route_id": str(ask.route_id), "status": answer.status}
        row |= {"version": answer.version} if answer.status == "applied" else {}
        if answer.status == "refused":
            row |= {"rule": answer.rule, "field": answer.field, "message": answer.message}
        rows.append(row)
    if as_json:
        emit_json(rows)
    for row in [] if as_json else rows:
        words = STATUS_WORDS[row["status"]]
        said = f", версия {row['version']}" if "version" in row else ""
        said += f": {row['message']} (правило {row['rule']})" if "rule" in row else ""
        typer.echo(f"{words}: ИОМ {row['route_id']}{said}")
    if not as_json:
        done = sum(row["status"] == "applied" for row in rows)
        typer.echo(f"методист заменён на {done} из {len(rows)} ИОМ")
    worst = max((CODES[row["status"]] for row in rows), default=0)
    if worst:
        raise typer.Exit(worst)


STATUS_WORDS = {"applied": "применено", "refused": "отклонено", "pending": "ожидает"}
CODES = {"applied": 0, "refused": EXIT_REFUSED, "pending": EXIT_PENDING}


def _plain_signal(name: str, signal: str, doc: str) -> None:
    """Register `iom ops NAME`: a signal whose payload is only the reason and the ticket (one
    signature for pause, unpause and cancel)."""

    def command(  # typer passes every parameter by name
        route_id: RouteArg,
        *,
        operator: OperatorOpt,
        reason: ReasonOpt,
        ticket: TicketOpt,
        command_id: CommandIdOpt = None,
        wait: WaitOpt = 10.0,
        as_json: JsonOpt = False,
    ) -> None:
        fields = {"reason": reason, "ticket": ticket}
        send(Ask(route_id, signal, fields, operator, command_id, wait, as_json))

    command.__doc__ = f"{doc}{EXIT_CODES}\n    Пример: iom ops {name}{EXAMPLES[name]}"
    ops.command(name)(command)


EXIT_CODES = """

    Коды выхода: 0 — применено; 1 — отклонено (правило напечатано); 2 — неверный ввод, ничего не
    отправлено; 3 — Temporal недоступен; 4 — исход не получен за --wait (повторите с тем же
    --command-id).
"""
EXAMPLES = {
    "pause": ' 3f2a… --operator op-1 --reason "Больничный" --ticket OPS-12',
    "unpause": ' 3f2a… --operator op-1 --reason "Вышла на работу" --ticket OPS-12',
    "cancel": ' 3f2a… --operator op-1 --reason "Увольнение педагога" --ticket OPS-12',
}

_plain_signal(
    "pause",
    "pause",
    """Приостановить ИОМ (сигнал `pause`).

    Пока ИОМ приостановлен, сроки не идут, напоминания не уходят, команды людей отклоняются;
    снять приостановку — `iom ops unpause`.""",
)
_plain_signal(
    "unpause",
    "resume",
    """Снять приостановку оператора (сигнал `resume`).

    Всё, чей срок наступил за время приостановки, срабатывает сразу. Не путать с
    `iom ops resume`, которая запускает процесс ИОМ заново.""",
)
_plain_signal(
    "cancel",
    "cancel",
    """Отменить ИОМ (сигнал `cancel`); его процесс завершается.""",
)


@ops.command("resend-notice")
def resend_notice(  # typer passes every parameter by name
    route_id: RouteArg,
    *,
    key: Annotated[
        str, typer.Option("--key", help="Ключ уведомления, например a1:methodist:requested.")
    ],
    operator: OperatorOpt,
    reason: ReasonOpt,
    ticket: TicketOpt,
    command_id: CommandIdOpt = None,
    wait: WaitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Повторить уведомление, которое ИОМ уже отправлял (сигнал `resend_notice`).

    Оно уходит по всем каналам с пометкой о повторе; ключ, который не отправлялся, отклоняется с
    перечнем отправленных.

    Коды выхода: 0 — применено; 1 — отклонено (правило напечатано); 2 — неверный ввод, ничего не
    отправлено; 3 — Temporal недоступен; 4 — исход не получен за --wait (повторите с тем же
    --command-id).

    Пример: iom ops resend-notice 3f2a… --key a1:methodist:requested \
      --operator op-1 --reason "Письмо не дошло" --ticket OPS-12
    """
    fields = {"key": key, "reason": reason, "ticket": ticket}
    send(Ask(route_id, "resend_notice", fields, operator, command_id, wait, as_json))


def send(ask: Ask) -> None:
    """Check the signal, send it, wait for its outcome, report it; exit with its code."""
    payload = checked(ask)
    command_id = ask.command_id or str(uuid.uuid4())
    settings = Settings()
    routes = build_routes(settings)
    try:
        known_route(routes, ask.route_id)
        create_table(routes)
        earlier = refusal_of(routes, ask.route_id, command_id)
        typer.echo(f"идентификатор команды: {command_id}", err=True)
        payload |= {"operator_id": ask.operator, "command_id": command_id}
        answer = asyncio.run(deliver(settings, routes, ask, payload))
        if answer is None:
            answer = outcome(routes, ask.route_id, command_id, earlier, ask.wait)
    finally:
        routes.close()
    report(ask, command_id, answer)


def checked(ask: Ask) -> dict[str, Any]:
    """The signal's payload as its command's model reads it, or exit 2 naming the field."""
    try:
        Actor(id=ask.operator, role=Role.OPERATOR)
    except ValidationError:
        raise fail(
            "поле «operator_id»: ожидается идентификатор из латинских букв, цифр и ._:-"
            " (--operator)",
            EXIT_BAD_INPUT,
        ) from None
    if not str(ask.fields.get("ticket", "")).strip():
        raise fail("поле «ticket»: укажите номер заявки (--ticket)", EXIT_BAD_INPUT)
    try:
        command = OPERATIONS[ask.signal].model_validate(ask.fields)
    except ValidationError as error:
        refusal = invalid_content(error)
        option = OPTIONS.get(refusal.field or "", "--" + (refusal.field or "").replace("_", "-"))
        raise fail(f"{refusal.message} ({option})", EXIT_BAD_INPUT) from None
    return command.model_dump(mode="json")


def known_route(routes: Routes, route_id: UUID) -> None:
    """Exit 2 unless the route is in the event store."""
    try:
        routes.route(route_id)
    except RouteNotFoundError as error:
        raise fail(error.message, EXIT_BAD_INPUT) from None


async def deliver(
    settings: Settings, routes: Routes, ask: Ask, payload: dict[str, Any]
) -> Answer | None:
    """Send the signal; an answer only when the workflow cannot take it (not running)."""
    gateway = RouteGateway(await reach(settings), routes, settings.task_queue)
    try:
        await gateway.signal(ask.route_id, ask.signal, payload)
    except DomainError as error:
        return Answer("refused", rule=error.rule, field=error.field, message=error.message)
    return None


def report(ask: Ask, command_id: str, answer: Answer) -> None:
    """Print the outcome (a line, or a JSON object) and exit with its code."""
    if ask.as_json:
        found: dict[str, Any] = {"version": answer.version} if answer.status == "applied" else {}
        if answer.status == "refused":
            found = {"rule": answer.rule, "field": answer.field, "message": answer.message}
        head = {"route_id": str(ask.route_id), "signal": ask.signal, "command_id": command_id}
        emit_json(head | {"status": answer.status} | found)
    elif answer.status == "applied":
        typer.echo(f"применено: {ask.signal}, ИОМ {ask.route_id}, версия {answer.version}")
    elif answer.status == "refused":
        where = f", поле {answer.field}" if answer.field else ""
        typer.echo(f"отклонено: {answer.message} (правило {answer.rule}{where})")
    else:
        typer.echo(
            f"ожидает: за {ask.wait:g} с сигнал {ask.signal} не применён и не отклонён; запущен"
            f" ли iom worker? Повторите с --command-id {command_id}"
        )
    if CODES[answer.status]:
        raise typer.Exit(CODES[answer.status])


# The workflows.


@ops.command("resume")
def resume(route_id: RouteArg, as_json: JsonOpt = False) -> None:
    """Запустить процесс ИОМ заново из хранилища событий.

    Для процесса, который был прерван, упал или потерян; идущий процесс не трогается. Ничего не
    делается дважды: сделанное (отправленные уведомления, сработавшие сроки) есть в хранилище.
    Не путать с `iom ops unpause`, снимающей приостановку оператора.

    Коды выхода: 0 — запущен или уже идёт; 1 — ИОМ завершён или отменён; 2 — нет такого ИОМ;
    3 — Temporal недоступен.

    Пример: iom ops resume 3f2a…
    """
    settings = Settings()
    routes = build_routes(settings)
    try:
        try:
            route = routes.route(route_id)
        except RouteNotFoundError as error:
            raise fail(error.message, EXIT_BAD_INPUT) from None
        if route.closed:
            raise fail(f"ИОМ {route_id} завершён или отменён: его процесс не запускается", 1)
        started = asyncio.run(start(settings, routes, route_id))
    finally:
        routes.close()
    status = "started" if started else "running"
    if as_json:
        emit_json({"route_id": str(route_id), "status": status})
    elif started:
        typer.echo(f"запущен: процесс ИОМ {route_id} начат заново с состояния в хранилище")
    else:
        typer.echo(f"выполняется: процесс ИОМ {route_id} уже идёт, оставлен как есть")


async def start(settings: Settings, routes: Routes, route_id: UUID) -> bool:
    """Start the route's workflow; False when it runs already."""
    gateway = RouteGateway(await reach(settings), routes, settings.task_queue)
    return await gateway.start(route_id)


@ops.command("stuck")
def stuck(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Сколько ждёт: 14d, 36h, 90m (дни, часы, минуты)."),
    ] = "14d",
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Вывести CSV.")] = False,
) -> None:
    """Идущие ИОМ, которые ждут кого-либо дольше --older-than, дольше всех ждущие первыми.

    Ожидание ответа или просроченного обязательства, по данным видимости Temporal: ИОМ, этап,
    регион, методист, кого ждёт, с какого времени.

    Коды выхода: 0 — выведено (и когда таких нет); 2 — неверный срок; 3 — Temporal недоступен.

    Пример: iom ops stuck --older-than 14d --json
    """
    age = duration(older_than)
    found = asyncio.run(list_stuck(Settings(), age))
    if not found and not (as_json or as_csv):
        typer.echo(f"нет ИОМ, ждущих дольше {span(older_than)}")
        return
    shown = [
        *(("route_id", "ИОМ"), ("status", "этап"), ("region", "регион")),
        *(("methodist_id", "методист"), ("waiting_on", "ждёт"), ("since", "с")),
    ]
    emit_records(
        f"ИОМ, ждущие дольше {span(older_than)}: {len(found)}",
        [stuck_row(route) for route in found],
        shown,
        stuck_cell,
        as_json=as_json,
        as_csv=as_csv,
    )


def stuck_cell(column: str, row: dict[str, Any]) -> str:
    """A stuck route's field in words."""
    value = row[column]
    if column == "status":
        return str(in_words("stage", value))
    if column == "waiting_on":
        return ", ".join(str(in_words("role", each)) for each in value) or "—"
    if column == "since":
        return f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M} UTC"
    return str(value or "—")


def span(text: str) -> str:
    """A duration of --older-than (`14d`) in Russian words («14 дней»)."""
    match = DURATION.match(text)
    assert match is not None  # checked by `duration`
    from projections.documents.wording import plural  # noqa: PLC0415 - the documents' words, when needed

    return plural(int(match[1]), *UNIT_WORDS[match[2]])


def duration(text: str) -> timedelta:
    """`14d`, `36h`, `90m` as a time span, or exit 2."""
    match = DURATION.match(text)
    if match is None:
        raise fail(
            f"--older-than: «{text}» не срок; примеры: 14d, 36h, 90m (дни, часы, минуты)",
            EXIT_BAD_INPUT,
        )
    return timedelta(**{UNITS[match[2]]: int(match[1])})


async def list_stuck(settings: Settings, age: timedelta) -> list[StuckRoute]:
    """The routes waiting longer than `age`, from Temporal's visibility store."""
    client = await reach(settings)
    routes = build_routes(settings)
    try:
        return await RouteGateway(client, routes, settings.task_queue).stuck(age)
    finally:
        routes.close()


def stuck_row(route: StuckRoute) -> dict[str, Any]:
    """A stuck route as JSON."""
    return {
        "route_id": route.route_id,
        "status": route.status,
        "region": route.region,
        "methodist_id": route.methodist_id,
        "waiting_on": route.waiting_on,
        "since": route.since.astimezone(UTC).isoformat(),
    }


# Migration, bulk operations and workflow incidents (`workers.cli.migrate`, `workers.cli.bulk`,
# which read the options above).

from workers.cli.bulk import bulk, incidents  # noqa: E402 - after the options it imports
from workers.cli.migrate import migrate  # noqa: E402 - after the options it imports

ops.command("migrate")(migrate)
ops.add_typer(bulk, name="bulk")
ops.command("incidents")(incidents)
