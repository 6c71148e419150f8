"""The monitoring lists and the audit trail: `GET /monitoring/<list>` and `GET /audit`.

Each reads its projection's table in one read-only transaction, held to the token's reach
(`api.access.list_scope`): the region always, and a teacher's, methodist's or school's own rows.
A filter outside that reach is a 403; a filter the list does not take, a sort it does not offer,
a page too large or a damaged cursor, a 422 naming the parameter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from aggregates.errors import RoleError
from api.access import SCOPE_FIELDS, list_scope
from api.auth import Principal
from api.endpoints.responses import problems
from api.limits import page_limit
from api.listings import LISTS, MonitoringList
from api.paging import PageAsk, invalid, parse_sort, read_page
from api.services import PrincipalDep, Services, ServicesDep
from projections.tables import Filters

PARAMETERS = {
    "municipality": "municipality_id",
    "school": "school_id",
    "methodist": "methodist_id",
    "subject": "subject",
    "route": "route_id",
}
"""The filters of `iom monitor` as query parameters, and the columns they name."""

Municipality = Annotated[str | None, Query(description="Идентификатор муниципалитета.")]
School = Annotated[str | None, Query(description="Идентификатор ОО.")]
Methodist = Annotated[str | None, Query(description="Идентификатор методиста.")]
Subject = Annotated[str | None, Query(description="Предмет.", examples=["математика"])]
RouteFilter = Annotated[UUID | None, Query(description="Идентификатор ИОМ.")]
SortParam = Annotated[
    str | None,
    Query(
        description="Сортировка: столбцы через запятую, `-` перед именем — по убыванию"
        " (например, `-share_done,next_deadline`); допустимые столбцы — в описании списка.",
    ),
]
Limit = Annotated[
    int | None,
    Query(description="Строк на странице: от 1 до IOM_API_MAX_PAGE (200); по умолчанию 50."),
]
Cursor = Annotated[
    str | None,
    Query(description="Курсор из `next_cursor` предыдущей страницы (с той же сортировкой)."),
]


def filters_for(chosen: MonitoringList, principal: Principal, given: dict[str, Any]) -> Filters:
    """The query's filters held to the principal's reach; 403 for a list the role may not
    read or a filter beyond its reach, 422 for a filter the list does not take."""
    scope = list_scope(principal)
    if (chosen.roles is not None and principal.role not in chosen.roles) or any(
        column not in chosen.listing.filters for column in scope
    ):
        raise RoleError("list_role", f"список «{chosen.summary}» этой роли недоступен")
    columns = {PARAMETERS[name]: value for name, value in given.items() if value is not None}
    for name, column in PARAMETERS.items():
        if column in columns and column not in chosen.listing.filters:
            raise invalid(name, "filter", f"фильтр {name} к списку «{chosen.summary}» не применим")
    for column, value in scope.items():
        if column in columns and str(columns[column]) != value:
            field = SCOPE_FIELDS.get(column, column)
            raise RoleError("out_of_reach", "фильтр выходит за пределы доступных данных", field)
        columns[column] = value
    return Filters(**columns)


def read(
    services: Services, chosen: MonitoringList, filters: Filters, ask: PageAsk
) -> dict[str, Any]:
    """One page of the list (blocking: run it in a thread)."""
    view = services.audit if chosen.view == "audit" else services.monitoring
    with view.transaction(commit=False) as db:
        rows, after = read_page(chosen.listing, db, chosen.name, filters, ask)
    return {"items": rows, "next_cursor": after, "limit": ask.limit}


def list_endpoint(chosen: MonitoringList) -> Callable[..., Awaitable[Any]]:
    """The endpoint of one list."""

    async def endpoint(
        request: Request,
        *,
        principal: PrincipalDep,
        services: ServicesDep,
        municipality: Municipality = None,
        school: School = None,
        methodist: Methodist = None,
        subject: Subject = None,
        route: RouteFilter = None,
        sort: SortParam = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Any:
        given = {
            "municipality": municipality,
            "school": school,
            "methodist": methodist,
            "subject": subject,
            "route": route,
        }
        filters = filters_for(chosen, principal, given)
        rows = page_limit(limit, request.app.state.settings)
        key = request.app.state.cursor_key
        ask = PageAsk(parse_sort(chosen.listing, sort), cursor, rows, key)
        page = await asyncio.to_thread(read, services, chosen, filters, ask)
        return chosen.page.model_validate(page)

    endpoint.__name__ = f"list_{chosen.name}"
    taken = [name for name, column in PARAMETERS.items() if column in chosen.listing.filters]
    endpoint.__doc__ = (
        f"{chosen.doc}\n\nФильтры: {', '.join(taken) or 'нет'}. Сортировка по:"
        f" {', '.join(chosen.listing.sortable)}. Постраничный вывод по курсору."
    )
    return endpoint


def build_router() -> APIRouter:
    """The lists' router."""
    router = APIRouter(tags=["Мониторинг"])
    for chosen in LISTS:
        router.add_api_route(
            chosen.path,
            list_endpoint(chosen),
            methods=["GET"],
            response_model=chosen.page,
            response_description=f"{chosen.summary}: страница.",
            operation_id=f"list_{chosen.name}",
            summary=chosen.summary,
            responses=problems(401, 403, 422),
        )
    return router
