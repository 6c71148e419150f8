"""`iom catalogue`: the region's ДПП catalogue (import a file, list it at any version, the ДПП
to order for mass deficits) and `iom routes suggest`: a route suggested from its deficits.

An import is checked whole before anything is kept (`adapters.programmes`); the command id is
the file's digest, so the same file sent again changes nothing either way."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from adapters.programmes import ProgrammeFileError, read_programmes
from aggregates.errors import DomainError
from aggregates.profiles import UnknownProfileError
from aggregates.programmes.orders import (
    MASS_SHARE,
    OrderProposal,
    count_deficits,
    propose_orders,
)
from aggregates.programmes.suggestion import suggest
from aggregates.programmes.values import FORMAT_TITLES
from aggregates.values import ACTIVITY_LEVEL_TITLES, CATALOGUE_VERSIONS, Actor, Role
from runtime.settings import Settings
from workers.cli.output import database_errors, emit_json, emit_records, fail
from workers.cli.route_ref import RouteArg
from workers.context import build_routes

catalogue = typer.Typer(
    add_completion=False,
    help=(
        "Каталог ДПП региона: загрузка файла (CSV, XLSX, JSON), список в любой версии, ДПП для"
        " массовых дефицитов. Коды выхода: 0 — выполнено; 2 — файл или параметры неверны"
        " (ничего не записано).\n\nПример: iom catalogue import programmes.xlsx --region sakha"
        " --centre-head centre-head-sakha"
    ),
    no_args_is_help=True,
)
routes_cli = typer.Typer(add_completion=False, no_args_is_help=True)

RegionOpt = Annotated[str, typer.Option("--region", help="Код регламента региона, например sakha.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Вывести CSV вместо таблицы.")]


@catalogue.command("import")
@database_errors
def import_file(
    file: Annotated[Path, typer.Argument(help="Файл программ: .csv, .xlsx или .json.")],
    region: RegionOpt,
    centre_head: Annotated[
        str, typer.Option("--centre-head", help="Кто ведёт каталог: id руководителя ЦНППМ.")
    ],
) -> None:
    """Загрузить программы ДПП из файла: файл проверяется целиком, каждая ошибка названа
    строкой и столбцом; при любой ошибке ничего не записывается. Повтор того же файла ничего
    не меняет.

    Коды выхода: 0 — загружен (или не изменил каталог); 2 — файл или параметры неверны,
    ничего не записано; 3 — база данных недоступна.

    Пример: iom catalogue import programmes.csv --region sakha --centre-head centre-head-sakha
    """
    try:
        data = file.read_bytes()
    except OSError as error:
        raise fail(f"файл {file} не читается: {error.strerror}") from None
    routes = build_routes(Settings())
    try:
        profile = routes.profiles.latest(region)
        programmes = read_programmes(data, file.name, profile)
        before = routes.catalogues.catalogue(region).version
        version = routes.catalogues.put(
            profile,
            programmes,
            Actor(id=centre_head, role=Role.CENTRE_HEAD),
            f"import:{hashlib.sha256(data).hexdigest()[:32]}",
        )
    except UnknownProfileError as error:
        raise fail(str(error)) from None
    except ProgrammeFileError as error:
        for problem in error.problems:
            typer.echo(f"ошибка: {problem}", err=True)
        raise fail(f"файл {file.name} не принят, ничего не записано") from None
    except DomainError as error:
        raise fail(f"{error.field}: {error.message}" if error.field else error.message) from None
    finally:
        routes.close()
    if version == before:
        typer.echo(f"Каталог не изменился: версия {version}, программ в файле {len(programmes)}.")
    else:
        typer.echo(f"Каталог ДПП {region}: версия {version}, программ в файле {len(programmes)}.")


@catalogue.command("list")
@database_errors
def list_programmes(
    region: RegionOpt,
    version: Annotated[
        int | None, typer.Option(help="Версия каталога.", min=1, max=CATALOGUE_VERSIONS)
    ] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Программы каталога ДПП региона: последняя версия или указанная.

    Коды выхода: 0 — выведены; 2 — нет такой версии или неверный вызов; 3 — база данных
    недоступна.

    Пример: iom catalogue list --region sakha --version 2 --json
    """
    routes = build_routes(Settings())
    try:
        found = routes.catalogues.catalogue(region, version)
    except DomainError as error:
        raise fail(error.message) from None
    finally:
        routes.close()
    rows = [p.model_dump(mode="json") for p in found.listed()]
    shown = [
        ("registry_number", "номер"),
        ("title", "название"),
        ("provider", "организация"),
        ("hours", "часы"),
        ("format", "форма"),
        ("level", "уровень"),
        ("addresses", "компетенции: уровни"),
    ]

    def cell(column: str, row: dict[str, object]) -> object:
        value = row[column]
        if column == "format":
            return next(t for f, t in FORMAT_TITLES.items() if f.value == value)
        if column == "level":
            return next(t for lv, t in ACTIVITY_LEVEL_TITLES.items() if lv.value == value)
        if column == "addresses" and isinstance(value, list):
            return "; ".join(
                f"{a['competence']}: {', '.join(map(str, a['levels']))}" for a in value
            )
        return value

    emit_records(
        f"Каталог ДПП {region}, версия {found.version}",
        rows,
        shown,
        cell,
        as_json=as_json,
        as_csv=as_csv,
    )


