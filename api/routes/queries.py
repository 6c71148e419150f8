"""Queries: a route now (later: at a version, as of a moment, its history, the monitoring
tables, the audit trail)."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import visible_route
from api.models import RouteState
from api.routes.commands import RouteId
from api.routes.responses import problems
from api.services import PrincipalDep, ServicesDep


async def get_route(
    route_id: RouteId, principal: PrincipalDep, services: ServicesDep
) -> RouteState:
    """ИОМ сейчас: этап, стороны, план, согласование, мониторинг, корректировки, итоги.
    Педагогу — только свой ИОМ, методисту — закреплённые за ним, руководителям ОО — ИОМ своей
    ОО, руководителю ЦНППМ, аудитору и оператору — ИОМ своего региона."""
    route = await visible_route(services.routes, principal, route_id)
    return RouteState.of(route)


def build_router() -> APIRouter:
    """The queries' router."""
    router = APIRouter(prefix="/routes", tags=["Запросы"])
    router.add_api_route(
        "/{route_id}",
        get_route,
        methods=["GET"],
        response_model=RouteState,
        response_description="Состояние ИОМ.",
        operation_id="get_route",
        summary="ИОМ сейчас",
        responses=problems(401, 404),
    )
    return router
