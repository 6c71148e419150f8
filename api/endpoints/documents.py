"""A route's documents as files: `GET /routes/{route_id}/documents/{doc}`, the form `doc` of
the route now, at `?version=` or as of `?as_of=` (parsed and checked as `GET /routes/{id}` does),
as DOCX or PDF by the `Accept` header (PDF for `*/*` or no header; 406 when neither is
acceptable).

The route is within reach as for `GET /routes/{id}` (`api.access`). The teacher's information
sheet (personal data, 152-ФЗ) is filled in only for the roles entitled to the sheet itself
(`api.access.may_read_route_sheet`); after its erasure the document says so; everyone else gets
the document without personal fields. The builders and writers are those of `iom docs render`
(`projections.documents`); rendering is CPU work and runs in a thread.

`GET /reports/campaign` is the analytical report of `iom docs campaign` for the token's region,
read from the monitoring projection, to the roles that plan region-wide (the centre head, the
auditor, the operator); anyone else gets 403 before anything is read.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from aggregates.personal import PersonalDataUnreadableError, PersonalRecord
from aggregates.route import Route
from api.access import may_read_route_sheet, require_region_role, visible_route
from api.auth import Principal
from api.endpoints.commands import RouteId
from api.endpoints.queries import AsOf, AsOfDate, Version, on_date, past
from api.endpoints.responses import BINARY, problems
from api.iso import IsoDate
from api.paging import invalid
from api.problems import ProblemError
from api.services import PrincipalDep, Services, ServicesDep
from projections.campaign import ProjectionNotReadyError
from projections.documents import (
    CampaignOptions,
    Format,
    FormNotOfferedError,
    RouteDocKind,
    campaign_document,
    document_of,
    render,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
MEDIA_TYPES: dict[Format, str] = {"pdf": PDF, "docx": DOCX}
"""The formats in the server's order of preference (the first wins a tie, as for `*/*`)."""

DocKind = Annotated[
    RouteDocKind,
    Path(
        description="Форма по регламенту ИОМ (`Profile.documents`; другой регион — 404):"
        " `karta` — Карта ИОМ (Саха, приложение 1), `corrections` — сведения о корректировке,"
        " `monitoring` — мониторинг реализации мероприятий (приложение 2), `itogi` — итоги"
        " прохождения ИОМ (приложение 3), `certificate` — сертификат, `balakhta` — ИОМ по форме"
        " Балахтинского района, `sovetsky` — ИОМ из пяти разделов (Советский городской округ),"
        " `sovetsky_table` — его формат представления (приложение), `chelyabinsk` —"
        " технологическая карта ИОМ (Челябинская область), `programme` и `resource_map` —"
        " индивидуальная образовательная программа и ресурсная карта (Алгоритм), `iom` —"
        " нейтральная форма регламента, не назвавшего своих форм."
    ),
]


def not_acceptable() -> ProblemError:
    """No format the request's `Accept` header takes."""
    return ProblemError(
        406,
        "not-acceptable",
        f"заголовок Accept: документ выдаётся как {PDF} или {DOCX}",
        rule="not_acceptable",
        field="Accept",
    )


def media_ranges(accept: str) -> list[tuple[str, float]]:
    """The header's media ranges with their weights (a range with a malformed weight is left
    out)."""
    ranges = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = -1.0
        if 0.0 <= weight <= 1.0:
            ranges.append((media.lower(), weight))
    return ranges


