"""`iom docs`: the documents of a route (at any version or moment), campaign reports and the
methodists' report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import typer

from aggregates.errors import CampaignNotFoundError, RouteNotFoundError
from aggregates.personal import PersonalDataUnreadableError
from aggregates.profiles import UnknownProfileError
from projections.campaign import ProjectionNotReadyError
from projections.catalog import open_projection
from projections.documents import (
    CampaignOptions,
    FormNotOfferedError,
    campaign_document,
    document_of,
    render,
    route_document,
)
from projections.documents.methodists import build_methodists_report
from projections.documents.model import Document
from projections.methodist_report import methodists_report
from runtime.settings import Settings
from workers.cli.output import database_errors, emit_json, fail
from workers.cli.route_ref import AsOfDateOpt, AsOfOpt, RouteArg, VersionOpt, check_point
from workers.context import build_officials, build_personal_data, build_routes

docs = typer.Typer(
    add_completion=False,
    help=(
        "Документы, которые подписывают и хранят: Карта ИОМ, корректировки, мониторинг, итоги, "
        "сертификат, формы муниципалитетов и регионов, программа и ресурсная карта по Алгоритму, "
        "отчёты о диагностике; DOCX или PDF.\n\nПример: iom docs "
        "render ROUTE_ID --doc karta --format pdf -o karta.pdf"
    ),
    no_args_is_help=True,
)


class DocKind(StrEnum):
    """The forms of a route (see `projections.documents.ROUTE_DOCUMENTS`)."""

    KARTA = "karta"  # Карта ИОМ (Саха, приложение 1)
    CORRECTIONS = "corrections"  # Сведения о корректировке (приложение 2)
    MONITORING = "monitoring"  # Мониторинг реализации мероприятий (приложение 2)
    ITOGI = "itogi"  # Итоги прохождения ИОМ (приложение 3)
    CERTIFICATE = "certificate"  # сертификат о прохождении ИОМ
    BALAKHTA = "balakhta"  # three-part ИОМ (Балахтинский район)
    SOVETSKY = "sovetsky"  # five-section ИОМ (Советский городской округ, Порядок II.2)
    SOVETSKY_TABLE = "sovetsky_table"  # its one-table format (приложение)
    CHELYABINSK = "chelyabinsk"  # технологическая карта ИОМ (Челябинская область)
    PROGRAMME = "programme"  # индивидуальная образовательная программа (Алгоритм)
    RESOURCE_MAP = "resource_map"  # ресурсная карта (Алгоритм)
    IOM = "iom"  # the neutral form of a regulation that names none


class FileFormat(StrEnum):
    """The file formats a document is written in."""

    DOCX = "docx"
    PDF = "pdf"


class DiagnosticKind(StrEnum):
    """Which diagnostic a campaign report covers."""

    INPUT = "input"  # входная
    FINAL = "final"  # итоговая


FormatOpt = Annotated[FileFormat, typer.Option("--format", help="Формат: `docx` или `pdf`.")]
OutputOpt = Annotated[Path, typer.Option("-o", "--output", help="Куда записать файл.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Вывести записанное как JSON.")]
DATE_FORMATS = ["%Y-%m-%d"]


def _write(document: Document, fmt: FileFormat, output: Path, as_json: bool) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    data = render(document, fmt.value)
    output.write_bytes(data)
    if as_json:
        emit_json({"file": str(output), "bytes": len(data), "provenance": list(document.footer)})
    else:
        typer.echo(f"записан {output}: {document.footer[0]}")


@docs.command(name="render")
@database_errors
def render_route(  # typer passes every parameter by name
    route_id: RouteArg,
    *,
    doc: Annotated[
        DocKind,
        typer.Option(
            "--doc", help="Какой документ: одна из форм регламента, по которому ведётся ИОМ."
        ),
    ],
    fmt: FormatOpt,
    output: OutputOpt,
    version: VersionOpt = None,
    as_of: AsOfOpt = None,
    as_of_date: AsOfDateOpt = None,
    with_personal_data: Annotated[
        bool,
        typer.Option(
            "--with-personal-data",
            help="Заполнить сведения о педагоге и ФИО подписавших должностных лиц (для тех,"
            " кому их можно видеть).",
        ),
    ] = False,
    centre: Annotated[
        str | None, typer.Option(help="Наименование выдающего центра (для сертификата).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Записать документ ИОМ, каким он был сейчас, на версию, на момент или на дату (с фактами
    того дня, внесёнными позже).

    Коды выхода: 0 — записан; 1 — нет такого ИОМ, его версии, момента или даты; 2 — неверный
    вызов (и --version, и --as-of или --as-of-date; неизвестный документ или форма не его
    регламента; файл не записать); 3 — база данных недоступна.

    Пример: iom docs render ROUTE_ID --doc karta --version 12 --format pdf -o karta.pdf
    """
    check_point(version, as_of, as_of_date)
    settings = Settings()
    routes = build_routes(settings)  # keep it: the personal-data store shares its connections
    try:
        personal, officials = None, None
        if with_personal_data:
            teacher_id = routes.route(route_id, version=1).teacher_id
            personal = build_personal_data(routes, settings).get(teacher_id)
            officials = build_officials(routes, settings).get
        if as_of_date is not None:
            dated = routes.route_on(route_id, as_of_date.date(), as_of)
            document = document_of(
                routes,
                dated.route,
                doc.value,
                personal=personal,
                generated_at=routes.clock(),
                centre=centre,
                officials=officials,
                dated=dated,
            )
        else:
            document = route_document(
                routes,
                route_id,
                doc.value,
                version=version,
                as_of=as_of,
                personal=personal,
                generated_at=routes.clock(),
                centre=centre,
                officials=officials,
            )
    except (RouteNotFoundError, PersonalDataUnreadableError) as error:
        raise fail(error.message, 1) from None
    except FormNotOfferedError as error:
        raise fail(str(error), 2) from None
    _write(document, fmt, output, as_json)


