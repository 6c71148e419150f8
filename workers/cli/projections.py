"""`iom projector`, `iom projections status|rebuild`, `iom monitor …`: the read side's operations.

`projector` runs the projections (each under its lease; as many processes as you like on
PostgreSQL, one per store on SQLite). `projections` shows where each stands against the store,
lists the routes parked on an event a projection could not apply and retries them, and
rebuilds one from the first event. `monitor` prints a monitoring table, filtered by region,
municipality, school, methodist, subject or route, as a table, JSON or CSV.

Exit codes of these commands: 0 success; 1 a finding (a projection's lease held elsewhere, a
parked route, a retry that failed again);
2 bad usage (an unknown projection, a filter a table does not have, both --json and --csv);
3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

import typer

from aggregates.application import Routes
from projections import (
    activities,
    agreement,
    audit,
    corrections,
    diagnostics,
    dynamics,
    refusals,
    routes,
)
from projections.catalog import (
    PROJECTIONS,
    LeaseHeldError,
    catch_up,
    open_projection,
    rebuild_all,
    retry_parked,
    statuses,
)
from projections.incidents import as_json as incident_json
from projections.runner import CATCH_UP, RunnerOptions
from projections.tables import Db, Filters, Table, UnsupportedFilterError
from runtime.settings import Settings
from workers.cli.output import (
    database_errors,
    database_guard,
    emit_csv,
    emit_json,
    emit_records,
    emit_table,
    fail,
    in_words,
    progress,
    words,
)
from workers.cli.route_ref import RouteOpt
from workers.context import build_routes
from workers.projector import Checkpointing, Projector, tune_gc
from workers.up import audit_key
from workers.webhooks import DeliveryPolicy

projections = typer.Typer(
    add_completion=False,
    help="Проекции: где они стоят, их пересборка.\n\nПример: iom projections status",
    no_args_is_help=True,
)
monitor = typer.Typer(
    add_completion=False,
    help=(
        "Таблицы мониторинга (проекции) с отбором: таблица, JSON или CSV.\n\nПример: iom monitor "
        "routes --region sakha --json"
    ),
    no_args_is_help=True,
)

MONITOR_EXIT_CODES = """

    Коды выхода: 0 — выведено (и когда ни одна строка не подошла); 2 — неверный вызов (отбор,
    которого у таблицы нет; и --json, и --csv); 3 — база данных недоступна (IOM_DATABASE_URL).