def weight_of(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The weight the most specific matching range gives `media_type` (0: none matches)."""
    kind = media_type.split("/", 1)[0]
    specific = {media_type: 3, f"{kind}/*": 2, "*/*": 1}
    matches = [(specific[media], weight) for media, weight in ranges if media in specific]
    return max(matches)[1] if matches else 0.0


def negotiate(accept: str | None) -> Format:
    """The format the `Accept` header prefers (PDF without a header or for `*/*`)."""
    if accept is None or not accept.strip():
        return "pdf"
    ranges = media_ranges(accept)
    best: Format | None = None
    best_weight = 0.0
    for fmt, media_type in MEDIA_TYPES.items():
        weight = weight_of(ranges, media_type)
        if weight > best_weight:
            best, best_weight = fmt, weight
    if best is None:
        raise not_acceptable()
    return best


def personal_of(services: Services, principal: Principal, route: Route) -> PersonalRecord | None:
    """The teacher's record for a principal entitled to the sheet, else None (blocking)."""
    if not may_read_route_sheet(principal, route):
        return None
    if services.personal is None:
        raise ProblemError(503, "unavailable", "сведения о педагогах сейчас недоступны")
    try:
        return services.personal.get(route.teacher_id)
    except PersonalDataUnreadableError:
        raise ProblemError(
            503, "unavailable", "сведения о педагогах сейчас недоступны", rule="unreadable"
        ) from None


def make(
    services: Services,
    principal: Principal,
    now: Route,
    *,
    doc: RouteDocKind,
    fmt: Format,
    version: int | None,
    as_of: datetime | None,
    as_of_date: date | None = None,
) -> tuple[bytes, int]:
    """The file and the version it shows (blocking, CPU-bound: run it in a thread)."""
    routes = services.routes
    dated = None if as_of_date is None else on_date(routes, now, version, as_of, as_of_date)
    route = past(routes, now, version, as_of) if dated is None else dated.route
    personal = personal_of(services, principal, now)
    officials = services.officials.get if services.officials is not None else None
    try:
        document = document_of(
            routes,
            route,
            doc,
            personal=personal,
            generated_at=routes.clock(),
            officials=officials,
            dated=dated,
        )
    except FormNotOfferedError as error:
        raise ProblemError(
            404, "form-not-in-regulation", str(error), rule="form_not_in_regulation", field="doc"
        ) from None
    except PersonalDataUnreadableError:
        raise ProblemError(
            503, "unavailable", "реестр должностных лиц сейчас недоступен", rule="unreadable"
        ) from None
    return render(document, fmt), route.version


async def get_document(
    route_id: RouteId,
    doc: DocKind,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    version: Version = None,
    as_of: AsOf = None,
    as_of_date: AsOfDate = None,
) -> Response:
    """Документ ИОМ (Карта ИОМ, корректировки, мониторинг, итоги, сертификат, формы
    муниципалитетов) сейчас, в версии `version` или на момент `as_of` (одно из двух) или на
    дату `as_of_date` (каким ИОМ был в тот день, с фактами того дня, внесёнными позже), файлом
    DOCX или PDF — по заголовку `Accept` (`*/*` или без заголовка — PDF; ни один не подходит —
    406). Доступ — как к ИОМ. Сведения из информационной справки педагога (персональные
    данные, 152-ФЗ) заполнены только для тех, кому доступна справка: самому педагогу, методисту
    ИОМ, руководителю ОО и руководителю ЦНППМ; после уничтожения по 152-ФЗ — отметка об этом;
    остальным — документ без персональных данных. В подвале — ИОМ, версия и хэш цепочки."""
    fmt = negotiate(request.headers.get("accept"))
    now = await visible_route(services.routes, principal, route_id)
    data, shown = await asyncio.to_thread(
        make,
        services,
        principal,
        now,
        doc=doc,
        fmt=fmt,
        version=version,
        as_of=as_of,
        as_of_date=as_of_date,
    )
    filename = f"{doc}-{route_id}-v{shown}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)


ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Файл документа: PDF или DOCX, по заголовку `Accept`.",
        "content": {PDF: BINARY, DOCX: BINARY},
        "headers": {
            "Content-Disposition": {
                "description": '`attachment; filename="<форма>-<ИОМ>-v<версия>.<pdf|docx>"`.',
                "schema": {"type": "string"},
            },
            "Cache-Control": {
                "description": "`no-store`: документ может нести персональные данные.",
                "schema": {"type": "string"},
            },
        },
    }
}
WHEN = {
    404: "Нет такого ИОМ (его версии, момента) или форма не предусмотрена его регламентом"
    " (`rule`: `form_not_in_regulation`).",
    406: "Заголовок `Accept` не допускает ни `application/pdf`, ни DOCX (`field`: `Accept`).",
    503: "Сведения о педагогах (персональные данные) временно недоступны.",
}


StartsOn = Annotated[
    IsoDate | None,
    Query(
        alias="from",
        description="Диагностики, проведённые в этот день или позже (дата, `ГГГГ-ММ-ДД`).",
    ),
]
EndsOn = Annotated[
    IsoDate | None,
    Query(
        alias="to",
        description="Диагностики, проведённые в этот день или раньше (дата, `ГГГГ-ММ-ДД`).",
    ),
]
DiagnosticKind = Annotated[
    Literal["input", "final"],
    Query(description="Какая диагностика: `input` — входная, `final` — итоговая."),
]


