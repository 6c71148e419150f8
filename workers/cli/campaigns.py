"""`iom campaigns plan|list|show|announce|hold|close|remove|cancel|import|orders`: diagnostic
campaigns from the command line, as an operator (or the `--by` person in `--role`) of the
campaign's region.

`import FILE --campaign ID` loads the platform's export (CSV or XLSX) with a progress bar: the
file is checked whole first; a bad file prints every bad row (line, column, why) and writes
nothing (exit 1); the same file again records nothing new.

Exit codes: 0 done; 1 refused by a rule (the reason printed); 2 bad usage; 3 the database
unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from aggregates.programmes.orders import MASS_SHARE
from workers.cli.output import database_errors, emit_json, emit_table, fail, progress

if TYPE_CHECKING:
    from aggregates.campaign_commands import CampaignCommand
    from aggregates.campaigns import Campaigns
    from aggregates.values import Actor

campaigns = typer.Typer(
    add_completion=False,
    help="Диагностики профессиональных дефицитов: планирование, оповещение участников,"
    " загрузка результатов.\n\nПример: iom campaigns import results.xlsx --campaign ID",
    no_args_is_help=True,
)

REFUSED = 1
RegionOpt = Annotated[str, typer.Option("--region", help="Регион (id регламента), например sakha.")]
CampaignOpt = Annotated[UUID, typer.Option("--campaign", help="Id диагностики.")]
CampaignArg = Annotated[UUID, typer.Argument(help="Id диагностики.", show_default=False)]
ByOpt = Annotated[str, typer.Option("--by", help="Кто действует (id пользователя портала).")]
RoleOpt = Annotated[str, typer.Option("--role", help="Роль: operator, centre_head или methodist.")]
KeyOpt = Annotated[
    str, typer.Option("--key", help="Ключ команды: повтор с тем же ключом ничего не добавит.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Вывести JSON.")]


def _open() -> Campaigns:
    from aggregates.campaigns import Campaigns  # noqa: PLC0415 - imported when it runs
    from runtime.settings import Settings  # noqa: PLC0415
    from workers.context import build_routes  # noqa: PLC0415

    return Campaigns(build_routes(Settings()))


def _actor(by: str, role: str) -> Actor:
    from aggregates.values import Actor, Role  # noqa: PLC0415

    try:
        return Actor(id=by, role=Role(role))
    except ValueError:
        raise fail(f"нет роли «{role}» или неверный id «{by}»") from None


def _refused(error: Exception) -> typer.Exit:
    typer.echo(f"отказ: {getattr(error, 'message', error)}", err=True)
    return typer.Exit(REFUSED)


def _show(found: Any, *, as_json: bool) -> None:
    from api.campaign_models import campaign_view  # noqa: PLC0415

    view = campaign_view(found)
    if as_json:
        emit_json(view.model_dump(mode="json"))
        return
    emit_table(
        f"Диагностика {view.campaign_id}",
        ["поле", "значение"],
        [
            ["название", view.title],
            ["вид", view.kind_name],
            ["этап", view.status_name],
            ["платформа", view.platform],
            ["сроки", f"{view.starts_on:%d.%m.%Y}–{view.ends_on:%d.%m.%Y}"],
            ["участников", view.participants_count],
            ["результаты внесены", view.recorded_count],
            ["отсутствовали", view.absent_count],
        ],
    )


@campaigns.command("plan")
@database_errors
def plan(
    file: Annotated[Path, typer.Argument(help="JSON: поля диагностики (как POST /campaigns).")],
    *,
    region: RegionOpt,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    key: KeyOpt = "",
    as_json: AsJson = False,
) -> None:
    """Запланировать диагностику по описанию из JSON-файла.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns plan diagnostic.json --region sakha --key d-2026-1
    """
    from pydantic import ValidationError  # noqa: PLC0415

    from aggregates.campaign_commands import PlanCampaign  # noqa: PLC0415
    from aggregates.errors import DomainError  # noqa: PLC0415

    try:
        command = PlanCampaign.model_validate_json(file.read_bytes())
    except (OSError, ValidationError) as error:
        raise fail(f"файл {file} не прочитан: {error}") from None
    found = _open()
    try:
        receipt = found.plan(
            region, command, _actor(by, role), key or f"cli:{command.campaign_key}"
        )
    except DomainError as error:
        raise _refused(error) from None
    _show(found.campaign(receipt.campaign_id), as_json=as_json)


@campaigns.command("list")
@database_errors
def list_campaigns(*, region: RegionOpt, as_json: AsJson = False) -> None:
    """Диагностики региона, в порядке планирования.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns list --region sakha
    """
    from api.campaign_models import campaign_view  # noqa: PLC0415

    found = _open()
    views = [
        campaign_view(found.campaign(i), participants=False) for i in found.campaign_ids(region)
    ]
    if as_json:
        emit_json([v.model_dump(mode="json") for v in views])
        return
    emit_table(
        f"Диагностики: {len(views)}",
        ["диагностика", "название", "вид", "этап", "участников", "результатов"],
        [
            [
                v.campaign_id,
                v.title,
                v.kind_name,
                v.status_name,
                v.participants_count,
                v.recorded_count,
            ]
            for v in views
        ],
    )


@campaigns.command("show")
@database_errors
def show(campaign: CampaignArg, *, as_json: AsJson = False) -> None:
    """Диагностика: этап, сроки, участники, внесённые результаты, отсутствовавшие.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns show 0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21 --json
    """
    from aggregates.errors import DomainError  # noqa: PLC0415

    try:
        found = _open().campaign(campaign)
    except DomainError as error:
        raise _refused(error) from None
    _show(found, as_json=as_json)


@campaigns.command("orders")
@database_errors
def orders(
    campaign: CampaignArg,
    *,
    mass_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Доля педагогов на низшем уровне для массового дефицита."
        ),
    ] = MASS_SHARE,
    as_json: AsJson = False,
) -> None:
    """ДПП для массовых дефицитов, выявленных диагностикой у её участников (диагностика 7.2):
    программы каталога для каждого дефицита или предложение разработать программу.

    Коды выхода: 0 — выведены; 1 — отказ (нет такой диагностики); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns orders 0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21 --mass-share 0.3
    """
    from aggregates.errors import DomainError  # noqa: PLC0415
    from workers.cli.catalogue import print_orders  # noqa: PLC0415

    try:
        found = _open().orders(campaign, mass_share)
    except DomainError as error:
        raise _refused(error) from None
    print_orders(found, as_json=as_json)


@campaigns.command("import")
@database_errors
def import_file(
    file: Annotated[Path, typer.Argument(help="Выгрузка платформы: .csv или .xlsx.")],
    *,
    campaign: CampaignOpt,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    as_json: AsJson = False,
) -> None:
    """Загрузить результаты диагностики из выгрузки платформы: файл проверяется целиком
    (каждая ошибочная строка названа, ничего не записано), затем результат каждого педагога
    вносится в его ИОМ ровно один раз.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns import results.xlsx --campaign 0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21
    """
    from aggregates.errors import DomainError  # noqa: PLC0415
    from runtime.campaign_import import ImportRefusedError, import_results  # noqa: PLC0415

    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"файл {file} не прочитан: {error.strerror}") from None
    found = _open()
    actor = _actor(by, role)
    shown = 0
    try:
        total = len(found.campaign(campaign).participants)  # a row per participant at most
        with progress(total or 1, "Результаты") as advance:

            def told(done: int, rows: int) -> None:  # noqa: ARG001 - the bar counts done
                nonlocal shown
                advance(max(0, done - shown))
                shown = done

            report = import_results(found, campaign, data, file.name, actor, progress=told)
    except ImportRefusedError as error:
        typer.echo(f"отказ: {error.message}", err=True)
        for problem in error.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(REFUSED) from None
    except DomainError as error:
        raise _refused(error) from None
    answer = {
        "campaign_id": str(report.campaign_id),
        "rows": report.rows,
        "recorded": report.recorded,
        "unchanged": report.unchanged,
        "events": report.events,
    }
    if as_json:
        emit_json(answer)
        return
    typer.echo(
        f"Строк: {report.rows}; внесено сейчас: {report.recorded};"
        f" внесено ранее: {report.unchanged}; событий: {report.events}"
    )


@campaigns.command("announce")
@database_errors
def announce(
    campaign: CampaignArg,
    *,
    group: Annotated[str, typer.Option("--group", help="Группа: место и время диагностики.")],
    school: Annotated[
        list[str] | None, typer.Option("--school", help="ОО (можно несколько).")
    ] = None,
    municipality: Annotated[
        list[str] | None, typer.Option("--municipality", help="Муниципалитет (можно несколько).")
    ] = None,
    subject: Annotated[list[str] | None, typer.Option("--subject", help="Предмет.")] = None,
    teacher: Annotated[list[str] | None, typer.Option("--teacher", help="Педагог (id).")] = None,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    key: KeyOpt = "",
    as_json: AsJson = False,
) -> None:
    """Оповестить о месте и времени диагностики педагогов с открытыми ИОМ: из ОО,
    муниципалитетов, предметов или списка (по таблицам мониторинга: iom projector).

    Каждому участнику — задача во входящих и уведомление (вебхук, почта) через Temporal
    (IOM_TEMPORAL_ADDRESS): повторный вызов с тем же ключом ничего не удвоит.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных или Temporal недоступны.

    Пример: iom campaigns announce ID --group g1 --school school-sakha-01
    """
    from aggregates.campaign_commands import AnnounceCampaign, Candidate  # noqa: PLC0415
    from aggregates.errors import DomainError  # noqa: PLC0415
    from projections.catalog import open_projection  # noqa: PLC0415
    from projections.routes import Chosen, open_routes_of  # noqa: PLC0415

    found = _open()
    chosen = Chosen(school or [], municipality or [], subject or [], teacher or [])
    try:
        region = found.campaign(campaign).profile.id
        view = open_projection(found.routes, "monitoring").view
        with view.transaction(commit=False) as db:
            rows = open_routes_of(db, region, chosen)
        if not rows:
            raise fail("по условиям выбора нет педагогов с открытыми ИОМ")
        command = AnnounceCampaign(participants=[Candidate(group_id=group, **r) for r in rows])
        receipt = found.execute(campaign, command, _actor(by, role), key or f"cli:announce:{group}")
    except DomainError as error:
        raise _refused(error) from None
    if receipt.events or receipt.replayed:  # again on a repeated call: none doubled
        asyncio.run(_notify(found, campaign, receipt.version))
    _show(found.campaign(campaign), as_json=as_json)


async def _notify(found: Campaigns, campaign: UUID, version: int) -> None:
    """Start the announcement's notices to the participants (by the worker's channels)."""
    from runtime.gateway import RouteGateway  # noqa: PLC0415
    from runtime.settings import Settings  # noqa: PLC0415
    from workers.cli.worker import reach  # noqa: PLC0415

    settings = Settings()
    client = await reach(settings)
    await RouteGateway(client, found.routes, settings.task_queue).announce(campaign, version)


@campaigns.command("close")
@database_errors
def close(
    campaign: CampaignArg,
    *,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    as_json: AsJson = False,
) -> None:
    """Закрыть диагностику: участники без отметки и без результата — отсутствовали.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns close ID
    """
    from aggregates.campaign_commands import CloseCampaign  # noqa: PLC0415

    actor, command_id = _actor(by, role), f"cli:close:{campaign}"
    _decide(campaign, CloseCampaign, {}, actor=actor, command_id=command_id, as_json=as_json)


ReasonOpt = Annotated[str, typer.Option("--reason", help="Причина.")]


@campaigns.command("remove")
@database_errors
def remove(
    campaign: CampaignArg,
    *,
    teacher: Annotated[list[str], typer.Option("--teacher", help="Педагог (id); можно несколько.")],
    reason: ReasonOpt,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    key: KeyOpt = "",
    as_json: AsJson = False,
) -> None:
    """Исключить участников из диагностики, с причиной: их задачи во входящих отменяются.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns remove ID --teacher teacher-00007 --reason "Педагог в отпуске"
    """
    from aggregates.campaign_commands import RemoveParticipants  # noqa: PLC0415

    given = {"teachers": teacher, "reason": reason}
    command_id = key or f"cli:remove:{campaign}:{','.join(sorted(teacher))}"
    actor = _actor(by, role)
    _decide(
        campaign, RemoveParticipants, given, actor=actor, command_id=command_id, as_json=as_json
    )


@campaigns.command("cancel")
@database_errors
def cancel(
    campaign: CampaignArg,
    *,
    reason: ReasonOpt,
    by: ByOpt = "operator-cli",
    role: RoleOpt = "operator",
    as_json: AsJson = False,
) -> None:
    """Отменить диагностику, с причиной, пока она не проведена: задачи участников отменяются.

    Коды выхода: 0 — выполнено; 1 — отказ по правилу (причина выведена); 2 — неверный вызов;
    3 — база данных недоступна.

    Пример: iom campaigns cancel ID --reason "Перенос сроков"
    """
    from aggregates.campaign_commands import CancelCampaign  # noqa: PLC0415

    given = {"reason": reason}
    actor, command_id = _actor(by, role), f"cli:cancel:{campaign}"
    _decide(campaign, CancelCampaign, given, actor=actor, command_id=command_id, as_json=as_json)


def _decide(
    campaign: UUID,
    kind: type[CampaignCommand],
    given: dict[str, Any],
    *,
    actor: Actor,
    command_id: str,
    as_json: bool,
) -> None:
    """Decide the campaign's command of `kind` from its fields and show the campaign; a bad
    field exits 2 naming it, a refusal 1."""
    from pydantic import ValidationError  # noqa: PLC0415

    from aggregates.errors import DomainError, invalid_content  # noqa: PLC0415

    try:
        command = kind.model_validate(given)
    except ValidationError as error:
        raise fail(invalid_content(error).message) from None
    found = _open()
    try:
        found.execute(campaign, command, actor, command_id)
    except DomainError as error:
        raise _refused(error) from None
    _show(found.campaign(campaign), as_json=as_json)
