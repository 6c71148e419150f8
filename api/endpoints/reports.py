"""The methodists' report (Sakha актив 6.2, June and December) on demand: `GET
/reports/methodists` as data and `GET /reports/methodists/document` as DOCX or PDF (by
`Accept`, as the other documents). The schedule makes the same report itself
(`workers.reports`).

The region's roles that plan region-wide (the centre head, the auditor, the operator) read
every methodist's, or one's (`methodist_id`); a methodist reads their own; anyone else gets 403
before anything is read. Read from the monitoring projection (`iom projector` keeps it)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aggregates.errors import RoleError
from aggregates.values import Ident, Role
from api.access import REGION_ROLES
from api.auth import Principal
from api.endpoints.documents import MEDIA_TYPES, REPORT_ANSWER, REPORT_WHEN, negotiate
from api.endpoints.responses import problems
from api.problems import ProblemError
from api.services import PrincipalDep, Services, ServicesDep
from projections.campaign import ProjectionNotReadyError
from projections.documents import render
from projections.documents.methodists import build_methodists_report
from projections.methodist_report import MethodistsReport, methodists_report

WHEN = {
    **REPORT_WHEN,
    403: "Отчёт методистов получают методист (свой), руководитель ЦНППМ, аудитор и оператор"
    " (`rule`: `report_role`).",
}
MethodistQuery = Annotated[
    Ident | None,
    Query(description="Один методист (id); без него — все методисты региона."),
]


def whose(principal: Principal, methodist_id: str | None) -> str | None:
    """The methodist whose report the principal reads (None: all), or 403."""
    if principal.role is Role.METHODIST:
        if methodist_id not in (None, principal.subject):
            raise RoleError("report_role", "методист получает только свой отчёт")
        return principal.subject
    if principal.role not in REGION_ROLES:
        raise RoleError(
            "report_role",
            "отчёт методистов доступен методисту (свой), руководителю ЦНППМ, аудитору и оператору",
        )
    return methodist_id


def report_for(services: Services, region: str, methodist_id: str | None) -> MethodistsReport:
    """The report as of today in the region (blocking: reads the projection)."""
    profile = services.routes.profiles.latest(region)
    today: date = services.routes.clock().astimezone(ZoneInfo(profile.time_zone)).date()
    try:
        return methodists_report(services.monitoring, region, today, methodist_id)
    except ProjectionNotReadyError as error:
        raise ProblemError(503, "unavailable", error.message, rule="projection_not_ready") from None


async def get_methodists_report(
    principal: PrincipalDep, services: ServicesDep, methodist_id: MethodistQuery = None
) -> MethodistsReport:
    """Отчёт методистов в ЦНППМ (актив 6.2): ИОМ каждого методиста, их этапы, мероприятия
    выполненные, невыполненные и просроченные, динамика компетенций. Данными (JSON)."""
    chosen = whose(principal, methodist_id)
    return await asyncio.to_thread(report_for, services, principal.region, chosen)


async def get_methodists_document(
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    methodist_id: MethodistQuery = None,
) -> Response:
    """Отчёт методистов в ЦНППМ (актив 6.2) документом: DOCX или PDF по заголовку `Accept`."""
    chosen = whose(principal, methodist_id)
    fmt = negotiate(request.headers.get("accept"))

    def made() -> bytes:
        report = report_for(services, principal.region, chosen)
        profile = services.routes.profiles.latest(principal.region)
        document = build_methodists_report(report, profile, services.routes.clock())
        return render(document, fmt)

    data = await asyncio.to_thread(made)
    filename = f"methodists-{principal.region}{'-' + chosen if chosen else ''}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)


def build_router() -> APIRouter:
    """`GET /reports/methodists` and `GET /reports/methodists/document`."""
    router = APIRouter(prefix="/reports/methodists", tags=["Документы"])
    router.add_api_route(
        "",
        get_methodists_report,
        methods=["GET"],
        response_model=MethodistsReport,
        operation_id="get_methodists_report",
        summary="Отчёт методистов (данные)",
        responses=problems(401, 403, 422, 503, when=WHEN),
    )
    router.add_api_route(
        "/document",
        get_methodists_document,
        methods=["GET"],
        response_class=Response,
        operation_id="get_methodists_document",
        summary="Отчёт методистов: DOCX или PDF",
        responses={**REPORT_ANSWER, **problems(401, 403, 406, 422, 503, when=WHEN)},
    )
    return router