@docs.command()
@database_errors
def campaign(  # typer passes every parameter by name
    *,
    region: Annotated[
        str,
        typer.Option(
            help="Регион (id регламента): sakha, balakhta, sovetsky, chelyabinsk, algorithm."
        ),
    ],
    fmt: FormatOpt,
    output: OutputOpt,
    starts_on: Annotated[
        datetime | None,
        typer.Option("--from", formats=DATE_FORMATS, help="Диагностики не раньше этой даты."),
    ] = None,
    ends_on: Annotated[
        datetime | None,
        typer.Option("--to", formats=DATE_FORMATS, help="Диагностики не позже этой даты."),
    ] = None,
    kind: Annotated[
        DiagnosticKind, typer.Option(help="Диагностика: `input` (входная) или `final` (итоговая).")
    ] = DiagnosticKind.INPUT,
    mass_share: Annotated[
        float,
        typer.Option(
            min=0.01, max=1.0, help="Доля на низшем уровне, с которой дефицит считается массовым."
        ),
    ] = 0.3,
    campaign_id: Annotated[
        UUID | None,
        typer.Option(
            "--campaign",
            help="Отчёт одной диагностики (iom campaigns list): её вид, сроки, её участники и"
            " отсутствовавшие; --from, --to и --kind тогда не нужны.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Записать аналитический отчёт о диагностике педагогов региона: даты, участники, уровни
    компетенций в целом, по муниципалитетам и предметам, массовые дефициты для планирования ДПП.
    С --campaign — отчёт одной диагностики, с её участниками и отсутствовавшими.
    Данные — из проекции мониторинга (держите запущенным `iom projector` или выполните
    `iom projections rebuild monitoring`); отчёт называет позицию проекции, на которую составлен.

    Коды выхода: 0 — записан; 1 — проекция ещё не построена (сообщение говорит, что запустить);
    2 — неверный вызов (неизвестный регион, --from позже --to); 3 — база данных недоступна.

    Пример: iom docs campaign --region sakha --from 2025-09-01 --format pdf -o report.pdf
    """
    if starts_on is not None and ends_on is not None and starts_on > ends_on:
        raise fail("--from позже --to: укажите период с начала по конец")
    routes = build_routes(Settings())
    options = CampaignOptions(
        starts_on=starts_on.date() if starts_on else None,
        ends_on=ends_on.date() if ends_on else None,
        kind=kind.value,
        mass_share=mass_share,
        generated_at=routes.clock(),
        campaign_id=campaign_id,
    )
    try:
        document = campaign_document(routes, region, options)
    except UnknownProfileError as error:
        raise fail(str(error)) from None
    except CampaignNotFoundError as error:
        raise fail(error.message, 1) from None
    except ProjectionNotReadyError as error:
        raise fail(error.message, 1) from None
    _write(document, fmt, output, as_json)


@docs.command("methodists")
@database_errors
def methodists(  # typer passes every parameter by name
    *,
    region: Annotated[str, typer.Option(help="Регион (id регламента), например sakha.")],
    methodist: Annotated[
        str | None, typer.Option("--methodist", help="Один методист (id); без него — все.")
    ] = None,
    fmt: Annotated[
        FileFormat | None, typer.Option("--format", help="Формат файла: `docx` или `pdf`.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Куда записать файл (с --format).")
    ] = None,
) -> None:
    """Отчёт методистов в ЦНППМ (актив 6.2, июнь и декабрь): ИОМ каждого методиста, этапы,
    мероприятия выполненные, невыполненные и просроченные, динамика компетенций. Без --format —
    данные JSON; с --format и -o — документ. Данные — из проекции мониторинга.

    Коды выхода: 0 — выведен или записан; 1 — проекция ещё не построена; 2 — неверный вызов.

    Пример: iom docs methodists --region sakha --format docx -o methodists.docx
    """
    if (fmt is None) != (output is None):
        raise fail("укажите --format и -o вместе (или ни одного — для JSON)")
    routes = build_routes(Settings())
    try:
        profile = routes.profiles.latest(region)
        today = routes.clock().astimezone(ZoneInfo(profile.time_zone)).date()
        view = open_projection(routes, "monitoring").view
        report = methodists_report(view, region, today, methodist)
    except UnknownProfileError as error:
        raise fail(str(error)) from None
    except ProjectionNotReadyError as error:
        raise fail(error.message, 1) from None
    if fmt is None or output is None:
        emit_json(report.model_dump(mode="json"))
        return
    _write(build_methodists_report(report, profile, routes.clock()), fmt, output, as_json=False)
