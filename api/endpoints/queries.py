"""Queries on one route, read from the event store itself: the route now, at a version or as of
a moment, and its history (every event with its Russian line and its link in the hash chain).

Whether the route is within reach is decided on the route as it is now (its region, school,
teacher and methodist today), whichever past state is asked for.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from aggregates.application import Routes
from aggregates.route import Route
from aggregates.summaries import described
from aggregates.timeline import Dated
from aggregates.values import Ident
from api.access import may_see, visible_route
from api.endpoints.commands import RouteId
from api.endpoints.responses import problems
from api.iso import IsoDate, IsoMoment
from api.models import DatedFact, FoundRoutes, HistoryLine, RouteHistory, RouteState
from api.paging import invalid
from api.services import PrincipalDep, ServicesDep

Version = Annotated[
    int | None,
    Query(
        ge=1,
        description="Версия ИОМ (число событий с открытия): ИОМ таким, каким он был.",
        examples=[5],
    ),
]
AsOf = Annotated[
    IsoMoment | None,
    Query(
        description="Момент (ISO 8601 с часовым поясом): ИОМ таким, каким он был тогда.",
        examples=["2026-10-01T12:00:00+09:00"],
    ),
]


RouteKey = Annotated[
    Ident,
    Query(
        description="Ключ ИОМ в портале (`route_key` при открытии).",
        examples=["portal-2026-000451"],
    ),
]


AsOfDate = Annotated[
    IsoDate | None,
    Query(
        description=(
            "Дата (ГГГГ-ММ-ДД): ИОМ таким, каким он был в этот день, — с фактами этого дня,"
            " внесёнными позже (мероприятие выполнено 30 декабря, отмечено 9 января). Вместе с"
            " `as_of` — таким, каким его знали в тот момент. Не вместе с `version`."
        ),
        examples=["2026-12-30"],
    ),
]


def past(routes: Routes, now: Route, version: int | None, as_of: datetime | None) -> Route:
    """The route at `version` or as of `as_of` (it is `now` when neither is given)."""
    if version is not None and as_of is not None:
        raise invalid("as_of", "one_of", "укажите version или as_of, не оба")
    if version is not None:
        if version > now.version:
            raise invalid("version", "version_range", f"версия ИОМ — от 1 до {now.version}")
        return routes.route(now.id, version=version)
    if as_of is not None:
        return routes.route_as_of(now.id, aware(as_of))
    return now


def on_date(
    routes: Routes, now: Route, version: int | None, as_of: datetime | None, as_of_date: date
) -> Dated:
    """The route as it was on `as_of_date`, as known at `as_of` (now, if None)."""
    if version is not None:
        raise invalid("as_of_date", "one_of", "укажите version или as_of_date, не оба")
    return routes.route_on(now.id, as_of_date, None if as_of is None else aware(as_of))


def aware(as_of: datetime) -> datetime:
    """`as_of`, refused without a time zone."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise invalid(
            "as_of",
            "timezone",
            "укажите момент с часовым поясом, например 2026-10-01T12:00:00+09:00",
        )
    return as_of


async def get_route(
    route_id: RouteId,
    principal: PrincipalDep,
    services: ServicesDep,
    *,
    version: Version = None,
    as_of: AsOf = None,
    as_of_date: AsOfDate = None,
) -> RouteState:
    """ИОМ сейчас, в версии `version` или на момент `as_of` (одно из двух), или на дату
    `as_of_date` (каким он был в тот день, с фактами того дня, внесёнными позже; с `as_of` —
    каким его знали в тот момент): этап, стороны, план, согласование, мониторинг,
    корректировки, итоги; на дату — ещё и факты, внесённые после её окончания, в которых два
    ответа расходятся. Педагогу — только свой ИОМ, методисту — закреплённые за ним,
    руководителям ОО — ИОМ своей ОО, руководителю ЦНППМ, аудитору и оператору — ИОМ своего
    региона. На момент или дату до открытия ИОМ — 404."""
    now = await visible_route(services.routes, principal, route_id)
    if as_of_date is None:
        route = await asyncio.to_thread(past, services.routes, now, version, as_of)
        return RouteState.of(route)
    dated = await asyncio.to_thread(on_date, services.routes, now, version, as_of, as_of_date)
    return RouteState.of(dated.route).model_copy(
        update={
            "as_of_date": as_of_date,
            "recorded_later": [DatedFact.model_validate(f) for f in dated.facts(dated.late)],
            "not_applied": [DatedFact.model_validate(f) for f in dated.facts(dated.unfit)],
        }
    )


async def find_routes(
    route_key: RouteKey, principal: PrincipalDep, services: ServicesDep
) -> FoundRoutes:
    """ИОМ по ключу портала (`route_key`, с которым его открыли) в регионе токена и в пределах
    его доступа — например, когда портал не получил ответа на открытие. ИОМ вне доступа не
    находится, как и несуществующий: пустой список."""
    route = await asyncio.to_thread(services.routes.keyed_route, principal.region, route_key)
    found = [RouteState.of(route)] if route is not None and may_see(principal, route) else []
    return FoundRoutes(items=found)


async def get_history(
    route_id: RouteId, principal: PrincipalDep, services: ServicesDep
) -> RouteHistory:
    """История ИОМ из хранилища событий: каждое событие — версия, время, тип, кто и в какой
    роли, строка по-русски в терминах регламента, звено цепочки хэшей. Доступ — как к ИОМ."""
    await visible_route(services.routes, principal, route_id)
    events = await asyncio.to_thread(services.routes.history, route_id)
    lines = [
        HistoryLine(
            version=e.originator_version,
            recorded_at=e.timestamp,
            event_type=type(e).__name__,
            actor_id=e.actor.id,
            role=e.actor.role,
            command_id=e.command_id,
            summary=line,
            chain_hash=e.chain_hash,
        )
        for e, line in zip(events, described(events), strict=True)
    ]
    return RouteHistory(route_id=route_id, version=lines[-1].version, events=lines)


def build_router() -> APIRouter:
    """The queries' router."""
    router = APIRouter(prefix="/routes", tags=["Запросы"])
    router.add_api_route(
        "",
        find_routes,
        methods=["GET"],
        response_model=FoundRoutes,
        response_description="ИОМ с этим ключом (или ни одного).",
        operation_id="find_routes",
        summary="ИОМ по ключу портала",
        responses=problems(401, 422),
    )
    router.add_api_route(
        "/{route_id}",
        get_route,
        methods=["GET"],
        response_model=RouteState,
        response_description="Состояние ИОМ.",
        operation_id="get_route",
        summary="ИОМ сейчас, в версии или на момент",
        responses=problems(401, 404, 422),
    )
    router.add_api_route(
        "/{route_id}/history",
        get_history,
        methods=["GET"],
        response_model=RouteHistory,
        response_description="События ИОМ, старые первыми.",
        operation_id="get_route_history",
        summary="История ИОМ",
        responses=problems(401, 404),
    )
    return router