@catalogue.command("orders")
@database_errors
def orders(
    region: RegionOpt,
    route: Annotated[
        list[str] | None, typer.Option("--route", help="ИОМ (id или ключ); можно несколько.")
    ] = None,
    mass_share: Annotated[
        float, typer.Option(help="Доля педагогов на низшем уровне для массового дефицита.")
    ] = MASS_SHARE,
    as_json: JsonOpt = False,
) -> None:
    """ДПП для массовых дефицитов (диагностика 7.2) по указанным ИОМ или по всем ИОМ региона:
    программы каталога для каждого дефицита или предложение разработать программу.

    Коды выхода: 0 — выведены; 2 — неверный вызов (регион, ИОМ); 3 — база данных недоступна.

    Пример: iom catalogue orders --region sakha --mass-share 0.3
    """
    from workers.cli.route_ref import resolve_route  # noqa: PLC0415 - resolves keys too

    routes = build_routes(Settings())
    try:
        profile = routes.profiles.latest(region)
        ids = [resolve_route(text) for text in route] if route else list(routes.route_ids())
        chosen = [routes.route(rid) for rid in ids]
        counted, counts = count_deficits(r for r in chosen if r.profile.id == region)
        found = propose_orders(
            profile, routes.catalogues.catalogue(region), counts, counted, mass_share
        )
    except (UnknownProfileError, DomainError) as error:
        raise fail(str(error)) from None
    finally:
        routes.close()
    print_orders(found, as_json=as_json)


def print_orders(found: OrderProposal, *, as_json: bool) -> None:
    """The mass deficits and their programmes: JSON, or a table of what each proposes."""
    if as_json:
        emit_json(found.model_dump(mode="json"))
        return
    emit_records(
        f"Массовые дефициты: {found.routes} ИОМ, каталог ДПП версии {found.catalogue_version}",
        [order.model_dump(mode="json") for order in found.orders],
        [
            ("name", "компетенция"),
            ("lowest", "на низшем уровне"),
            ("share", "доля"),
            ("advice", "что предлагается"),
        ],
        lambda column, row: row[column],
        as_json=False,
        as_csv=False,
    )


@routes_cli.callback()
def _routes() -> None:
    """ИОМ: предложение по дефицитам.

    Пример: iom routes suggest demo-sakha-00003
    """


@routes_cli.command("suggest")
@database_errors
def suggest_route(route: RouteArg, as_json: JsonOpt = False) -> None:
    """Предложить ИОМ по дефицитам входной диагностики: черновик плана из каталога ДПП и видов
    мероприятий регламента, у каждого мероприятия — почему предложено; дефициты без
    предложений названы. Ничего не сохраняется; с --json — план целиком для design_route.

    Коды выхода: 0 — предложен; 1 — ИОМ не найден; 2 — неверный вызов; 3 — база данных
    недоступна.

    Пример: iom routes suggest demo-sakha-00003 --json
    """
    routes = build_routes(Settings())
    try:
        found = routes.route(route)
        today = routes.clock().astimezone(ZoneInfo(found.profile.time_zone)).date()
        suggestion = suggest(found, routes.catalogues.catalogue(found.profile.id), today)
    except DomainError as error:
        raise fail(error.message, 1) from None
    finally:
        routes.close()
    if as_json:
        emit_json(suggestion.model_dump(mode="json"))
        return
    plan = suggestion.plan
    why = {reason.activity_id: reason.why for reason in suggestion.reasons}
    emit_records(
        f"Предложение по дефицитам (каталог ДПП версии {suggestion.catalogue_version})",
        [a.model_dump(mode="json") | {"why": why[a.id]} for a in (plan.activities if plan else [])],
        [
            ("id", "№"),
            ("title", "мероприятие"),
            ("starts_on", "начало"),
            ("ends_on", "окончание"),
            ("why", "почему предложено"),
        ],
        lambda column, row: row[column],
        as_json=False,
        as_csv=False,
    )
    for deficit in suggestion.unanswered:
        typer.echo(f"не найдено предложений: {deficit.name} (уровень «{deficit.level_name}»)")
