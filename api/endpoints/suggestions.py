"""Routes suggested from deficits, and the ДПП a region should order for its mass deficits.

`POST /routes/{route_id}/suggestion`: a draft plan from the route's input diagnostic and the
region's ДПП catalogue (`aggregates.programmes.suggestion`); nothing is saved, the designer
edits it and sends `design_route`. `POST /catalogue/orders`: the mass deficits of the region (or
of a municipality, or of the routes named: a diagnostic campaign's) with the catalogue's
programmes for each, or a programme to develop (Sakha диагностика 7.2).
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from aggregates.errors import RoleError
from aggregates.programmes.orders import (
    MASS_SHARE,
    DeficitCount,
    OrderProposal,
    count_deficits,
    propose_orders,
)
from aggregates.programmes.suggestion import Suggestion, suggest
from aggregates.values import Ident
from api.access import REGION_ROLES, reachable_route
from api.auth import Principal
from api.endpoints.responses import problems
from api.services import PrincipalDep, Services, ServicesDep
from projections.dynamics import query_deficits
from projections.tables import Filters

RouteId = Annotated[UUID, Path(description="Идентификатор ИОМ.")]


class OrdersRequest(BaseModel):
    """Какие ИОМ учесть: перечень (например, участников диагностики) или весь регион токена
    (или один муниципалитет) по таблицам мониторинга."""

    route_ids: Annotated[list[UUID], Field(max_length=20000)] = Field(
        default=[], description="ИОМ, чьи входные диагностики учитываются; пусто — все."
    )
    municipality_id: Ident | None = Field(
        default=None, description="Только этот муниципалитет (когда ИОМ не перечислены)."
    )
    mass_share: float = Field(
        default=MASS_SHARE,
        gt=0,
        le=1,
        description="Доля педагогов на низшем уровне, с которой дефицит считается массовым.",
    )


def suggestion_for(services: Services, principal: Principal, route_id: UUID) -> Suggestion:
    """The suggestion for a route within the principal's reach (blocking: reads the store)."""
    route = reachable_route(services.routes, principal, route_id)
    catalogue = services.routes.catalogues.catalogue(route.profile.id)
    today = services.routes.clock().astimezone(ZoneInfo(route.profile.time_zone)).date()
    return suggest(route, catalogue, today)


async def suggest_route(
    route_id: RouteId, principal: PrincipalDep, services: ServicesDep
) -> Suggestion:
    """Предложить ИОМ по дефицитам входной диагностики: черновик плана из программ каталога ДПП
    и видов мероприятий регламента, у каждого мероприятия — почему предложено. Ничего не
    сохраняется: проектировщик правит план и отправляет `design_route`. Дефицит, на который
    ничего не нашлось, назван в `unanswered`."""
    return await asyncio.to_thread(suggestion_for, services, principal, route_id)


def orders_for(services: Services, principal: Principal, body: OrdersRequest) -> OrderProposal:
    """The region's mass deficits and their programmes (blocking: reads the store)."""
    profile = services.routes.profiles.latest(principal.region)
    catalogue = services.routes.catalogues.catalogue(principal.region)
    if body.route_ids:
        routes = [reachable_route(services.routes, principal, rid) for rid in body.route_ids]
        counted, counts = count_deficits(routes)
    else:
        filters = Filters(profile_id=principal.region, municipality_id=body.municipality_id)
        with services.monitoring.transaction(commit=False) as db:
            rows = query_deficits(db, filters, None)
        counts = summed(rows)
        counted = max((count.diagnosed for count in counts), default=0)
    return propose_orders(profile, catalogue, counts, counted, body.mass_share)


def summed(rows: list[dict[str, object]]) -> list[DeficitCount]:
    """The monitoring's deficit rows (per municipality and subject) summed per competence."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        pair = totals.setdefault(str(row["competence"]), [0, 0])
        pair[0] += int(str(row["diagnosed"]))
        pair[1] += int(str(row["lowest"]))
    return [
        DeficitCount(competence=code, diagnosed=diagnosed, lowest=lowest)
        for code, (diagnosed, lowest) in sorted(totals.items())
    ]


async def propose_programmes(
    body: OrdersRequest, principal: PrincipalDep, services: ServicesDep
) -> OrderProposal:
    """Массовые дефициты региона (муниципалитета или перечня ИОМ) и программы ДПП для каждого
    из каталога, либо предложение разработать программу (диагностика 7.2). Ничего не
    сохраняется. Для руководителя ЦНППМ, аудитора и оператора."""
    if principal.role not in REGION_ROLES:
        raise RoleError(
            "role", "массовые дефициты региона смотрят руководитель ЦНППМ, аудитор, оператор"
        )
    return await asyncio.to_thread(orders_for, services, principal, body)


def build_router() -> APIRouter:
    """`POST /routes/{route_id}/suggestion`, `POST /catalogue/orders`."""
    router = APIRouter(tags=["Каталог ДПП"])
    router.add_api_route(
        "/routes/{route_id}/suggestion",
        suggest_route,
        methods=["POST"],
        response_model=Suggestion,
        operation_id="suggest_route",
        summary="ИОМ, предложенный по дефицитам",
        responses=problems(401, 404, 422),
    )
    router.add_api_route(
        "/catalogue/orders",
        propose_programmes,
        methods=["POST"],
        response_model=OrderProposal,
        operation_id="propose_programmes",
        summary="ДПП для массовых дефицитов",
        responses=problems(401, 403, 404, 422),
    )
    return router