"""

NameOpt = Annotated[
    list[str] | None, typer.Option("--only", help="Только эта проекция (можно несколько раз).")
]


def projector(
    only: NameOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Догнать последнее событие хранилища и завершиться.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Наибольшая порция (событий за одно чтение).")
    ] = CATCH_UP.batch_size,
    poll_interval: Annotated[
        float,
        typer.Option(
            min=0.01, help="Секунд между просмотрами хранилища SQLite (подписок в нём нет)."
        ),
    ] = 0.2,
) -> None:
    """Вести проекции до остановки (SIGINT, SIGTERM): таблицы мониторинга, журнал аудита и
    исходящие уведомления портала, каждое событие ровно один раз, каждую проекцию под своей
    арендой в PostgreSQL; и доставку подписок портала на уведомления (настройки IOM_WEBHOOK_*).

    Коды выхода: 0 — остановлен или догнал хранилище (--once); 1 — --once, когда аренду
    проекции держит другой процесс; 2 — неизвестная проекция; 3 — база данных недоступна.

    Пример: iom projector
    """
    with database_guard():
        _project(only, once=once, batch_size=batch_size, poll_interval=poll_interval)


def _project(
    only: Sequence[str] | None, *, once: bool, batch_size: int, poll_interval: float
) -> None:
    settings = Settings()
    names = _names(only)
    tune_gc()
    options = RunnerOptions(batch_size=batch_size, poll_interval=poll_interval)
    checkpointing = Checkpointing(audit_key(settings), settings.audit_checkpoint_interval)
    if once:
        application = build_routes(settings)
        for name in names:
            try:
                position = catch_up(application, name, options=options)
            except LeaseHeldError as error:
                raise fail(str(error), 1) from None
            typer.echo(f"{name}: {position}")
        if "audit" in names:
            checkpointing.write(application)
        return
    delivery = DeliveryPolicy.from_settings(settings)
    Projector(
        lambda: build_routes(settings),
        names,
        options=options,
        delivery=delivery,
        checkpointing=checkpointing,
    ).serve()


@projections.command()
@database_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Вывести CSV вместо таблицы.")] = False,
) -> None:
    """Позиция каждой проекции, последний номер в журнале хранилища, отставание, кто ведёт
    проекцию, остановленные ею ИОМ (событие, которое она не смогла применить) и задержанные для
    них события.

    Коды выхода: 0 — выведено; 3 — база данных недоступна.

    Пример: iom projections status --json
    """
    found = statuses(build_routes(Settings()))
    rows = [
        {"projection": s.name, "position": s.position, "head": s.head, "lag": s.lag}
        | {"holder": s.holder, "parked_routes": len(s.incidents), "held_events": s.held}
        for s in found
    ]
    shown = [
        *(("projection", "проекция"), ("position", "позиция"), ("head", "последнее событие")),
        *(("lag", "отставание"), ("holder", "ведёт"), ("parked_routes", "остановлено ИОМ")),
        ("held_events", "задержано событий"),
    ]
    emit_records(
        "Проекции",
        rows,
        shown,
        lambda column, row: _cell(column, row, {}),
        as_json=as_json,
        as_csv=as_csv,
    )


@projections.command()
@database_errors
def incidents(
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Вывести CSV вместо таблицы.")] = False,
) -> None:
    """ИОМ, остановленные проекцией, потому что она не смогла применить одно из их событий:
    проекция, ИОМ, событие (номер в журнале, версия, тип), ошибка, когда впервые и в последний
    раз, сколько раз, и задержанные с тех пор события. Остальные ИОМ обрабатываются дальше.

    Коды выхода: 0 — таких нет; 1 — выведены (устраните причину, затем iom projections retry);
    3 — база данных недоступна.

    Пример: iom projections incidents --json
    """
    found = [i for s in statuses(build_routes(Settings())) for i in s.incidents]
    if not found and not (as_json or as_csv):
        typer.echo("Остановленных ИОМ нет: проекции применили все события")
    else:
        shown = [
            *(("projection", "проекция"), ("route_id", "ИОМ")),
            *(("notification_id", "№ в журнале"), ("event_type", "событие"), ("error", "ошибка")),
            *(("first_seen", "впервые"), ("failures", "сбоев"), ("held", "задержано")),
        ]
        emit_records(
            f"Остановленные ИОМ: {len(found)}",
            [incident_json(i) for i in found],
            shown,
            lambda column, row: _cell(column, row, {}),
            as_json=as_json,
            as_csv=as_csv,
        )
    if found:
        raise typer.Exit(1)


@projections.command()
@database_errors
def retry(
    route: RouteOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON.")] = False,
) -> None:
    """Снова применить задержанные события остановленных ИОМ (всех или --route) после того, как
    причина устранена: ИОМ, чьи события теперь применились, больше не остановлен; снова
    давший сбой остаётся остановленным, сбой засчитывается. Безопасно при работающем iom projector.

    Коды выхода: 0 — все повторённые ИОМ применены (или остановленных нет); 1 — снова сбой;
    3 — база данных недоступна.

    Пример: iom projections retry --route demo-sakha-00004
    """
    done = retry_parked(build_routes(Settings()), route)
    if as_json:
        emit_json([r.__dict__ for r in done])
    elif not done:
        typer.echo("Остановленных ИОМ нет")
    for r in done if not as_json else ():
        if r.result == "applied":
            typer.echo(f"{r.projection}: ИОМ {r.route_id} — применено событий: {r.events}")
        else:
            typer.echo(f"{r.projection}: ИОМ {r.route_id} — снова сбой: {r.error}")
    if any(r.result == "failed" for r in done):
        raise typer.Exit(1)


@projections.command()
@database_errors
def rebuild(
    name: Annotated[
        str | None,
        typer.Argument(help="Проекция: `monitoring`, `audit` или `webhooks`; без аргумента — все."),
    ] = None,
) -> None:
    """Удалить таблицы проекции и применить все события заново с первого. Если проекцию ведёт
    работающий проектор, он переделывает работу, а команда следит за его ходом. На терминале —
    индикатор в stderr.

    Коды выхода: 0 — пересобрана; 2 — неизвестная проекция; 3 — база данных недоступна.

    Пример: iom projections rebuild monitoring
    """
    names = _names([name] if name else None)
    application = build_routes(Settings())
    tune_gc()
    head = application.recorder.max_notification_id() or 0
    with progress(head * len(names), f"Пересборка {', '.join(names)}") as advance:
        done = dict.fromkeys(names, 0)

        def moved(each: str, position: int) -> None:
            advance(max(position - done[each], 0))
            done[each] = max(done[each], position)

        reached = rebuild_all(application, names, on_batch=moved)
    for each in names:
        typer.echo(f"{each}: пересобрана до события {reached[each]}")


def _names(only: Sequence[str] | None) -> list[str]:
    names = list(only or PROJECTIONS)
    unknown = [n for n in names if n not in PROJECTIONS]
    if unknown:
        raise fail(f"нет проекции «{unknown[0]}»; известны: {', '.join(PROJECTIONS)}")
    return names


# Monitoring.

Region = Annotated[
    str | None, typer.Option("--region", help="Регион (id регламента), например sakha.")
]
Municipality = Annotated[str | None, typer.Option("--municipality", help="Id муниципалитета.")]
School = Annotated[str | None, typer.Option("--school", help="Id ОО.")]
Methodist = Annotated[str | None, typer.Option("--methodist", help="Id методиста.")]
Subject = Annotated[str | None, typer.Option("--subject", help="Предмет, например математика.")]
Limit = Annotated[int, typer.Option("--limit", min=0, help="Не больше стольких строк (0 — все).")]
AsJson = Annotated[bool, typer.Option("--json", help="Вывести JSON.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Вывести CSV.")]

Query = Callable[[Db, Filters, int | None], list[dict[str, Any]]]


def _show(
    title: str,
    query: Query,
    shown: Sequence[tuple[str, str]],
    filters: Filters,
    limit: int,
    *,
    as_json: bool,
    as_csv: bool,
    projection: str = "monitoring",
) -> None:
    if as_json and as_csv:
        raise fail("укажите --json или --csv, не оба")
    application = build_routes(Settings())  # keep it: the view shares its datastore
    view = open_projection(application, projection).view
    try:
        with view.transaction(commit=False) as db:
            rows = query(db, filters, limit or None)
    except UnsupportedFilterError as error:
        raise fail(f"фильтр {', '.join(error.columns)} не применим к «{title}»") from None
    _emit(title, rows, shown, as_json=as_json, as_csv=as_csv, application=application)


def _emit(
    title: str,
    rows: list[dict[str, Any]],
    shown: Sequence[tuple[str, str]],
    *,
    as_json: bool,
    as_csv: bool,
    application: Routes,
) -> None:
    if as_json:
        emit_json(rows)
    elif as_csv:
        if rows:
            emit_csv(list(rows[0]), [list(r.values()) for r in rows])
    else:
        names = {p: application.profiles.latest(p) for p in application.profiles.ids()}
        emit_table(
            f"{title}: {len(rows)}",
            [heading for _, heading in shown],
            [[_cell(column, row, names) for column, _ in shown] for row in rows],
        )


def _cell(column: str, row: dict[str, Any], profiles: dict[str, Any]) -> str:
    value = row.get(column)
    if column == "competence" and row.get("profile_id") in profiles:
        return str(profiles[row["profile_id"]].competence_name(value))
    if column in words():
        return str(in_words(column, value))
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return f"{value:.0%}" if column.endswith("share_done") else f"{value:.2f}"
    if isinstance(value, str) and column.endswith("_at"):
        return value[:16].replace("T", " ")
    return "—" if value is None or value == "" else str(value)


def _headings(table: Table, columns: Sequence[str]) -> list[tuple[str, str]]:
    titles = {c.name: c.title or c.name for c in table.columns}
    return [(c, titles.get(c, c)) for c in columns]


def _table_command(
    name: str,
    title: str,
    query: Query,
    headings: list[tuple[str, str]],
    doc: str,
    *,
    default_limit: int,
    projection: str = "monitoring",
) -> None:
    """Register `iom monitor NAME`: a per-route table with every filter (one signature for all)."""

    @database_errors
    def command(
        *,
        region: Region = None,
        municipality: Municipality = None,
        school: School = None,
        methodist: Methodist = None,
        subject: Subject = None,
        route: RouteOpt = None,
        limit: Limit = default_limit,
        as_json: AsJson = False,
        as_csv: AsCsv = False,
    ) -> None:
        filters = Filters(region, municipality, school, methodist, subject, route)
        _show(
            title,
            query,
            headings,
            filters,
            limit,
            as_json=as_json,
            as_csv=as_csv,
            projection=projection,
        )

    command.__doc__ = _with_exit_codes(doc)
    monitor.command(name)(command)


def _with_exit_codes(doc: str) -> str:
    """A monitor command's docstring with the exit codes before its example."""
    text, example = doc.rstrip().rsplit("\n\n", 1)
    return f"{text}{MONITOR_EXIT_CODES}\n{example}\n"