def make_campaign(services: Services, region: str, options: CampaignOptions, fmt: Format) -> bytes:
    """The report's file (blocking, CPU-bound: run it in a thread)."""
    try:
        document = campaign_document(services.routes, region, options, services.monitoring)
    except ProjectionNotReadyError as error:
        raise ProblemError(503, "unavailable", error.message, rule="projection_not_ready") from None
    return render(document, fmt)


async def get_campaign_report(
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    starts_on: StartsOn = None,
    ends_on: EndsOn = None,
    kind: DiagnosticKind = "input",
) -> Response:
    """Аналитический отчёт по результатам диагностики профессиональных дефицитов педагогов
    региона из токена (как `iom docs campaign`): сроки проведения и участники, уровни
    сформированности компетенций в целом, по муниципалитетам и по предметам, массовые
    дефициты для планирования ДПП. Период — `from` и `to` (даты диагностики, включительно).
    Файлом DOCX или PDF — по заголовку `Accept` (`*/*` или без заголовка — PDF; ни один не
    подходит — 406). Только руководителю ЦНППМ, аудитору и оператору; остальным — 403.
    Строится по проекции мониторинга (её ведёт `iom projector`), без обхода всех ИОМ; в
    документе — имя проекции, её позиция, число событий хранилища и время формирования.
    Персональных данных в отчёте нет: только идентификаторы муниципалитетов и ОО."""
    require_region_role(principal, "аналитический отчёт по диагностике региона")
    fmt = negotiate(request.headers.get("accept"))
    if starts_on is not None and ends_on is not None and starts_on > ends_on:
        raise invalid("to", "period", "конец периода (to) раньше его начала (from)")
    options = CampaignOptions(
        starts_on=starts_on, ends_on=ends_on, kind=kind, generated_at=services.routes.clock()
    )
    data = await asyncio.to_thread(make_campaign, services, principal.region, options, fmt)
    period = "-".join(str(d) for d in (starts_on, ends_on) if d is not None)
    filename = f"campaign-{principal.region}-{kind}{'-' + period if period else ''}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)


REPORT_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Файл отчёта: PDF или DOCX, по заголовку `Accept`.",
        "content": {PDF: BINARY, DOCX: BINARY},
        "headers": {
            "Content-Disposition": {
                "description": '`attachment; filename="campaign-<регион>-<input|final>'
                '[-<from>][-<to>].<pdf|docx>"`.',
                "schema": {"type": "string"},
            },
            "Cache-Control": {
                "description": "`no-store`: отчёт отражает текущую позицию проекции.",
                "schema": {"type": "string"},
            },
        },
    }
}
REPORT_WHEN = {
    404: "Нет такого ИОМ (его версии, момента) или форма не предусмотрена его регламентом"
    " (`rule`: `form_not_in_regulation`).",
    403: "Отчёт по региону доступен только руководителю ЦНППМ, аудитору и оператору"
    " (`rule`: `report_role`).",
    406: WHEN[406],
    422: "Неверная дата или период: `to` раньше `from` (поле — в `field`).",
    503: "Проекция мониторинга ещё не построена: запустите `iom projector` или"
    " `iom projections rebuild monitoring` (`rule`: `projection_not_ready`).",
}


def build_router() -> APIRouter:
    """The documents' router: a route's documents and the campaign report."""
    router = APIRouter(tags=["Документы"])
    router.add_api_route(
        "/reports/campaign",
        get_campaign_report,
        methods=["GET"],
        response_class=Response,
        operation_id="get_campaign_report",
        summary="Аналитический отчёт по диагностике: DOCX или PDF",
        responses={**REPORT_ANSWER, **problems(401, 403, 406, 422, 503, when=REPORT_WHEN)},
    )
    router.add_api_route(
        "/routes/{route_id}/documents/{doc}",
        get_document,
        methods=["GET"],
        response_class=Response,
        operation_id="get_route_document",
        summary="Документ ИОМ: DOCX или PDF",
        responses={**ANSWER, **problems(401, 404, 406, 422, 503, when=WHEN)},
    )
    return router