def _monitor_command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@monitor.command(name)` for a hand-written table command: exit codes documented, an
    unreachable database said in Russian."""

    def register(command: Callable[..., None]) -> Callable[..., None]:
        guarded = database_errors(command)
        guarded.__doc__ = _with_exit_codes(command.__doc__ or "")
        return monitor.command(name)(guarded)

    return register


_table_command(
    "routes",
    "ИОМ",
    routes.query_routes,
    _headings(
        routes.ROUTES,
        [
            "route_id",
            "profile_id",
            "municipality_id",
            "school_id",
            "methodist_id",
            "stage_name",
            "ends_on",
            "share_done",
            "overdue",
            "next_deadline",
        ],
    ),
    """ИОМ: этап, срок, доля выполненного, просрочки, ближайший срок (ближайшие первыми).

    Пример: iom monitor routes --region sakha --municipality mun-sakha-01
    """,
    default_limit=1000,
)

_table_command(
    "activities",
    "Мероприятия",
    activities.query_activities,
    _headings(
        activities.ACTIVITIES,
        [
            "route_id",
            "activity_id",
            "title",
            "level",
            "ends_on",
            "result_form",
            "done",
            "reason",
            "product",
            "overdue",
        ],
    ),
    """Мониторинг реализации мероприятий ИОМ: каждое мероприятие, отметка, результат и продукт.

    Пример: iom monitor activities --route demo-sakha-00005
    """,
    default_limit=1000,
)

_table_command(
    "agreement",
    "Согласование",
    agreement.query_agreement,
    _headings(
        agreement.AGREEMENT,
        ["route_id", "role", "action", "round", "revision", "since", "school_id"],
    ),
    """Кто держит каждый ИОМ на согласовании и с какого времени (дольше всех ждущие первыми).

    Пример: iom monitor agreement --region balakhta
    """,
    default_limit=1000,
)

_table_command(
    "corrections",
    "Корректировки",
    corrections.query_corrections,
    _headings(
        corrections.CORRECTIONS,
        [
            "route_id",
            "number",
            "corrected_on",
            "reason",
            "added",
            "removed",
            "changed",
            "awaiting",
            "acknowledged",
        ],
    ),
    """Сведения о корректировке ИОМ: номер, дата, причина, изменения, кого ждёт, ознакомление.

    Пример: iom monitor corrections --region sakha
    """,
    default_limit=1000,
)

_table_command(
    "audit",
    "Журнал аудита",
    audit.query_audit,
    _headings(
        audit.AUDIT,
        ["recorded_at", "route_id", "version", "event_type", "actor_id", "role", "summary"],
    ),
    """Журнал аудита: все события, последние первыми, с записью по-русски.

    Пример: iom monitor audit --route demo-sakha-00004
    """,
    default_limit=200,
    projection="audit",
)


@_monitor_command("methodists")
def monitor_methodists(
    *,
    region: Region = None,
    methodist: Methodist = None,
    limit: Limit = 1000,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Нагрузка методистов: идущие ИОМ против нормы регламента, с отметкой о перегрузке.

    Пример: iom monitor methodists --region sakha
    """
    shown = [
        ("profile_id", "регион"),
        ("methodist_id", "методист"),
        ("active_routes", "активных ИОМ"),
        ("routes", "всего ИОМ"),
        ("capacity", "норма"),
        ("over_capacity", "перегрузка"),
    ]
    filters = Filters(profile_id=region, methodist_id=methodist)
    _show(
        "Нагрузка методистов",
        routes.query_methodists,
        shown,
        filters,
        limit,
        as_json=as_json,
        as_csv=as_csv,
    )


@_monitor_command("dynamics")
def monitor_dynamics(
    *,
    by: Annotated[
        Literal["route", "school", "municipality"],
        typer.Option(
            "--by",
            help="`route` (каждый ИОМ) или средние по `school` (ОО) или `municipality`"
            " (муниципалитету).",
        ),
    ] = "route",
    region: Region = None,
    municipality: Municipality = None,
    school: School = None,
    methodist: Methodist = None,
    subject: Subject = None,
    route: RouteOpt = None,
    limit: Limit = 1000,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Динамика компетенций: входной уровень против итогового, по каждому ИОМ или по ОО или
    муниципалитетам.

    Пример: iom monitor dynamics --by municipality --region chelyabinsk
    """
    filters = Filters(region, municipality, school, methodist, subject, route)
    if by == "route":
        shown = _headings(
            dynamics.DYNAMICS,
            ["route_id", "competence", "school_id", "input_level", "final_level", "change"],
        )
        _show(
            "Динамика",
            dynamics.query_dynamics,
            shown,
            filters,
            limit,
            as_json=as_json,
            as_csv=as_csv,
        )
        return
    group: Literal["school", "municipality"] = "school" if by == "school" else "municipality"
    place = f"{group}_id"
    shown = [
        ("profile_id", "регион"),
        (place, "ОО" if by == "school" else "муниципалитет"),
        ("competence", "компетенция"),
        ("tested", "продиагностировано"),
        ("mean_input", "средний входной"),
        ("compared", "с итоговой"),
        ("mean_final", "средний итоговый"),
        ("improved", "с ростом"),
    ]

    def grouped(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
        return dynamics.query_dynamics_by(db, group, filters, limit)

    _show(
        f"Динамика по {'ОО' if by == 'school' else 'муниципалитетам'}",
        grouped,
        shown,
        filters,
        limit,
        as_json=as_json,
        as_csv=as_csv,
    )


@_monitor_command("diagnostics")
def monitor_diagnostics(
    *,
    by: Annotated[
        Literal["route", "school", "municipality", "region"],
        typer.Option(
            "--by",
            help="`route` (каждый ИОМ) или средние по `school` (ОО), `municipality`"
            " (муниципалитету) или `region` (региону).",
        ),
    ] = "route",
    region: Region = None,
    municipality: Municipality = None,
    school: School = None,
    methodist: Methodist = None,
    subject: Subject = None,
    route: RouteOpt = None,
    limit: Limit = 1000,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Динамика по каждой диагностике: входная, каждая промежуточная, итоговая — уровень
    компетенции и его изменение к входной, по каждому ИОМ или средние по ОО, муниципалитетам
    или региону.

    Пример: iom monitor diagnostics --by school --region sakha
    """
    filters = Filters(region, municipality, school, methodist, subject, route)
    if by == "route":
        shown = _headings(
            diagnostics.DIAGNOSTICS,
            ["route_id", "competence", "step", "kind", "taken_on", "level", "change"],
        )
        _show(
            "Динамика по диагностикам",
            diagnostics.query_teacher_steps,
            shown,
            filters,
            limit,
            as_json=as_json,
            as_csv=as_csv,
        )
        return
    places = {"school": "ОО", "municipality": "муниципалитет", "region": "регион"}
    shown = [
        (column, title)
        for column, title in (
            ("profile_id", "регион"),
            ("municipality_id", "муниципалитет"),
            ("school_id", "ОО"),
        )
        if column in diagnostics.PLACES[by]
    ]
    shown += [
        ("competence", "компетенция"),
        ("step", "диагностика №"),
        ("kind", "вид"),
        ("tested", "продиагностировано"),
        ("mean_level", "средний уровень"),
        ("mean_change", "средняя динамика к входной"),
    ]

    def grouped(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
        return diagnostics.query_steps(db, by, filters, limit)

    _show(
        f"Динамика по диагностикам: {places[by]}",
        grouped,
        shown,
        filters,
        limit,
        as_json=as_json,
        as_csv=as_csv,
    )


@_monitor_command("deficits")
def monitor_deficits(
    *,
    region: Region = None,
    municipality: Municipality = None,
    subject: Subject = None,
    limit: Limit = 1000,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Массовые дефициты: компетенции на низшем уровне во входных диагностиках, по
    муниципалитетам и предметам, самые частые первыми.

    Пример: iom monitor deficits --region sakha --subject математика
    """
    shown = [
        ("profile_id", "регион"),
        ("municipality_id", "муниципалитет"),
        ("subject", "предмет"),
        ("competence", "компетенция"),
        ("diagnosed", "продиагностировано"),
        ("lowest", "на низшем уровне"),
        ("lowest_share", "доля"),
    ]
    filters = Filters(profile_id=region, municipality_id=municipality, subject=subject)
    _show(
        "Массовые дефициты",
        dynamics.query_deficits,
        shown,
        filters,
        limit,
        as_json=as_json,
        as_csv=as_csv,
    )


@_monitor_command("refusals")
def monitor_refusals(
    *,
    route: RouteOpt = None,
    limit: Limit = 200,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Отклонённые команды: кто что пытался сделать и правило, по которому отказано (последние
    первыми).

    Пример: iom monitor refusals --route demo-sakha-00004
    """
    if as_json and as_csv:
        raise fail("укажите --json или --csv, не оба")
    application = build_routes(Settings())
    refusals.create_table(application)
    view = open_projection(application, "audit").view
    with view.transaction(commit=False) as db:
        rows = refusals.query_refusals(db, Filters(route_id=route), limit or None)
    shown = [
        ("refused_at", "время"),
        ("route_id", "ИОМ"),
        ("actor_id", "кто"),
        ("role", "роль"),
        ("command", "команда"),
        ("rule", "правило"),
        ("field", "поле"),
        ("message", "сообщение"),
    ]
    _emit(
        "Отклонённые команды", rows, shown, as_json=as_json, as_csv=as_csv, application=application
    )
